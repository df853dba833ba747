package gateway

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// An object the operation reaches more than once — two aliases of one root
// field, a root field and a relation, a relation at two levels — costs one
// upstream read, carrying every with= the operation needs of its kind.
func TestCalls_SameObjectFetchedOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		query string
		want  map[string]int
		total int
	}{
		{
			name:  "two aliases of one contact with different relations",
			query: `{ a: contact(id: 3) { leads { id } } b: contact(id: 3) { name tags { name } customers { id } } }`,
			want:  map[string]int{routeContact: 1}, total: 1,
		},
		{
			name:  "two aliases of one contact, each with related objects in full",
			query: `{ a: contact(id: 3) { leads { name } } b: contact(id: 3) { customers { name } } }`,
			want:  map[string]int{routeContact: 1, routeLeads: 1, routeCustomers: 1}, total: 3,
		},
		{
			name:  "a contact's chats beside chatLinks of the same contact",
			query: `{ contact(id: 3102959) { name chats { chatId } } chatLinks(contactIds: [3102959]) { chatId } }`,
			want:  map[string]int{routeContact: 1, routeChats: 1}, total: 2,
		},
		{
			name:  "a chat link's contact beside the same contact",
			query: `{ contact(id: 3102959) { name } chatLinks(contactIds: [3102959]) { chatId contact { name phones } } }`,
			want:  map[string]int{routeContact: 1, routeChats: 1}, total: 2,
		},
		{
			name:  "a lead by id beside the same lead under a contact",
			query: `{ lead(id: 20000206) { name price } contact(id: 10000031) { leads { name } } }`,
			want:  map[string]int{routeLeadByID: 1, routeContact: 1}, total: 2,
		},
		{
			name:  "a lead by id reached again through its contact",
			query: `{ lead(id: 20000206) { name contacts { name leads { name price } } } }`,
			want:  map[string]int{routeLeadByID: 1, routeContacts: 1}, total: 2,
		},
		{
			name:  "two aliases of one lead",
			query: `{ a: lead(id: 1) { name } b: lead(id: 1) { price contacts { name } } }`,
			want:  map[string]int{routeLeadByID: 1, routeContacts: 1}, total: 2,
		},
		{
			name:  "two aliases of one company",
			query: `{ a: company(id: 1) { name } b: company(id: 1) { leads { name } } }`,
			want:  map[string]int{routeCompanyGet: 1, routeLeads: 1}, total: 2,
		},
		{
			name:  "contacts of several root fields are read together",
			query: `{ a: contact(id: 3) { name } b: contact(id: 7143599) { name leads { id } } c: contact(id: 999) { name } }`,
			want:  map[string]int{routeContacts: 1}, total: 1,
		},
		{
			name:  "leads of several root fields are read together",
			query: `query($id: ID!) { a: lead(id: 1) { name } b: lead(id: $id) { name } }`,
			want:  map[string]int{routeLeads: 1}, total: 1,
		},
		{
			name:  "chats of several chatLinks fields and a contact's chats are read together",
			query: `{ a: chatLinks(contactIds: [3102959]) { chatId } b: chatLinks(contactIds: [3, 10000001]) { chatId } contact(id: 3) { chats { chatId } } }`,
			want:  map[string]int{routeContact: 1, routeChats: 1}, total: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			r := g.do(tc.query, map[string]any{"id": "20000206"})
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			g.wantCalls(t, tc.want, tc.total)
		})
	}
}

// The aliases of one contact answer from the same read, each with what it
// selected.
func TestCalls_AliasesShareOneRead(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct {
		A struct{ Leads []struct{ ID string } }
		B struct {
			Name      string
			Tags      []struct{ Name string }
			Customers []struct{ ID string }
		}
	}
	g.data(`{ a: contact(id: 3) { leads { id } } b: contact(id: 3) { name tags { name } customers { id } } }`, nil, &got)
	if len(got.A.Leads) != 2 || got.B.Name != "Иван Иванов" || len(got.B.Tags) == 0 || len(got.B.Customers) != 1 {
		t.Errorf("got %+v", got)
	}
	q := g.queries(routeContact)
	if len(q) != 1 {
		t.Fatalf("contact reads: %v", q)
	}
	if w := withOf(q[0]); !slices.Equal(w, []string{"customers", "leads"}) {
		t.Errorf("with = %q, want leads and customers", w)
	}
}

// withOf returns the with= values of an upstream query string, sorted.
func withOf(rawQuery string) []string {
	v, _ := url.ParseQuery(rawQuery)
	if v.Get("with") == "" {
		return nil
	}
	w := strings.Split(v.Get("with"), ",")
	slices.Sort(w)
	return w
}

// Catalog elements are read once per catalog for each level of the query,
// however the per-link resolvers are scheduled, and no element twice.
func TestCalls_CatalogElementsOncePerCatalog(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		query string
		// levels is how many levels of the query select catalog elements.
		levels int
		// fixed are the other calls, by route.
		fixed map[string]int
	}{
		{
			name:   "250 contacts with catalog elements and chats",
			query:  `{ contacts(first: 250) { nodes { id catalogElements { quantity element { name } } chats { chatId } } } }`,
			levels: 1,
			fixed:  map[string]int{routeContacts: 1, routeChats: 1},
		},
		{
			name: "contacts and their leads with catalog elements",
			query: `{ contacts(first: 100) { nodes { catalogElements { element { name } }
				leads { catalogElements { element { name catalogId } } } } } }`,
			levels: 2,
			fixed:  map[string]int{routeContacts: 1, routeLeads: 1},
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
			for route, want := range tc.fixed {
				if got := g.calls(route); got != want {
					t.Errorf("%s: %d calls, want %d", route, got, want)
				}
			}
			perCatalog := map[string]int{}
			seen := map[string]bool{}
			for _, req := range g.sb.Requests() {
				if req.Route != routeElements {
					continue
				}
				catalog := strings.Split(strings.TrimPrefix(req.Path, "/api/v4/catalogs/"), "/")[0]
				perCatalog[catalog]++
				v, _ := url.ParseQuery(req.RawQuery)
				for _, id := range v["filter[id][]"] {
					if seen[catalog+"/"+id] {
						t.Errorf("element %s of catalog %s read twice", id, catalog)
					}
					seen[catalog+"/"+id] = true
				}
			}
			if len(perCatalog) == 0 {
				t.Fatal("no catalog element was read: the demo data no longer covers this")
			}
			for catalog, n := range perCatalog {
				if n > tc.levels {
					t.Errorf("catalog %s read %d times, want at most %d", catalog, n, tc.levels)
				}
			}
			t.Logf("%d upstream calls: %+v", g.sb.TotalCalls(), perCatalog)
		})
	}
}

// TestCalls_EstimateCountsSharedReads: root reads that share one call are
// counted once, so the call budget does not refuse cheap operations.
func TestCalls_EstimateCountsSharedReads(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.MaxUpstreamCalls = 1 }))
	r := g.do(`{ a: contact(id: 3) { name } b: contact(id: 7143599) { name } c: contact(id: 3) { id } }`, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("errors %+v: three contact(id:) cost one call", r.Errors)
	}
	if n := g.sb.TotalCalls(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}
