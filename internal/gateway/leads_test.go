package gateway

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

type lead struct {
	ID                string
	Name              string
	Price             int
	StatusID          string
	PipelineID        string
	ResponsibleUserID string
	CreatedAt         string
	ClosedAt          *string
	RequestID         *string
	Status            *struct{ ID, Name string }
	Pipeline          *struct{ ID, Name string }
	ResponsibleUser   *struct{ ID, Name string }
	Contacts          []struct{ ID, Name string }
	Companies         []struct{ ID, Name string }
	Tags              []struct{ Name string }
}

type leadPage struct {
	Leads struct {
		Nodes []lead
		Edges []struct {
			Cursor string
			Node   lead
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func leadIDs(ls []lead) []int {
	out := make([]int, len(ls))
	for i, l := range ls {
		out[i], _ = strconv.Atoi(l.ID)
	}
	return out
}

// A page of leads carries every scalar of the v4 lead, costs one call and
// knows whether another page follows.
func TestLeads_Page(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p leadPage
	g.data(`{ leads(first: 5, orderBy: {field: ID, direction: ASC}) {
		nodes { id name price statusId pipelineId responsibleUserId createdAt closedAt tags { name } companies { id } }
		edges { cursor node { id } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, &p)
	ls := p.Leads.Nodes
	if len(ls) != 5 || len(p.Leads.Edges) != 5 {
		t.Fatalf("got %d nodes, %d edges, want 5", len(ls), len(p.Leads.Edges))
	}
	if ids := leadIDs(ls); !slices.IsSorted(ids) || ids[0] <= 0 {
		t.Errorf("ids %v not ascending", ids)
	}
	for _, l := range ls {
		if l.Name == "" || l.PipelineID == "" || l.StatusID == "" || l.ResponsibleUserID == "" {
			t.Errorf("lead %+v lacks scalars", l)
		}
		if _, err := time.Parse(time.RFC3339, l.CreatedAt); err != nil {
			t.Errorf("createdAt %q: %v", l.CreatedAt, err)
		}
	}
	pi := p.Leads.PageInfo
	if !pi.HasNextPage || pi.HasPreviousPage || *pi.StartCursor != p.Leads.Edges[0].Cursor || *pi.EndCursor != p.Leads.Edges[4].Cursor {
		t.Errorf("pageInfo = %+v", pi)
	}
	g.wantCalls(t, map[string]int{routeLeads: 1}, 1)
	if q := g.queries(routeLeads)[0]; contains(q, "with") {
		t.Errorf("no relation needs with=, sent %s", q)
	}
}

// Each filter and order reaches amoCRM, and what comes back satisfies it.
func TestLeads_FiltersAndOrder(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var all leadPage
	g.data(`{ leads(first: 3, orderBy: {field: ID, direction: ASC}) { nodes { id name } } }`, nil, &all)
	ids := leadIDs(all.Leads.Nodes)
	main := strconv.Itoa(sandbox.PipelineMain)
	for _, tt := range []struct {
		name, args string
		ok         func(lead) bool
	}{
		{"ids", `filter: {ids: [` + strconv.Itoa(ids[0]) + `, ` + strconv.Itoa(ids[2]) + `]}`,
			func(l lead) bool { return l.ID == strconv.Itoa(ids[0]) || l.ID == strconv.Itoa(ids[2]) }},
		{"names", `filter: {names: ["` + all.Leads.Nodes[1].Name + `"]}`, func(l lead) bool { return l.Name == all.Leads.Nodes[1].Name }},
		{"price", `filter: {price: {from: 10000, to: 50000}}`, func(l lead) bool { return l.Price >= 10000 && l.Price <= 50000 }},
		{"pipelineIds", `filter: {pipelineIds: [` + strconv.Itoa(sandbox.PipelineRepeat) + `]}`,
			func(l lead) bool { return l.PipelineID == strconv.Itoa(sandbox.PipelineRepeat) }},
		{"won in main", `filter: {statuses: [{pipelineId: ` + main + `, statusId: 142}]}`,
			func(l lead) bool { return l.PipelineID == main && l.StatusID == "142" && l.ClosedAt != nil }},
		{"whole pipeline", `filter: {statuses: [{pipelineId: ` + main + `}]}`, func(l lead) bool { return l.PipelineID == main }},
		{"responsible", `filter: {responsibleUserIds: [504142]}`, func(l lead) bool { return l.ResponsibleUserID == "504142" }},
		{"createdAt", `filter: {createdAt: {from: "2024-01-01T00:00:00Z", to: "2024-12-31T23:59:59Z"}}`,
			func(l lead) bool { return l.CreatedAt >= "2024-01-01" && l.CreatedAt < "2025-01-01" }},
		{"closedAt", `filter: {closedAt: {from: "2023-01-01T00:00:00Z"}}`, func(l lead) bool { return l.ClosedAt != nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p leadPage
			g.data(`{ leads(first: 250, `+tt.args+`) { nodes { id name price statusId pipelineId responsibleUserId createdAt closedAt } } }`, nil, &p)
			if len(p.Leads.Nodes) == 0 {
				t.Fatal("no leads match; the filter test proves nothing")
			}
			for _, l := range p.Leads.Nodes {
				if !tt.ok(l) {
					t.Errorf("lead %+v does not satisfy %s", l, tt.args)
				}
			}
		})
	}
	for _, o := range []string{"ID", "CREATED_AT", "UPDATED_AT"} {
		var asc, desc leadPage
		g.data(`{ leads(first: 250, orderBy: {field: `+o+`, direction: ASC}) { nodes { id } } }`, nil, &asc)
		g.data(`{ leads(first: 250, orderBy: {field: `+o+`, direction: DESC}) { nodes { id } } }`, nil, &desc)
		if len(asc.Leads.Nodes) == 0 || asc.Leads.Nodes[0].ID == desc.Leads.Nodes[0].ID {
			t.Errorf("order %s: ascending and descending start alike (%v)", o, asc.Leads.Nodes[:1])
		}
	}
}

// Paging forward visits every lead of a filter once, in order; cursors of
// another list or other arguments, and limits beyond amoCRM's, are refused
// before any call.
func TestLeads_Paging(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	const q = `query($first: Int, $after: String, $last: Int, $before: String) {
		leads(first: $first, after: $after, last: $last, before: $before, filter: {pipelineIds: [5000001]}, orderBy: {field: ID, direction: ASC}) {
			edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	var walked []string
	var cursors []string
	for after := any(nil); ; {
		var p leadPage
		g.data(q, map[string]any{"first": 70, "after": after}, &p)
		for _, e := range p.Leads.Edges {
			walked = append(walked, e.Node.ID)
			cursors = append(cursors, e.Cursor)
		}
		if !p.Leads.PageInfo.HasNextPage {
			break
		}
		after = *p.Leads.PageInfo.EndCursor
		if len(walked) > 5000 {
			t.Fatal("no end")
		}
	}
	if len(walked) < 100 {
		t.Fatalf("walked %d leads; the demo pipeline holds more", len(walked))
	}
	if !slices.IsSorted(leadIDs(func() []lead {
		out := make([]lead, len(walked))
		for i, id := range walked {
			out[i].ID = id
		}
		return out
	}())) {
		t.Error("walk is not in id order")
	}
	// Backward from the tenth item: the nine before it, in order.
	var back leadPage
	g.sb.ResetCalls()
	g.data(q, map[string]any{"last": 9, "before": cursors[9]}, &back)
	var got []string
	for _, e := range back.Leads.Edges {
		got = append(got, e.Node.ID)
	}
	if !slices.Equal(got, walked[:9]) || back.Leads.PageInfo.HasPreviousPage || !back.Leads.PageInfo.HasNextPage {
		t.Errorf("backward page = %v %+v, want %v", got, back.Leads.PageInfo, walked[:9])
	}
	g.wantCalls(t, map[string]int{routeLeads: 1}, 1)

	var contacts page
	g.data(`{ contacts(first: 1) { edges { cursor } } }`, nil, &contacts)
	g.sb.ResetCalls()
	for _, tt := range []struct {
		query string
		vars  map[string]any
		want  string
	}{
		{`{ leads(first: 251) { nodes { id } } }`, nil, "first must be between 0 and 250"},
		{`{ leads(first: -1) { nodes { id } } }`, nil, "first must be between 0 and 250"},
		{`{ leads(last: 5) { nodes { id } } }`, nil, "last needs before"},
		{`query($a: String) { leads(after: $a) { nodes { id } } }`, map[string]any{"a": contacts.Contacts.Edges[0].Cursor}, "belongs to a query with other arguments"},
		{`query($a: String) { leads(after: $a) { nodes { id } } }`, map[string]any{"a": cursors[0]}, "belongs to a query with other arguments"},
		{`{ leads(after: "nope") { nodes { id } } }`, nil, "invalid cursor"},
		{`{ leads(filter: {price: {from: 5, to: 1}}) { nodes { id } } }`, nil, "filter.price: from is above to"},
	} {
		r := g.do(tt.query, tt.vars)
		if r.code(0) != "BAD_USER_INPUT" || !contains(r.Errors[0].Message, tt.want) {
			t.Errorf("%s: errors = %+v, want BAD_USER_INPUT %q", tt.query, r.Errors, tt.want)
		}
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("refused queries made %d upstream calls", n)
	}
	// first: 0 asks amoCRM only when hasNextPage is selected.
	var empty leadPage
	g.data(`{ leads(first: 0) { nodes { id } pageInfo { hasNextPage } } }`, nil, &empty)
	if len(empty.Leads.Nodes) != 0 || !empty.Leads.PageInfo.HasNextPage {
		t.Errorf("first: 0 = %+v", empty.Leads)
	}
	g.wantCalls(t, map[string]int{routeLeads: 1}, 1)
}

// The sales board: leads by pipeline and stage with the stage's and the
// responsible user's names costs the leads call and at most one read of the
// users and one of the pipelines, however many leads the page holds.
func TestLeads_SalesBoard(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p leadPage
	g.data(`{ leads(first: 250, filter: {statuses: [{pipelineId: 5000001}]}) {
		nodes { id name price status { id name } pipeline { id name } responsibleUser { id name } } } }`, nil, &p)
	if len(p.Leads.Nodes) < 50 {
		t.Fatalf("board holds %d leads", len(p.Leads.Nodes))
	}
	for _, l := range p.Leads.Nodes {
		if l.Status == nil || l.Status.Name == "" || l.Pipeline == nil || l.Pipeline.Name == "" || l.ResponsibleUser == nil || l.ResponsibleUser.Name == "" {
			t.Fatalf("lead %s: status %+v pipeline %+v user %+v", l.ID, l.Status, l.Pipeline, l.ResponsibleUser)
		}
	}
	g.wantCalls(t, map[string]int{routeLeads: 1, routeUsers: 1, routePipelines: 1}, 3)
}

// A lead's contacts selected on the list add with=contacts to its one call,
// and their names are read for the whole page in one batched call.
func TestLeads_RelationsOneCallPerLevel(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p leadPage
	g.data(`{ leads(first: 100, orderBy: {field: ID, direction: ASC}) { nodes { id contacts { id name } companies { id name } } } }`, nil, &p)
	withContacts, withCompanies := 0, 0
	for _, l := range p.Leads.Nodes {
		if len(l.Contacts) > 0 {
			withContacts++
			if l.Contacts[0].Name == "" {
				t.Errorf("lead %s: contact without name", l.ID)
			}
		}
		if len(l.Companies) > 0 {
			withCompanies++
		}
	}
	if withContacts == 0 || withCompanies == 0 {
		t.Fatalf("%d leads with contacts, %d with companies: the test proves nothing", withContacts, withCompanies)
	}
	if q := g.queries(routeLeads); len(q) != 1 || !contains(q[0], "with=contacts") {
		t.Errorf("leads calls = %v, want one with=contacts", q)
	}
	g.wantCalls(t, map[string]int{routeLeads: 1, routeContacts: 1, routeCompanies: 1}, 3)
}
