package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

const (
	routeUsers     = "GET /api/v4/users"
	routePipelines = "GET /api/v4/leads/pipelines"
)

// board is the sales-board query: contacts with their responsible users and
// their leads' pipelines, stages and responsible users.
const board = `{ contacts(first: 50) { nodes { id responsibleUser { name } leads { id pipeline { name } status { name } responsibleUser { name } } } } }`

type boardData struct {
	Contacts struct {
		Nodes []struct {
			ID              string
			ResponsibleUser *struct{ Name string }
			Leads           []struct {
				ID              string
				Pipeline        *struct{ Name string }
				Status          *struct{ Name string }
				ResponsibleUser *struct{ Name string }
			}
		}
	}
}

func metadataTTL(d time.Duration) gatewayOption {
	return withConfig(func(c *Config) { c.MetadataTTL = d })
}

// TestMetadataQueries: the metadata roots answer the sandbox's demo account,
// each with the one call its list takes.
func TestMetadataQueries(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	cases := []struct {
		name, query string
		want        string // the data, as JSON
		calls       map[string]int
		total       int
	}{
		{
			name:  "user by id",
			query: `{ user(id: 504141) { id name email isAdmin isActive } }`,
			want:  `{"user":{"id":"504141","name":"Администратор","email":"admin@sandbox.example","isAdmin":true,"isActive":true}}`,
			calls: map[string]int{routeUsers: 1}, total: 1,
		},
		{
			name:  "unknown user",
			query: `{ user(id: 999) { id name } }`,
			want:  `{"user":null}`,
			calls: map[string]int{routeUsers: 1}, total: 1,
		},
		{
			name:  "two users under two aliases share the list",
			query: `{ a: user(id: 504141) { name } b: user(id: 504142) { name } }`,
			want:  `{"a":{"name":"Администратор"},"b":{"name":"Елена Соколова"}}`,
			calls: map[string]int{routeUsers: 1}, total: 1,
		},
		{
			name:  "users page",
			query: `{ users(first: 2) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } }`,
			want:  `{"users":{"nodes":[{"id":"47272"},{"id":"504141"}],"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}}}`,
			calls: map[string]int{routeUsers: 1}, total: 1,
		},
		{
			name:  "pipelines with stages",
			query: `{ pipelines { id name isMain statuses { id name color sort type } } }`,
			calls: map[string]int{routePipelines: 1}, total: 1,
		},
		{
			name:  "lead fields",
			query: `{ customFields(entity: LEADS) { id name type sort isRequired enums { id value } } }`,
			calls: map[string]int{"GET /api/v4/leads/custom_fields": 1}, total: 1,
		},
		{
			name:  "contact fields with enums",
			query: `{ customFields(entity: CONTACTS) { id name code type enums { id value code sort } } }`,
			calls: map[string]int{"GET /api/v4/contacts/custom_fields": 1}, total: 1,
		},
		{
			name:  "metadata beside a lead: one call per kind",
			query: `{ lead(id: 3916883) { status { id name } pipeline { name } responsibleUser { name } } pipelines { id } user(id: 504141) { name } }`,
			want:  `{"lead":{"status":{"id":"142","name":"Успешно реализовано"},"pipeline":{"name":"Основная воронка"},"responsibleUser":{"name":"Администратор"}},"pipelines":[{"id":"5000001"},{"id":"5000002"},{"id":"5000003"}],"user":{"name":"Администратор"}}`,
			calls: map[string]int{routeLeadByID: 1, routeUsers: 1, routePipelines: 1}, total: 3,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// One gateway, one sandbox: the cases share the call counters.
			g.sb.ResetCalls()
			r := g.do(c.query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			if c.want != "" && string(r.Data) != c.want {
				t.Errorf("data\n%s\nwant\n%s", r.Data, c.want)
			}
			g.wantCalls(t, c.calls, c.total)
		})
	}
}

