package gateway

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	routeTasks       = "GET /api/v4/tasks"
	routeCreateTasks = "POST /api/v4/tasks"
	routeUpdateTasks = "PATCH /api/v4/tasks"
	routeNotes       = "GET /api/v4/{entity_type}/notes"
	routeAddNotes    = "POST /api/v4/{entity_type}/notes"
)

// TestActivityLists: tasks, customers and tags answer the sandbox's demo
// data through their filters, one call per page, and refuse bad arguments
// before any call.
func TestActivityLists(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query string
		want        string // substrings of the data, as JSON
		code        string // the error code, when the query must fail
		calls       int
	}{
		{
			name:  "overdue task of contact 3",
			query: `{ tasks(filter: {entityType: CONTACTS, entityIds: [3], isCompleted: false}) { nodes { id text entityId entityType isCompleted result taskTypeId responsibleUser { id } } } }`,
			want:  `{"id":"60000002","text":"Встреча в офисе клиента","entityId":"3","entityType":"CONTACTS","isCompleted":false,"result":null,"taskTypeId":"2","responsibleUser":{"id":"504141"}}`,
			calls: 1,
		},
		{
			name:  "completed task with its result",
			query: `{ tasks(filter: {ids: [60000003], isCompleted: true}) { nodes { id isCompleted result entityType } } }`,
			want:  `"id":"60000003","isCompleted":true,"result":"`,
			calls: 1,
		},
		{
			name:  "task types and responsible users",
			query: `{ tasks(first: 1, filter: {ids: [60000001, 60000002], taskTypeIds: [1], responsibleUserIds: [504141]}) { nodes { id } pageInfo { hasNextPage } } }`,
			want:  `{"tasks":{"nodes":[{"id":"60000001"}],"pageInfo":{"hasNextPage":false}}}`,
			calls: 1,
		},
		{
			name:  "entity ids need an entity type",
			query: `{ tasks(filter: {entityIds: [3]}) { nodes { id } } }`,
			code:  "BAD_USER_INPUT",
		},
		{
			name:  "backwards due range",
			query: `{ tasks(filter: {completeTill: {from: "2030-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z"}}) { nodes { id } } }`,
			code:  "BAD_USER_INPUT",
		},
		{
			name:  "customers page ordered by id",
			query: `{ customers(first: 2, orderBy: {field: ID, direction: ASC}) { nodes { id name } pageInfo { hasNextPage hasPreviousPage } } }`,
			want:  `"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}`,
			calls: 1,
		},
		{
			name:  "contact tags dictionary",
			query: `{ tags(entity: CONTACTS, first: 250) { nodes { id name } pageInfo { hasNextPage } } }`,
			want:  `"hasNextPage":false`,
			calls: 1,
		},
		{
			name:  "tags first out of range",
			query: `{ tags(entity: LEADS, first: 251) { nodes { id } } }`,
			code:  "BAD_USER_INPUT",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			r := g.do(c.query, nil)
			if c.code != "" {
				if r.code(0) != c.code {
					t.Fatalf("errors %+v, want code %s", r.Errors, c.code)
				}
			} else if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			if !strings.Contains(string(r.Data), c.want) {
				t.Errorf("data %s\nwant it to hold %s", r.Data, c.want)
			}
			if got := g.sb.TotalCalls(); got != c.calls {
				t.Errorf("upstream calls = %d, want %d: %+v", got, c.calls, g.sb.Requests())
			}
		})
	}
}

