package sandbox

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
)

// Every relation is stored on both sides; this checks they agree.
func TestDemoConsistency(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 2, 10, 300} {
		st := New(WithContacts(n)).store
		for _, c := range st.contacts {
			for _, id := range c.LeadIDs {
				l := st.leads[id]
				if l == nil || !slices.ContainsFunc(l.Contacts, func(r contactRef) bool { return r.ID == c.ID }) {
					t.Errorf("n=%d: contact %d lists lead %d, which does not list it", n, c.ID, id)
				}
			}
			for _, id := range c.CustomerIDs {
				cu := st.customers[id]
				if cu == nil || !slices.ContainsFunc(cu.Contacts, func(r contactRef) bool { return r.ID == c.ID }) {
					t.Errorf("n=%d: contact %d lists customer %d, which does not list it", n, c.ID, id)
				}
			}
			if c.CompanyID != 0 && !slices.Contains(st.companies[c.CompanyID].ContactIDs, c.ID) {
				t.Errorf("n=%d: contact %d's company %d does not list it", n, c.ID, c.CompanyID)
			}
			checkElements(t, st, c.Elements)
			checkTags(t, st, entContacts, c.TagIDs)
		}
		for _, l := range st.leads {
			mains := 0
			for _, r := range l.Contacts {
				if ct := st.contacts[r.ID]; ct == nil || !slices.Contains(ct.LeadIDs, l.ID) {
					t.Errorf("n=%d: lead %d lists contact %d, which does not list it", n, l.ID, r.ID)
				}
				mains += btoi(r.IsMain)
			}
			if len(l.Contacts) > 0 && (mains != 1 || !l.Contacts[0].IsMain) {
				t.Errorf("n=%d: lead %d has %d main contacts", n, l.ID, mains)
			}
			if l.CompanyID != 0 && !slices.Contains(st.companies[l.CompanyID].LeadIDs, l.ID) {
				t.Errorf("n=%d: lead %d's company does not list it", n, l.ID)
			}
			if (l.StatusID == StatusWon || l.StatusID == StatusLost) != (l.ClosedAt != nil) {
				t.Errorf("n=%d: lead %d status %d closed_at %v", n, l.ID, l.StatusID, l.ClosedAt)
			}
			checkElements(t, st, l.Elements)
			checkTags(t, st, entLeads, l.TagIDs)
		}
		for _, co := range st.companies {
			for _, id := range co.ContactIDs {
				if st.contacts[id].CompanyID != co.ID {
					t.Errorf("n=%d: company %d lists contact %d, whose company differs", n, co.ID, id)
				}
			}
			for _, id := range co.LeadIDs {
				if st.leads[id].CompanyID != co.ID {
					t.Errorf("n=%d: company %d lists lead %d, whose company differs", n, co.ID, id)
				}
			}
			for _, id := range co.CustomerIDs {
				if st.customers[id].CompanyID != co.ID {
					t.Errorf("n=%d: company %d lists customer %d, whose company differs", n, co.ID, id)
				}
			}
			checkElements(t, st, co.Elements)
		}
		for _, cu := range st.customers {
			for _, r := range cu.Contacts {
				if !slices.Contains(st.contacts[r.ID].CustomerIDs, cu.ID) {
					t.Errorf("n=%d: customer %d lists contact %d, which does not list it", n, cu.ID, r.ID)
				}
			}
			if cu.CompanyID != 0 && !slices.Contains(st.companies[cu.CompanyID].CustomerIDs, cu.ID) {
				t.Errorf("n=%d: customer %d's company does not list it", n, cu.ID)
			}
		}
		for id, l := range st.chats {
			if l.ChatID != id || st.contacts[l.ContactID] == nil {
				t.Errorf("n=%d: chat link %+v", n, l)
			}
		}
	}
}

func checkElements(t *testing.T, st *store, links []elementLink) {
	t.Helper()
	for _, l := range links {
		e := st.elements[l.ElementID]
		if e == nil || e.CatalogID != l.CatalogID || l.PriceID != st.catalogs[l.CatalogID].PriceID || l.Quantity <= 0 {
			t.Errorf("element link %+v", l)
		}
	}
}

func checkTags(t *testing.T, st *store, e string, ids []int) {
	t.Helper()
	for _, id := range ids {
		if st.tags[e][id] == nil {
			t.Errorf("%s tag %d is not in the dictionary", e, id)
		}
	}
}

func TestDemoCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts                                        []Option
		contacts, leads, companies, customers, tags int
		elements, chatsAtLeast                      int
	}{
		{nil, 304, 402, 41, 61, 15, 45, 30},
		{[]Option{WithContacts(30)}, 34, 42, 5, 7, 15, 45, 2},
		{[]Option{WithContacts(0)}, 4, 2, 1, 1, 15, 45, 1},
		{[]Option{WithoutDemoData(), WithContacts(50)}, 0, 0, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		st := New(tt.opts...).store
		got := []int{len(st.contacts), len(st.leads), len(st.companies), len(st.customers), len(st.tags[entContacts]), len(st.elements)}
		want := []int{tt.contacts, tt.leads, tt.companies, tt.customers, tt.tags, tt.elements}
		if !slices.Equal(got, want) || len(st.chats) < tt.chatsAtLeast {
			t.Errorf("counts = %v (chats %d), want %v (chats >= %d)", got, len(st.chats), want, tt.chatsAtLeast)
		}
		if len(st.fields[entContacts].list) != 8 || len(st.users) != 7 || len(st.catalogs) != 2 {
			t.Errorf("schema missing: %d fields, %d users, %d catalogs", len(st.fields[entContacts].list), len(st.users), len(st.catalogs))
		}
	}
}

func TestDemoDeterministic(t *testing.T) {
	t.Parallel()
	_, a := start(t, WithBaseURL(docHost))
	_, b := start(t, WithBaseURL(docHost), WithSeed(1))
	_, c := start(t, WithBaseURL(docHost), WithSeed(2))
	for _, path := range []string{
		"/api/v4/contacts?limit=250&page=2&with=leads,customers,catalog_elements",
		"/api/v4/leads?limit=250&with=contacts",
		"/api/v4/customers?with=contacts",
	} {
		ra, rb, rc := call(t, a, "GET", path, nil), call(t, b, "GET", path, nil), call(t, c, "GET", path, nil)
		if !bytes.Equal(ra.body, rb.body) {
			t.Errorf("%s differs between two sandboxes with seed 1", path)
		}
		if bytes.Equal(ra.body, rc.body) {
			t.Errorf("%s is the same for seeds 1 and 2", path)
		}
	}
}

// The showcase contact has every relation; the one after it has none.
func TestDemoShowcaseContacts(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	var full, bare contactJSON
	call(t, srv, "GET", "/api/v4/contacts/10000001?with=leads,customers,catalog_elements", nil).decode(t, &full)
	call(t, srv, "GET", "/api/v4/contacts/10000002?with=leads,customers,catalog_elements", nil).decode(t, &bare)
	fields := map[int]bool{}
	for _, f := range full.CustomFieldsValues {
		fields[f.FieldID] = true
	}
	e := full.Embedded
	if !fields[FieldPhone] || !fields[FieldEmail] || len(e.Tags) == 0 || len(e.Companies) != 1 ||
		len(e.Leads) < 2 || len(e.Customers) < 1 || len(e.CatalogElements) < 1 {
		t.Errorf("showcase contact lacks a relation: %+v", full)
	}
	if r := call(t, srv, "GET", "/api/v4/contacts/chats?contact_id=10000001", nil); r.status != http.StatusOK {
		t.Errorf("showcase contact chats: status %d", r.status)
	}
	b := bare.Embedded
	if bare.CustomFieldsValues != nil || len(b.Tags)+len(b.Companies)+len(b.Leads)+len(b.Customers)+len(b.CatalogElements) != 0 {
		t.Errorf("bare contact has relations: %+v", bare)
	}
	if r := call(t, srv, "GET", "/api/v4/contacts/chats?contact_id=10000002", nil); r.status != http.StatusNoContent {
		t.Errorf("bare contact chats: status %d", r.status)
	}
}

func TestWithoutDemoDataStillValidates(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	if ids := listIDs(t, srv, "/api/v4/contacts", "contacts"); ids != nil {
		t.Fatalf("contacts = %v", ids)
	}
	r := call(t, srv, "POST", "/api/v4/contacts", `[{"first_name":"Петр","last_name":"Смирнов",
		"custom_fields_values":[{"field_id":271316,"values":[{"value":"Директор"}]}]}]`)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d %s", r.status, r.body)
	}
	if ids := listIDs(t, srv, "/api/v4/contacts", "contacts"); !slices.Equal(ids, []int{40401635}) {
		t.Errorf("contacts = %v", ids)
	}
}
