package gateway

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

// TestCustomerNotes: addNotes writes to customers, and the notes of every
// customer of a page come in one call (GET /api/v4/customers/notes with
// filter[entity_id][] naming them all), each customer with its own.
func TestCustomerNotes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	const other = sandbox.FirstGeneratedCustomerID
	var added struct {
		AddNotes struct {
			Notes      []struct{ ID, RequestID string }
			UserErrors []struct{ Code, Message string }
		}
	}
	g.data(fmt.Sprintf(`mutation { addNotes(entity: CUSTOMERS, input: [
		{entityId: %d, text: "Оплатил первую поставку", requestId: "a"},
		{entityId: %d, text: "Просит скидку"},
		{entityId: %d, noteType: SMS_OUT, text: "Напоминание о покупке", params: {phone: "+79123"}}]) {
		notes { id requestId } userErrors { code message } } }`, sandbox.DocCustomerID, sandbox.DocCustomerID, other), nil, &added)
	if a := added.AddNotes; len(a.UserErrors) > 0 || len(a.Notes) != 3 || a.Notes[0].RequestID != "a" || a.Notes[1].RequestID != "1" {
		t.Fatalf("addNotes(CUSTOMERS) %+v", a)
	}
	g.wantCalls(t, map[string]int{routeAddNotes: 1}, 1) // ids and request ids come with the write

	g.sb.ResetCalls()
	var page struct {
		Customers struct {
			Nodes []struct {
				ID    string
				Notes struct {
					Nodes []struct {
						ID, NoteType string
						Text         *string
					}
				}
			}
		}
	}
	g.data(fmt.Sprintf(`{ customers(filter: {ids: [%d, %d]}, orderBy: {field: ID, direction: ASC}) {
		nodes { id notes { nodes { id noteType text } } } } }`, sandbox.DocCustomerID, other), nil, &page)
	got := map[string][]string{}
	for _, c := range page.Customers.Nodes {
		for _, n := range c.Notes.Nodes {
			got[c.ID] = append(got[c.ID], n.NoteType+":"+*n.Text)
		}
	}
	// Newest first; the generated customer may have demo notes of its own,
	// older than the one added.
	doc, gen := got[fmt.Sprint(sandbox.DocCustomerID)], got[fmt.Sprint(other)]
	if fmt.Sprint(doc) != "[common:Просит скидку common:Оплатил первую поставку]" || len(gen) == 0 || gen[0] != "sms_out:Напоминание о покупке" {
		t.Errorf("customers' notes %v", got)
	}
	g.wantCalls(t, map[string]int{routeCustomers: 1, routeNotes: 1}, 2)
	for _, q := range g.queries(routeNotes) {
		v, _ := url.ParseQuery(q)
		if ids := v["filter[entity_id][]"]; len(ids) != 2 {
			t.Errorf("notes call %s, want both customers in filter[entity_id][]", q)
		}
	}
	for _, r := range g.sb.Requests() {
		if r.Route == routeNotes && !strings.HasPrefix(r.Path, "/api/v4/customers/") {
			t.Errorf("notes read from %s, want /api/v4/customers/notes", r.Path)
		}
	}
}

// TestTasksOrder: orderBy sends amoCRM's order[field]=asc|desc, the page
// comes in that order, cursors walk it without losing or repeating a task,
// and a cursor of one order is refused by a query of another.
func TestTasksOrder(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	type task struct {
		ID                      string
		CreatedAt, CompleteTill time.Time
	}
	type page struct {
		Tasks struct {
			Nodes    []task
			PageInfo struct{ EndCursor, StartCursor string }
		}
	}
	const q = `query($order: TaskOrder, $first: Int, $after: String, $last: Int, $before: String) {
		tasks(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: {entityType: LEADS}) {
			nodes { id createdAt completeTill } pageInfo { startCursor endCursor } } }`
	cases := []struct {
		field, direction, param string
		key                     func(task) int64
	}{
		{"COMPLETE_TILL", "ASC", "order[complete_till]=asc", func(t task) int64 { return t.CompleteTill.Unix() }},
		{"COMPLETE_TILL", "DESC", "order[complete_till]=desc", func(t task) int64 { return t.CompleteTill.Unix() }},
		{"CREATED_AT", "DESC", "order[created_at]=desc", func(t task) int64 { return t.CreatedAt.Unix() }},
		{"ID", "DESC", "order[id]=desc", func(t task) int64 { n := 0; fmt.Sscan(t.ID, &n); return int64(n) }},
	}
	for _, c := range cases {
		t.Run(c.field+" "+c.direction, func(t *testing.T) {
			order := map[string]any{"field": c.field, "direction": c.direction}
			g.sb.ResetCalls()
			var all page
			g.data(q, map[string]any{"order": order, "first": 6}, &all)
			nodes := all.Tasks.Nodes
			if len(nodes) != 6 {
				t.Fatalf("%d tasks, want 6", len(nodes))
			}
			sorted := slices.IsSortedFunc(nodes, func(a, b task) int {
				if c.direction == "DESC" {
					a, b = b, a
				}
				return int(c.key(a) - c.key(b))
			})
			if !sorted {
				t.Errorf("tasks not in %s %s: %+v", c.field, c.direction, nodes)
			}
			if qs := g.queries(routeTasks); len(qs) != 1 || !strings.Contains(unescape(qs[0]), c.param) {
				t.Errorf("tasks calls %v, want one with %s", qs, c.param)
			}
			var p1, p2, back page
			g.data(q, map[string]any{"order": order, "first": 3}, &p1)
			g.data(q, map[string]any{"order": order, "first": 3, "after": p1.Tasks.PageInfo.EndCursor}, &p2)
			g.data(q, map[string]any{"order": order, "last": 2, "before": p2.Tasks.PageInfo.StartCursor}, &back)
			if got := nodeList(append(p1.Tasks.Nodes, p2.Tasks.Nodes...)); got != nodeList(nodes) {
				t.Errorf("two pages %s, one page %s", got, nodeList(nodes))
			}
			if got := nodeList(back.Tasks.Nodes); got != nodeList(nodes[1:3]) {
				t.Errorf("last 2 before the second page %s, want %s", got, nodeList(nodes[1:3]))
			}
			// A cursor of this order pages no other.
			r := g.do(q, map[string]any{"first": 3, "after": p1.Tasks.PageInfo.EndCursor})
			if r.code(0) != "BAD_USER_INPUT" {
				t.Errorf("a cursor of order %s %s paged the unordered list: %+v", c.field, c.direction, r.Errors)
			}
		})
	}
}

