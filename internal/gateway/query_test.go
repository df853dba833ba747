package gateway

import (
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"
)

const (
	routeContacts   = "GET /api/v4/contacts"
	routeContact    = "GET /api/v4/contacts/{id}"
	routeLeads      = "GET /api/v4/leads"
	routeCompanies  = "GET /api/v4/companies"
	routeCustomers  = "GET /api/v4/customers"
	routeChats      = "GET /api/v4/contacts/chats"
	routeElements   = "GET /api/v4/catalogs/{catalog_id}/elements"
	routeLeadByID   = "GET /api/v4/leads/{id}"
	routeCompanyGet = "GET /api/v4/companies/{id}"
)

type value struct {
	Value    any     `json:"value"`
	EnumID   *string `json:"enumId"`
	EnumCode *string `json:"enumCode"`
	Enum     *string `json:"enum"`
}

type field struct {
	FieldID   string  `json:"fieldId"`
	FieldName string  `json:"fieldName"`
	FieldCode *string `json:"fieldCode"`
	FieldType string  `json:"fieldType"`
	Values    []value `json:"values"`
}

type contact struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	FirstName          string  `json:"firstName"`
	LastName           string  `json:"lastName"`
	ResponsibleUserID  string  `json:"responsibleUserId"`
	GroupID            string  `json:"groupId"`
	CreatedBy          string  `json:"createdBy"`
	UpdatedBy          string  `json:"updatedBy"`
	CreatedAt          string  `json:"createdAt"`
	UpdatedAt          string  `json:"updatedAt"`
	IsDeleted          bool    `json:"isDeleted"`
	ClosestTaskAt      *string `json:"closestTaskAt"`
	AccountID          string  `json:"accountId"`
	CustomFieldsValues []field `json:"customFieldsValues"`
	Phones             []string
	Tags               []struct{ ID, Name string }
	Companies          []struct{ ID, Name string }
	Leads              []struct {
		ID, Name string
		Price    int
	}
	Customers []struct{ ID, Name string }
	Chats     []struct {
		ChatID, ContactID string
	}
	RequestID *string `json:"requestId"`
}

// The contact of the doc's "get by id" example, served by the sandbox, comes
// through with every field and relation.
func TestContact_DocExample(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct{ Contact contact }
	g.data(`query($id: ID!) { contact(id: $id) {
		id name firstName lastName responsibleUserId groupId createdBy updatedBy createdAt updatedAt
		isDeleted closestTaskAt accountId
		customFieldsValues { fieldId fieldName fieldCode fieldType values { value enumId enumCode enum } }
		phones
		tags { id name } companies { id name } leads { id name price } customers { id name }
	} }`, map[string]any{"id": "3"}, &got)
	c := got.Contact
	if c.ID != "3" || c.Name != "Иван Иванов" || c.FirstName != "Иван" || c.LastName != "Иванов" {
		t.Errorf("names = %+v", c)
	}
	if c.ResponsibleUserID != "504141" || c.CreatedBy != "504141" || c.AccountID != "28805383" || c.GroupID != "0" {
		t.Errorf("ids = %+v", c)
	}
	if c.CreatedAt != time.Unix(1582117331, 0).UTC().Format(time.RFC3339) || c.UpdatedAt != "2020-05-31T16:52:09Z" {
		t.Errorf("times = %s %s", c.CreatedAt, c.UpdatedAt)
	}
	if c.ClosestTaskAt != nil {
		t.Errorf("closestTaskAt = %v, want null", *c.ClosestTaskAt)
	}
	if len(c.CustomFieldsValues) == 0 || c.CustomFieldsValues[0].FieldCode == nil || *c.CustomFieldsValues[0].FieldCode != "PHONE" ||
		c.CustomFieldsValues[0].Values[0].Value != "+79123" || c.CustomFieldsValues[0].FieldType != "multitext" {
		t.Errorf("custom fields = %+v", c.CustomFieldsValues)
	}
	if !slices.Equal(c.Phones, []string{"+79123"}) {
		t.Errorf("phones = %v", c.Phones)
	}
	var leadIDs []string
	for _, l := range c.Leads {
		leadIDs = append(leadIDs, l.ID)
		if l.Name == "" {
			t.Errorf("lead %s has no name", l.ID)
		}
	}
	if !slices.Equal(leadIDs, []string{"1", "3916883"}) {
		t.Errorf("leads = %v", leadIDs)
	}
	if len(c.Customers) != 1 || c.Customers[0].ID != "134923" || len(c.Companies) != 1 || c.Companies[0].ID != "1" || c.Companies[0].Name == "" {
		t.Errorf("customers %+v companies %+v", c.Customers, c.Companies)
	}
	// contact + leads + companies + customers: one call each, the last three in parallel.
	for route, want := range map[string]int{routeContact: 1, routeLeads: 1, routeCompanies: 1, routeCustomers: 1} {
		if got := g.calls(route); got != want {
			t.Errorf("%s called %d times, want %d", route, got, want)
		}
	}
	if q := g.queries(routeContact); len(q) != 1 || !slices.Equal(withOf(q[0]), []string{"customers", "leads"}) {
		t.Errorf("contact query = %v, want with=leads,customers", q)
	}
}