// TestMetadataShapes checks what the lists hold, beyond their first items.
func TestMetadataShapes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var d struct {
		Pipelines []struct {
			ID, Name string
			IsMain   bool
			Statuses []struct {
				ID, Name, Color string
				Type            int
			}
		}
		CustomFields []struct {
			ID, Name, Type string
			Code           *string
			Enums          []struct {
				ID, Value string
				Code      *string
			}
		}
	}
	g.data(`{ pipelines { id name isMain statuses { id name color type } } customFields(entity: CONTACTS) { id name code type enums { id value code } } }`, nil, &d)
	if len(d.Pipelines) != 3 || !d.Pipelines[0].IsMain {
		t.Fatalf("pipelines = %+v, want 3 with the main first", d.Pipelines)
	}
	for _, p := range d.Pipelines {
		ids := map[string]bool{}
		for _, s := range p.Statuses {
			ids[s.ID] = true
			if s.Name == "" || s.Color == "" {
				t.Errorf("pipeline %s: stage %+v without name or colour", p.ID, s)
			}
		}
		if !ids["142"] || !ids["143"] {
			t.Errorf("pipeline %s lacks the closing stages: %+v", p.ID, p.Statuses)
		}
	}
	var phone bool
	for _, f := range d.CustomFields {
		if f.Code != nil && *f.Code == "PHONE" {
			phone = f.Type == "multitext" && len(f.Enums) > 0
		}
	}
	if !phone {
		t.Errorf("contact fields lack PHONE as a multitext with enums: %+v", d.CustomFields)
	}
}

// TestMetadataUsersPaging: cursors page through the user list like the
// contacts connection's, and a cursor of another list is refused.
func TestMetadataUsersPaging(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	type page struct {
		Users struct {
			Edges []struct {
				Cursor string
				Node   struct{ ID string }
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				EndCursor                    *string
			}
		}
	}
	var all, seen []string
	var p page
	g.data(`{ users(first: 250) { edges { node { id } } } }`, nil, &p)
	for _, e := range p.Users.Edges {
		all = append(all, e.Node.ID)
	}
	after := any(nil)
	for range 10 {
		p = page{}
		g.data(`query($after: String) { users(first: 3, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`,
			map[string]any{"after": after}, &p)
		for _, e := range p.Users.Edges {
			seen = append(seen, e.Node.ID)
		}
		if p.Users.PageInfo.HasPreviousPage != (after != nil) {
			t.Errorf("hasPreviousPage = %v after %v", p.Users.PageInfo.HasPreviousPage, after)
		}
		if !p.Users.PageInfo.HasNextPage {
			break
		}
		after = *p.Users.PageInfo.EndCursor
	}
	if len(all) < 4 || len(seen) != len(all) {
		t.Fatalf("paged %v, whole list %v", seen, all)
	}
	for i := range all {
		if seen[i] != all[i] {
			t.Fatalf("paged %v, whole list %v", seen, all)
		}
	}
	var c struct {
		Contacts struct{ PageInfo struct{ EndCursor string } }
	}
	g.data(`{ contacts(first: 1) { pageInfo { endCursor } } }`, nil, &c)
	r := g.do(`query($a: String) { users(after: $a) { nodes { id } } }`, map[string]any{"a": c.Contacts.PageInfo.EndCursor})
	if r.code(0) != "BAD_USER_INPUT" {
		t.Errorf("a contacts cursor on users: %+v", r.Errors)
	}
}

// TestMetadataBoardCalls: a board of contacts and their leads with
// responsible users, pipelines and stages costs one call per kind of
// metadata, and none while METADATA_TTL keeps them; relations selecting only
// id cost nothing.
func TestMetadataBoardCalls(t *testing.T) {
	t.Parallel()
	onlyIDs := `{ contacts(first: 50) { nodes { responsibleUser { id } leads { name pipeline { id } status { id } responsibleUser { id } } } } }`
	cases := []struct {
		name         string
		ttl          time.Duration
		query        string
		first, again int // total calls of the first query and of the same query again
		metaAgain    int // users and pipelines calls of the second
	}{
		{"kept for METADATA_TTL", time.Minute, board, 4, 2, 0},
		{"METADATA_TTL 0: once per request", 0, board, 4, 4, 2},
		{"only ids", time.Minute, onlyIDs, 2, 2, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil, metadataTTL(c.ttl))
			var d boardData
			g.data(c.query, nil, &d)
			meta := 0
			if c.first == 4 {
				meta = 1
			}
			g.wantCalls(t, map[string]int{routeContacts: 1, routeLeads: 1, routeUsers: meta, routePipelines: meta}, c.first)
			if c.query == board {
				checkBoard(t, d)
			}
			g.sb.ResetCalls()
			g.data(c.query, nil, &d)
			g.wantCalls(t, map[string]int{routeContacts: 1, routeLeads: 1}, c.again)
			if got := g.calls(routeUsers) + g.calls(routePipelines); got != c.metaAgain {
				t.Errorf("metadata calls of the same query again = %d, want %d", got, c.metaAgain)
			}
		})
	}
}

