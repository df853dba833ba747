package gateway

import (
	"testing"
)

// The upstream cost of representative queries: each is the fewest calls the
// v4 API allows for what the query selects. README's cost table lists the
// same queries; keep the two in step.
func TestUpstreamCalls(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		query string
		want  map[string]int
		total int
	}{
		{
			name:  "contact by id without relations",
			query: `{ contact(id: 3) { id name phones } }`,
			want:  map[string]int{routeContact: 1}, total: 1,
		},
		{
			name:  "contact lead ids answer from the embedded ids",
			query: `{ contact(id: 3) { id leads { id } customers { id __typename } } }`,
			want:  map[string]int{routeContact: 1}, total: 1,
		},
		{
			name:  "50 contacts with lead and company names",
			query: `{ contacts(first: 50) { nodes { name leads { name } companies { name } } } }`,
			want:  map[string]int{routeContacts: 1, routeLeads: 1, routeCompanies: 1}, total: 3,
		},
		{
			name:  "250 contacts with company names",
			query: `{ contacts(first: 250) { nodes { name companies { name } } } }`,
			want:  map[string]int{routeContacts: 1, routeCompanies: 1}, total: 2,
		},
		{
			name: "aliases and fragments of the same relations cost one call each",
			query: `{ a: contacts(first: 20) { nodes { ...F deals: leads { price } } }
			          b: contacts(first: 20) { edges { node { ... on Contact { leads { name } } } } } }
			        fragment F on Contact { leads { name } companies { name } }`,
			want: map[string]int{routeContacts: 2, routeLeads: 1, routeCompanies: 1}, total: 4,
		},
		{
			name:  "contacts with chats",
			query: `{ contacts(first: 30) { nodes { id chats { chatId } } } }`,
			want:  map[string]int{routeContacts: 1, routeChats: 1}, total: 2,
		},
		{
			name:  "nested lists cost one call per level",
			query: `{ contacts(first: 50) { nodes { companies { name contacts { name leads { name contacts { name } } } } } } }`,
			// contacts page, companies, the companies' contacts, their leads, the leads' contacts
			want: map[string]int{routeContacts: 3, routeCompanies: 1, routeLeads: 1}, total: 5,
		},
		{
			name:  "lead with its contacts and company",
			query: `{ lead(id: 1) { name contacts { name } companies { name } } }`,
			want:  map[string]int{routeLeadByID: 1, routeContacts: 1, routeCompanies: 1}, total: 3,
		},
		{
			name:  "company with contacts and their leads",
			query: `{ company(id: 1) { name contacts { name leads { name } } leads { name } } }`,
			want:  map[string]int{routeCompanyGet: 1, routeContacts: 1, routeLeads: 1}, total: 3,
		},
		{
			name:  "chat links with their contacts",
			query: `{ chatLinks(contactIds: [3102959, 3]) { chatId contact { name } } }`,
			want:  map[string]int{routeChats: 1, routeContacts: 1}, total: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			r := g.do(tc.query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			g.wantCalls(t, tc.want, tc.total)
		})
	}
}

// Relations resolve to the right objects, consistent both ways.
func TestRelations_Consistent(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct {
		Contacts struct {
			Nodes []struct {
				ID    string
				Leads []struct {
					ID       string
					Contacts []struct{ ID string }
				}
				Companies []struct {
					ID       string
					Contacts []struct{ ID string }
				}
				CatalogElements []struct {
					ID        string
					CatalogID string
					Quantity  float64
					Element   *struct{ ID, Name, CatalogID string }
				}
			}
		}
	}
	g.data(`{ contacts(first: 250) { nodes { id
		leads { id contacts { id } } companies { id contacts { id } }
		catalogElements { id catalogId quantity element { id name catalogId } } } } }`, nil, &got)
	var leads, companies, elements int
	for _, c := range got.Contacts.Nodes {
		for _, l := range c.Leads {
			leads++
			if !hasID(l.Contacts, c.ID) {
				t.Errorf("lead %s does not list contact %s back", l.ID, c.ID)
			}
		}
		for _, co := range c.Companies {
			companies++
			if !hasID(co.Contacts, c.ID) {
				t.Errorf("company %s does not list contact %s back", co.ID, c.ID)
			}
		}
		for _, e := range c.CatalogElements {
			elements++
			if e.Element == nil || e.Element.ID != e.ID || e.Element.CatalogID != e.CatalogID || e.Element.Name == "" {
				t.Errorf("catalog element link %+v resolved to %+v", e, e.Element)
			}
		}
	}
	if leads == 0 || companies == 0 || elements == 0 {
		t.Errorf("demo data shows too little: %d leads, %d companies, %d catalog elements", leads, companies, elements)
	}
}

func hasID(list []struct{ ID string }, id string) bool {
	for _, x := range list {
		if x.ID == id {
			return true
		}
	}
	return false
}

// README's cost table is CostQueries; this keeps every row true.
func TestCostTable(t *testing.T) {
	t.Parallel()
	for _, q := range CostQueries {
		t.Run(q.Name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			r := g.do(q.Query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			if got := g.sb.TotalCalls(); got != q.Calls || q.Calls != q.Minimum {
				t.Errorf("upstream calls = %d, table says %d (minimum %d): %+v", got, q.Calls, q.Minimum, g.sb.Requests())
			}
			for _, req := range g.sb.Requests() {
				if req.Route == routeContact && !contains(q.Query, "leads") && contains(req.RawQuery, "with") {
					t.Errorf("contact by id sent with= though no relation needs it: %s", req.RawQuery)
				}
			}
		})
	}
}