func TestContact_NotFoundIsNull(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	r := g.do(`{ contact(id: "999") { id name } }`, nil)
	if len(r.Errors) != 0 || string(r.Data) != `{"contact":null}` {
		t.Fatalf("got %s %+v", r.Data, r.Errors)
	}
	if got := g.sb.TotalCalls(); got != 1 {
		t.Errorf("upstream calls = %d, want 1", got)
	}
}

// Without relations selected, a contact costs one call with no with=.
func TestContact_NoRelationsNoWith(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct{ Contact contact }
	g.data(`{ contact(id: 3) { id name tags { name } companies { id } } }`, nil, &got)
	if got.Contact.Name != "Иван Иванов" || len(got.Contact.Tags) == 0 || len(got.Contact.Companies) != 1 {
		t.Fatalf("contact = %+v", got.Contact)
	}
	q := g.queries(routeContact)
	if g.sb.TotalCalls() != 1 || len(q) != 1 || contains(q[0], "with") {
		t.Errorf("calls = %d, queries = %v; want 1 call without with=", g.sb.TotalCalls(), q)
	}
}

type page struct {
	Contacts struct {
		Nodes []contact
		Edges []struct {
			Cursor string
			Node   contact
		}
		PageInfo struct {
			HasNextPage     bool
			HasPreviousPage bool
			StartCursor     *string
			EndCursor       *string
		}
	}
}