func nodeList[T any](nodes []T) string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = fmt.Sprint(n)
	}
	return strings.Join(out, " ")
}

func unescape(q string) string {
	s, err := url.QueryUnescape(q)
	if err != nil {
		return q
	}
	return s
}

// TestNotesBackward: an entity's notes page backward with last and before
// as every other connection does: the same window, hasPreviousPage and
// hasNextPage true whenever items precede or follow it, last without
// before or first refused, and no call beyond the entity's and its notes'.
func TestNotesBackward(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var added struct {
		AddNotes struct{ Notes []struct{ ID string } }
	}
	g.data(`mutation { addNotes(entity: CONTACTS, input: [{entityId: 3, text: "1"}, {entityId: 3, text: "2"}, {entityId: 3, text: "3"}, {entityId: 3, text: "4"}, {entityId: 3, text: "5"}]) { notes { id } } }`, nil, &added)
	if len(added.AddNotes.Notes) != 5 {
		t.Fatalf("added %+v", added)
	}
	type conn struct {
		Nodes    []struct{ ID string }
		Edges    []struct{ Cursor string }
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       string
		}
	}
	const q = `query($first: Int, $after: String, $last: Int, $before: String) { contact(id: 3) {
		notes(first: $first, after: $after, last: $last, before: $before) {
			nodes { id } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`
	get := func(vars map[string]any) conn {
		t.Helper()
		var out struct{ Contact struct{ Notes conn } }
		g.data(q, vars, &out)
		return out.Contact.Notes
	}
	all := get(map[string]any{"first": 50})
	if len(all.Nodes) != 7 {
		t.Fatalf("contact 3 has %d notes, want 7 (2 demo, 5 added)", len(all.Nodes))
	}
	cursor := func(i int) string { return all.Edges[i].Cursor }
	cases := []struct {
		name           string
		vars           map[string]any
		from, to       int // the window of all
		hasPrev, hasNx bool
	}{
		{"last before the fifth", map[string]any{"last": 2, "before": cursor(4)}, 2, 4, true, true},
		{"last before the second", map[string]any{"last": 3, "before": cursor(1)}, 0, 1, false, true},
		{"first and last: the tail of the head", map[string]any{"first": 4, "last": 2}, 2, 4, true, true},
		{"after and before", map[string]any{"after": cursor(1), "before": cursor(5)}, 2, 5, true, true},
		{"last before the end, from a cursor", map[string]any{"last": 2, "after": cursor(3), "first": 3}, 5, 7, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g.sb.ResetCalls()
			got := get(c.vars)
			want := all.Nodes[c.from:c.to]
			if nodeList(got.Nodes) != nodeList(want) || got.PageInfo.HasPreviousPage != c.hasPrev || got.PageInfo.HasNextPage != c.hasNx {
				t.Errorf("page %v prev %v next %v, want %v prev %v next %v",
					got.Nodes, got.PageInfo.HasPreviousPage, got.PageInfo.HasNextPage, want, c.hasPrev, c.hasNx)
			}
			if len(got.Edges) > 0 && (got.PageInfo.StartCursor != cursor(c.from) || got.PageInfo.EndCursor != cursor(c.to-1)) {
				t.Errorf("cursors %q %q, want those of items %d and %d", got.PageInfo.StartCursor, got.PageInfo.EndCursor, c.from, c.to-1)
			}
			g.wantCalls(t, map[string]int{routeContact: 1, routeNotes: 1}, 2)
		})
	}
	refused := []struct {
		name string
		vars map[string]any
	}{
		{"last alone", map[string]any{"last": 2}},
		{"last out of range", map[string]any{"last": 251, "first": 3}},
		{"a cursor of another contact", nil},
	}
	var lead struct {
		Lead struct{ Notes conn }
	}
	g.data(`{ lead(id: 1) { notes { edges { cursor } } } }`, nil, &lead)
	refused[2].vars = map[string]any{"last": 1, "before": lead.Lead.Notes.Edges[0].Cursor}
	for _, c := range refused {
		r := g.do(q, c.vars)
		if r.code(0) != "BAD_USER_INPUT" {
			t.Errorf("%s: %+v, want BAD_USER_INPUT", c.name, r.Errors)
		}
	}
}