// checkBoard: every contact and lead of the board names its user, pipeline
// and stage.
func checkBoard(t *testing.T, d boardData) {
	t.Helper()
	leads := 0
	for _, n := range d.Contacts.Nodes {
		if n.ResponsibleUser == nil || n.ResponsibleUser.Name == "" {
			t.Errorf("contact %s: responsibleUser %+v", n.ID, n.ResponsibleUser)
		}
		for _, l := range n.Leads {
			leads++
			if l.Pipeline == nil || l.Status == nil || l.ResponsibleUser == nil ||
				l.Pipeline.Name == "" || l.Status.Name == "" || l.ResponsibleUser.Name == "" {
				t.Errorf("lead %s: pipeline %+v status %+v responsibleUser %+v", l.ID, l.Pipeline, l.Status, l.ResponsibleUser)
			}
		}
	}
	if len(d.Contacts.Nodes) != 50 || leads < 20 {
		t.Errorf("%d contacts with %d leads: the demo data should fill a board", len(d.Contacts.Nodes), leads)
	}
}

// TestMetadataFailure: when the users call fails, responsibleUser is null
// with an error at its path and the rest answers; the failure is not kept,
// so the next query reads the list again.
func TestMetadataFailure(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	g := startGateway(t, sb, metadataTTL(time.Minute))
	sb.SetFaults(sandbox.Faults{PathStatus: map[string]int{"/api/v4/users": 403}})
	q := `{ lead(id: 3916883) { name responsibleUser { name } status { name } } }`
	r := g.do(q, nil)
	var d struct {
		Lead struct {
			Name            string
			ResponsibleUser *struct{ Name string }
			Status          *struct{ Name string }
		}
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	if d.Lead.Name == "" || d.Lead.ResponsibleUser != nil || d.Lead.Status == nil || d.Lead.Status.Name == "" {
		t.Errorf("data = %s, want the lead and its stage with responsibleUser null", r.Data)
	}
	if len(r.Errors) != 1 || r.code(0) != "FORBIDDEN" || len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "responsibleUser" {
		t.Errorf("errors = %+v, want one FORBIDDEN at lead.responsibleUser", r.Errors)
	}
	sb.ClearFaults()
	sb.ResetCalls()
	r = g.do(q, nil)
	if len(r.Errors) > 0 || !contains(string(r.Data), "Администратор") {
		t.Errorf("after the fault: %s %+v", r.Data, r.Errors)
	}
	if n := g.calls(routeUsers); n != 1 {
		t.Errorf("users calls after the fault = %d, want 1 (a failed read is not kept)", n)
	}
}

// TestMetadataBesideFirstCall: the users and pipelines a board reads are
// requested beside its contacts call, not once the leads have arrived, so
// they add no round trip. Before the plan named them, they arrived after
// the leads call.
func TestMetadataBesideFirstCall(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	sb.SetFaults(sandbox.Faults{Latency: 300 * time.Millisecond}) // a margin for a busy machine
	g := startGateway(t, sb, metadataTTL(0))
	var d boardData
	g.data(board, nil, &d)
	checkBoard(t, d)
	arrived := map[string]time.Time{}
	for _, r := range sb.Requests() {
		if _, seen := arrived[r.Route]; !seen {
			arrived[r.Route] = r.At
		}
	}
	leads, ok := arrived[routeLeads]
	if !ok {
		t.Fatalf("no leads call: %v", arrived)
	}
	for _, route := range []string{routeUsers, routePipelines} {
		if at, ok := arrived[route]; !ok || !at.Before(leads) {
			t.Errorf("%s arrived at %v, the leads call at %v: it waited for the leads", route, at, leads)
		}
	}
}

// TestContactCardOneRoundTrip: a contact read by id has its notes, its
// tasks and the users its tasks name read beside it, not after it: every
// call of the contact card reaches the sandbox before the contact's answer
// leaves it. On the resolvers the notes and tasks wait for the contact.
func TestContactCardOneRoundTrip(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	const latency = 300 * time.Millisecond
	sb.SetFaults(sandbox.Faults{Latency: latency})
	g := startGateway(t, sb, metadataTTL(0))
	resp := g.do(`{ contact(id: 3) { name notes(first: 5) { nodes { text } } tasks(isCompleted: false) { text responsibleUser { name } } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %v", resp.Errors)
	}
	var contactAt time.Time
	arrived := map[string]time.Time{}
	for _, r := range sb.Requests() {
		arrived[r.Route] = r.At
		if r.Route == routeContact {
			contactAt = r.At
		}
	}
	if contactAt.IsZero() || len(arrived) != 4 {
		t.Fatalf("calls: %v", arrived)
	}
	for route, at := range arrived {
		if at.Sub(contactAt) >= latency {
			t.Errorf("%s arrived %v after the contact call: it waited for its answer", route, at.Sub(contactAt))
		}
	}
}