// Paging with first/after walks the whole list once: no item twice, none
// missed, and hasNextPage false exactly on the last page.
func TestContacts_PagesThroughEverything(t *testing.T) {
	t.Parallel()
	for _, first := range []int{1, 7, 50, 100, 250} {
		t.Run("first="+strconv.Itoa(first), func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			seen := map[string]bool{}
			var after any
			pages := 0
			for {
				var p page
				g.data(`query($first: Int, $after: String) { contacts(first: $first, after: $after, orderBy: {field: ID, direction: ASC}) {
					edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
					map[string]any{"first": first, "after": after}, &p)
				pages++
				for _, e := range p.Contacts.Edges {
					if seen[e.Node.ID] {
						t.Fatalf("contact %s seen twice", e.Node.ID)
					}
					seen[e.Node.ID] = true
				}
				if (pages > 1) != p.Contacts.PageInfo.HasPreviousPage {
					t.Fatalf("page %d hasPreviousPage = %v", pages, p.Contacts.PageInfo.HasPreviousPage)
				}
				if !p.Contacts.PageInfo.HasNextPage {
					if len(p.Contacts.Edges) > first {
						t.Fatalf("page longer than first")
					}
					break
				}
				if len(p.Contacts.Edges) != first {
					t.Fatalf("page %d has %d items, want %d while more exist", pages, len(p.Contacts.Edges), first)
				}
				after = *p.Contacts.PageInfo.EndCursor
				if pages > 400 {
					t.Fatal("no end")
				}
			}
			total := countContacts(t, g)
			if len(seen) != total {
				t.Errorf("paged over %d contacts, the list holds %d", len(seen), total)
			}
		})
	}
}

// countContacts reads the whole list straight from amoCRM's pages.
func countContacts(t *testing.T, g *testGateway) int {
	t.Helper()
	n := 0
	for after := any(nil); ; {
		var p page
		g.data(`query($after: String) { contacts(first: 250, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}, &p)
		n += len(p.Contacts.Nodes)
		if !p.Contacts.PageInfo.HasNextPage {
			return n
		}
		after = *p.Contacts.PageInfo.EndCursor
	}
}

func TestContacts_FilterOrderQuery(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)

	t.Run("ids", func(t *testing.T) {
		var p page
		g.data(`{ contacts(filter: {ids: ["3", "7143599", "7767065"]}, orderBy: {field: ID, direction: DESC}) { nodes { id } } }`, nil, &p)
		var ids []string
		for _, n := range p.Contacts.Nodes {
			ids = append(ids, n.ID)
		}
		if !slices.Equal(ids, []string{"7767065", "7143599", "3"}) {
			t.Errorf("ids = %v", ids)
		}
	})
	t.Run("names", func(t *testing.T) {
		var p page
		g.data(`{ contacts(filter: {names: ["dsgdsg"]}) { nodes { id name } } }`, nil, &p)
		if len(p.Contacts.Nodes) != 1 || p.Contacts.Nodes[0].ID != "7767065" {
			t.Errorf("nodes = %+v", p.Contacts.Nodes)
		}
	})
	t.Run("updatedAtOrder", func(t *testing.T) {
		var p page
		g.data(`{ contacts(first: 100, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { id updatedAt } } }`, nil, &p)
		times := make([]string, len(p.Contacts.Nodes))
		for i, n := range p.Contacts.Nodes {
			times[i] = n.UpdatedAt
		}
		if len(times) != 100 || !sort.IsSorted(sort.Reverse(sort.StringSlice(times))) {
			t.Errorf("not sorted by updatedAt desc: %v", times)
		}
	})
	t.Run("createdAtRange", func(t *testing.T) {
		var p page
		g.data(`{ contacts(first: 250, filter: {createdAt: {from: "2020-01-01T00:00:00Z", to: "2020-12-31T23:59:59Z"}}) { nodes { id createdAt } } }`, nil, &p)
		if len(p.Contacts.Nodes) == 0 {
			t.Fatal("no contacts created in 2020; the doc examples are")
		}
		for _, n := range p.Contacts.Nodes {
			if n.CreatedAt < "2020-01-01" || n.CreatedAt > "2020-12-31T23:59:59Z" {
				t.Errorf("contact %s created %s, outside the range", n.ID, n.CreatedAt)
			}
		}
		q := g.queries(routeContacts)
		if last := q[len(q)-1]; !contains(last, "filter%5Bcreated_at%5D%5Bfrom%5D=1577836800") {
			t.Errorf("upstream query %s lacks filter[created_at][from]", last)
		}
	})
	t.Run("responsible", func(t *testing.T) {
		var p page
		g.data(`{ contacts(first: 250, filter: {responsibleUserIds: ["504141"]}) { nodes { id responsibleUserId } } }`, nil, &p)
		if len(p.Contacts.Nodes) == 0 {
			t.Fatal("no contacts of user 504141")
		}
		for _, n := range p.Contacts.Nodes {
			if n.ResponsibleUserID != "504141" {
				t.Errorf("contact %s belongs to %s", n.ID, n.ResponsibleUserID)
			}
		}
	})
	t.Run("query", func(t *testing.T) {
		var p page
		g.data(`{ contacts(query: "+79123") { nodes { id } } }`, nil, &p)
		if len(p.Contacts.Nodes) == 0 || p.Contacts.Nodes[0].ID != "3" {
			t.Errorf("search by phone found %+v", p.Contacts.Nodes)
		}
	})
	t.Run("empty", func(t *testing.T) {
		var p page
		g.data(`{ contacts(query: "no such contact anywhere") { nodes { id } pageInfo { hasNextPage endCursor } } }`, nil, &p)
		if len(p.Contacts.Nodes) != 0 || p.Contacts.PageInfo.HasNextPage || p.Contacts.PageInfo.EndCursor != nil {
			t.Errorf("empty list = %+v", p.Contacts)
		}
	})
}

// Custom field conditions reach amoCRM as filter[custom_fields_values].
func TestContacts_CustomFieldFilter(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p page
	g.data(`{ contacts(filter: {customFields: [{fieldId: 3, values: ["+79123"]}]}) { nodes { id phones } } }`, nil, &p)
	if len(p.Contacts.Nodes) != 1 || p.Contacts.Nodes[0].ID != "3" {
		t.Errorf("by phone: %+v", p.Contacts.Nodes)
	}
	var ranged struct {
		Contacts struct {
			Nodes []struct {
				ID                 string
				CustomFieldsValues []field
			}
		}
	}
	g.data(`{ contacts(first: 250, filter: {customFields: [{fieldId: 271319, from: 30, to: 40}]}) {
		nodes { id customFieldsValues { fieldId values { value } } } } }`, nil, &ranged)
	if len(ranged.Contacts.Nodes) == 0 {
		t.Fatal("no contact aged 30 to 40 in the demo data")
	}
	for _, c := range ranged.Contacts.Nodes {
		ok := false
		for _, f := range c.CustomFieldsValues {
			if f.FieldID == "271319" {
				if n, isNum := f.Values[0].Value.(float64); isNum && n >= 30 && n <= 40 {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("contact %s is outside the range: %+v", c.ID, c.CustomFieldsValues)
		}
	}
	if r := g.do(`{ contacts(filter: {customFields: [{fieldId: 3}]}) { nodes { id } } }`, nil); r.code(0) != "BAD_USER_INPUT" {
		t.Errorf("a condition without values or range: %+v", r.Errors)
	}
}
