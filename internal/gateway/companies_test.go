package gateway

import (
	"slices"
	"strconv"
	"testing"
)

type company struct {
	ID, Name          string
	ResponsibleUserID string
	UpdatedAt         string
	RequestID         *string
	ResponsibleUser   *struct{ ID, Name string }
	Contacts          []struct{ ID, Name string }
	Leads             []struct{ ID, Name string }
	Tags              []struct{ Name string }
}

type companyPage struct {
	Companies struct {
		Nodes []company
		Edges []struct {
			Cursor string
			Node   company
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func companyIDs(cs []company) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i], _ = strconv.Atoi(c.ID)
	}
	return out
}

// A page of companies costs one call; filters and order reach amoCRM; a
// forward walk sees every company once; refused arguments cost nothing.
func TestCompanies_PageFiltersPaging(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p companyPage
	g.data(`{ companies(first: 4, orderBy: {field: ID, direction: ASC}) {
		nodes { id name responsibleUserId updatedAt tags { name } }
		edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, &p)
	cs := p.Companies.Nodes
	if len(cs) != 4 || !slices.IsSorted(companyIDs(cs)) || !p.Companies.PageInfo.HasNextPage || p.Companies.PageInfo.HasPreviousPage {
		t.Fatalf("page = %+v", p.Companies)
	}
	g.wantCalls(t, map[string]int{routeCompanies: 1}, 1)

	for _, tt := range []struct {
		name, args string
		ok         func(company) bool
	}{
		{"ids", `filter: {ids: [` + cs[1].ID + `, ` + cs[3].ID + `]}`, func(c company) bool { return c.ID == cs[1].ID || c.ID == cs[3].ID }},
		{"names", `filter: {names: ["` + cs[2].Name + `"]}`, func(c company) bool { return c.Name == cs[2].Name }},
		{"responsible", `filter: {responsibleUserIds: [` + cs[0].ResponsibleUserID + `]}`, func(c company) bool { return c.ResponsibleUserID == cs[0].ResponsibleUserID }},
		{"updatedAt", `filter: {updatedAt: {from: "2024-01-01T00:00:00Z"}}`, func(c company) bool { return c.UpdatedAt >= "2024-01-01" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var f companyPage
			g.data(`{ companies(first: 250, `+tt.args+`) { nodes { id name responsibleUserId updatedAt } } }`, nil, &f)
			if len(f.Companies.Nodes) == 0 {
				t.Fatal("nothing matches; the filter test proves nothing")
			}
			for _, c := range f.Companies.Nodes {
				if !tt.ok(c) {
					t.Errorf("company %+v does not satisfy %s", c, tt.args)
				}
			}
		})
	}
	var desc companyPage
	g.data(`{ companies(first: 1, orderBy: {field: ID, direction: DESC}) { nodes { id } } }`, nil, &desc)
	if desc.Companies.Nodes[0].ID == cs[0].ID {
		t.Error("DESC starts where ASC does")
	}

	const q = `query($after: String) { companies(first: 10, after: $after, orderBy: {field: ID, direction: ASC}) {
		nodes { id } pageInfo { hasNextPage endCursor } } }`
	var walked []int
	for after := any(nil); ; {
		var w companyPage
		g.data(q, map[string]any{"after": after}, &w)
		walked = append(walked, companyIDs(w.Companies.Nodes)...)
		if !w.Companies.PageInfo.HasNextPage {
			break
		}
		after = *w.Companies.PageInfo.EndCursor
		if len(walked) > 10000 {
			t.Fatal("no end")
		}
	}
	if len(walked) <= 30 || !slices.IsSorted(walked) || len(slices.Compact(slices.Clone(walked))) != len(walked) {
		t.Errorf("walk of %d companies is not strictly ascending", len(walked))
	}

	g.sb.ResetCalls()
	for _, tt := range []struct{ query, want string }{
		{`{ companies(first: 300) { nodes { id } } }`, "first must be between 0 and 250"},
		{`{ companies(last: 3) { nodes { id } } }`, "last needs before"},
		{`{ companies(after: "` + p.Companies.Edges[0].Cursor + `", orderBy: {field: ID, direction: DESC}) { nodes { id } } }`, "belongs to a query with other arguments"},
		{`{ companies(filter: {createdAt: {from: 20, to: 10}}) { nodes { id } } }`, "from is after to"},
	} {
		r := g.do(tt.query, nil)
		if r.code(0) != "BAD_USER_INPUT" || !contains(r.Errors[0].Message, tt.want) {
			t.Errorf("%s: errors = %+v, want BAD_USER_INPUT %q", tt.query, r.Errors, tt.want)
		}
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("refused queries made %d upstream calls", n)
	}
}

// A company's contacts and leads selected on the list add with= to its
// one call; the full objects cost one batched call per relation.
func TestCompanies_Relations(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p companyPage
	g.data(`{ companies(first: 50) { edges { node { id contacts { id name } leads { id } responsibleUser { name } } } } }`, nil, &p)
	n := 0
	for _, e := range p.Companies.Edges {
		if len(e.Node.Contacts) > 0 && e.Node.Contacts[0].Name != "" {
			n++
		}
		if e.Node.ResponsibleUser == nil || e.Node.ResponsibleUser.Name == "" {
			t.Errorf("company %s: responsibleUser %+v", e.Node.ID, e.Node.ResponsibleUser)
		}
	}
	if n == 0 {
		t.Fatal("no company with named contacts")
	}
	if q := g.queries(routeCompanies); len(q) != 1 || !contains(q[0], "with=contacts%2Cleads") && !contains(q[0], "with=contacts,leads") {
		t.Errorf("companies calls = %v, want one with=contacts,leads", q)
	}
	g.wantCalls(t, map[string]int{routeCompanies: 1, routeContacts: 1, routeUsers: 1}, 3)
}