// TestTasksPaging: cursors walk the tasks list forward and back without
// losing or repeating a task, and a cursor of another filter is refused.
func TestTasksPaging(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	type page struct {
		Tasks struct {
			Nodes    []struct{ ID string }
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       string
			}
		}
	}
	const q = `query($after: String, $before: String, $first: Int, $last: Int) {
		tasks(first: $first, after: $after, last: $last, before: $before, filter: {entityType: LEADS}) {
			nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	var all page
	g.data(q, map[string]any{"first": 6}, &all)
	if len(all.Tasks.Nodes) != 6 {
		t.Fatalf("want 6 lead tasks in the sandbox, got %d", len(all.Tasks.Nodes))
	}
	var p1, p2, back page
	g.data(q, map[string]any{"first": 3}, &p1)
	g.data(q, map[string]any{"first": 3, "after": p1.Tasks.PageInfo.EndCursor}, &p2)
	g.data(q, map[string]any{"last": 3, "before": p2.Tasks.PageInfo.StartCursor}, &back)
	var got, want []string
	for _, n := range append(p1.Tasks.Nodes, p2.Tasks.Nodes...) {
		got = append(got, n.ID)
	}
	for _, n := range all.Tasks.Nodes {
		want = append(want, n.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("two pages %v, one page %v", got, want)
	}
	if !p1.Tasks.PageInfo.HasNextPage || !p2.Tasks.PageInfo.HasPreviousPage {
		t.Errorf("page infos %+v %+v", p1.Tasks.PageInfo, p2.Tasks.PageInfo)
	}
	if len(back.Tasks.Nodes) != 3 || back.Tasks.Nodes[0].ID != p1.Tasks.Nodes[0].ID {
		t.Errorf("backward page %+v, want the first page %+v", back.Tasks.Nodes, p1.Tasks.Nodes)
	}
	r := g.do(`query($a: String) { tasks(after: $a) { nodes { id } } }`, map[string]any{"a": p1.Tasks.PageInfo.EndCursor})
	if r.code(0) != "BAD_USER_INPUT" {
		t.Errorf("a cursor of another filter: %+v", r.Errors)
	}
}

// contactCard is the contact-card query of the README and the cost table.
var contactCard = costQuery("ContactCard")

func costQuery(bench string) string {
	for _, q := range CostQueries {
		if q.Bench == bench {
			return q.Query
		}
	}
	panic("no cost query " + bench)
}

// TestContactCard: a contact with its notes and open tasks costs the
// contact, its notes, its tasks and the user list, the last three side by
// side; 50 contacts with theirs cost one notes and one tasks call more than
// the page.
func TestContactCard(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var card struct {
		Contact struct {
			Name  string
			Notes struct {
				Nodes    []struct{ NoteType, Text string }
				PageInfo struct{ HasNextPage bool }
			}
			Tasks []struct {
				Text            string
				ResponsibleUser struct{ Name string }
			}
		}
	}
	g.data(contactCard, nil, &card)
	c := card.Contact
	if len(c.Notes.Nodes) != 2 || c.Notes.Nodes[0].NoteType != "sms_out" || c.Notes.Nodes[1].Text != "Просил прислать КП до пятницы" || c.Notes.PageInfo.HasNextPage {
		t.Errorf("notes %+v", c.Notes)
	}
	if len(c.Tasks) != 1 || c.Tasks[0].Text != "Встреча в офисе клиента" || c.Tasks[0].ResponsibleUser.Name == "" {
		t.Errorf("open tasks %+v", c.Tasks)
	}
	g.wantCalls(t, map[string]int{routeContact: 1, routeNotes: 1, routeTasks: 1, routeUsers: 1}, 4)
	for _, q := range g.queries(routeTasks) {
		if !strings.Contains(q, "filter%5Bis_completed%5D=0") || !strings.Contains(q, "filter%5Bentity_type%5D=contacts") {
			t.Errorf("tasks call %s, want open tasks of contacts", q)
		}
	}

	g.sb.ResetCalls()
	r := g.do(`{ contacts(first: 50) { nodes { id notes(first: 2) { nodes { id } } tasks { id } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	g.wantCalls(t, map[string]int{"GET /api/v4/contacts": 1, routeNotes: 1, routeTasks: 1}, 3)
}

// TestTaskWrites: tasks are created and completed with their result, read
// back in full; amoCRM's validation errors come back per item with their
// paths, and nothing is written.
func TestTaskWrites(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	type payload struct {
		Tasks []struct {
			ID, Text, RequestID, EntityType string
			IsCompleted                     bool
			Result                          *string
		}
		UserErrors []struct {
			Code, Message string
			Field         []string
			Index         *int
		}
	}
	var created struct{ CreateTasks payload }
	g.data(`mutation { createTasks(input: [
		{text: "Позвонить", completeTill: "2030-01-01T12:00:00Z", entityType: CONTACTS, entityId: 3, requestId: "call"},
		{text: "Без сущности", completeTill: 1900000000, taskTypeId: 2}]) {
		tasks { id text requestId entityType isCompleted result } userErrors { code message field index } } }`, nil, &created)
	ct := created.CreateTasks
	if len(ct.UserErrors) > 0 || len(ct.Tasks) != 2 || ct.Tasks[0].RequestID != "call" || ct.Tasks[0].EntityType != "CONTACTS" || ct.Tasks[1].Text != "Без сущности" {
		t.Fatalf("createTasks %+v", ct)
	}
	g.wantCalls(t, map[string]int{routeCreateTasks: 1, routeTasks: 1}, 2)

	g.sb.ResetCalls()
	var done struct{ UpdateTasks payload }
	g.data(`mutation($id: ID!) { updateTasks(input: [{id: $id, isCompleted: true, result: "Договорились о встрече"}]) {
		tasks { id isCompleted result } userErrors { code message field } } }`, map[string]any{"id": ct.Tasks[0].ID}, &done)
	if u := done.UpdateTasks; len(u.UserErrors) > 0 || len(u.Tasks) != 1 || !u.Tasks[0].IsCompleted || u.Tasks[0].Result == nil || *u.Tasks[0].Result != "Договорились о встрече" {
		t.Fatalf("updateTasks %+v", u)
	}
	g.wantCalls(t, map[string]int{routeUpdateTasks: 1, routeTasks: 1}, 2)

	g.sb.ResetCalls()
	var idsOnly struct{ CreateTasks payload }
	g.data(`mutation { createTasks(input: [{text: "x", completeTill: 1900000000}]) { tasks { id requestId } userErrors { code } } }`, nil, &idsOnly)
	if len(idsOnly.CreateTasks.Tasks) != 1 || idsOnly.CreateTasks.Tasks[0].RequestID != "0" {
		t.Errorf("ids only: %+v", idsOnly.CreateTasks)
	}
	g.wantCalls(t, map[string]int{routeCreateTasks: 1}, 1)

	cases := []struct {
		name, mutation string
		code           string
		field          string
	}{
		{"unknown task type", `mutation { createTasks(input: [{text: "a", completeTill: 1900000000}, {text: "b", completeTill: 1900000000, taskTypeId: 999}]) { tasks { id } userErrors { code message field index } } }`,
			"NotSupportedChoice", "input,1,taskTypeId"},
		{"unknown task", `mutation { updateTasks(input: [{id: 999999, text: "a"}]) { tasks { id } userErrors { code message field index } } }`,
			"NotFound", "input,0"},
		{"empty batch", `mutation { createTasks(input: []) { tasks { id } userErrors { code message field index } } }`,
			"BAD_USER_INPUT", "input"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g.sb.ResetCalls()
			r := g.do(c.mutation, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("top-level errors: %+v", r.Errors)
			}
			var data map[string]payload
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatal(err)
			}
			for _, p := range data {
				if len(p.Tasks) != 0 || len(p.UserErrors) == 0 {
					t.Fatalf("payload %+v", p)
				}
				ue := p.UserErrors[0]
				if ue.Code != c.code || !strings.HasPrefix(strings.Join(ue.Field, ","), c.field) {
					t.Errorf("userError %+v, want code %s at %s", ue, c.code, c.field)
				}
			}
			if got := g.calls(routeTasks); got != 0 {
				t.Errorf("%d reads after a refused write", got)
			}
		})
	}
}