// TestCustomerTasks: a customer's tasks are read for the whole page in one
// call (GET /api/v4/tasks?filter[entity_type]=customers&filter[entity_id][]=…),
// each customer answering its own.
func TestCustomerTasks(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	const other = sandbox.FirstGeneratedCustomerID
	var created struct {
		CreateTasks struct {
			Tasks      []struct{ ID string }
			UserErrors []struct{ Code, Message string }
		}
	}
	g.data(fmt.Sprintf(`mutation { createTasks(input: [
		{text: "Предложить продление", completeTill: "2030-01-02T09:00:00Z", entityType: CUSTOMERS, entityId: %d},
		{text: "Уточнить дату покупки", completeTill: "2030-01-03T09:00:00Z", entityType: CUSTOMERS, entityId: %d}]) {
		tasks { id } userErrors { code message } } }`, sandbox.DocCustomerID, other), nil, &created)
	if c := created.CreateTasks; len(c.UserErrors) > 0 || len(c.Tasks) != 2 {
		t.Fatalf("createTasks %+v", c)
	}
	g.sb.ResetCalls()
	var page struct {
		Customers struct {
			Nodes []struct {
				ID    string
				Tasks []struct {
					Text       string
					EntityType string
					EntityID   string
				}
			}
		}
	}
	g.data(fmt.Sprintf(`{ customers(filter: {ids: [%d, %d]}, orderBy: {field: ID, direction: ASC}) {
		nodes { id tasks(isCompleted: false) { text entityType entityId } } } }`, sandbox.DocCustomerID, other), nil, &page)
	got := map[string][]string{}
	for _, c := range page.Customers.Nodes {
		for _, task := range c.Tasks {
			if task.EntityType != "CUSTOMERS" || task.EntityID != c.ID {
				t.Errorf("customer %s has task %+v", c.ID, task)
			}
			got[c.ID] = append(got[c.ID], task.Text)
		}
	}
	if doc, gen := got[fmt.Sprint(sandbox.DocCustomerID)], got[fmt.Sprint(other)]; !slices.Contains(doc, "Предложить продление") ||
		!slices.Contains(gen, "Уточнить дату покупки") || slices.Contains(doc, "Уточнить дату покупки") {
		t.Errorf("tasks by customer: %v", got)
	}
	g.wantCalls(t, map[string]int{routeCustomers: 1, routeTasks: 1}, 2)
}

// TestCustomersListRelations: the customers list names with=contacts and
// with=companies when its customers' relations are selected, so they are
// the customers' own (before, the list never asked amoCRM to embed them and
// every customer answered none), read for the whole page in one call each.
func TestCustomersListRelations(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	type page struct {
		Customers struct {
			Nodes []struct {
				ID        string
				Contacts  []struct{ ID, Name string }
				Companies []struct{ ID string }
			}
		}
	}
	var ids page
	g.data(`{ customers(first: 20) { nodes { id contacts { id } companies { id } } } }`, nil, &ids)
	g.wantCalls(t, map[string]int{routeCustomers: 1}, 1)
	if q := g.queries(routeCustomers); len(q) != 1 || !strings.Contains(unescape(q[0]), "with=companies,contacts") {
		t.Errorf("customers call %q, want with=companies,contacts", q)
	}
	related := 0
	for _, c := range ids.Customers.Nodes {
		related += len(c.Contacts) + len(c.Companies)
	}
	if related == 0 {
		t.Fatalf("no customer of the page has contacts or companies: %+v", ids.Customers.Nodes)
	}
	g.sb.ResetCalls()
	var names page
	g.data(`{ customers(first: 20) { nodes { id contacts { id name } companies { id } } } }`, nil, &names)
	g.wantCalls(t, map[string]int{routeCustomers: 1, routeContacts: 1}, 2)
	for i, c := range names.Customers.Nodes {
		if len(c.Contacts) != len(ids.Customers.Nodes[i].Contacts) {
			t.Errorf("customer %s: %d contacts with names, %d by id", c.ID, len(c.Contacts), len(ids.Customers.Nodes[i].Contacts))
		}
		for _, ct := range c.Contacts {
			if ct.Name == "" {
				t.Errorf("customer %s: contact %s without a name", c.ID, ct.ID)
			}
		}
	}
}
