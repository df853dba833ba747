package amocrm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// masked is what decoding with m must give: the full decoding with every
// member m does not keep at its zero value.
func masked[T any](full T, m *Members) T {
	v := reflect.ValueOf(&full).Elem()
	kept := m.kept[v.Type()]
	keep := map[int]bool{}
	for _, f := range kept {
		keep[f.index] = true
	}
	for i := range v.NumField() {
		switch f := v.Field(i); {
		case !keep[i]:
			f.SetZero()
		case m.related != nil && i == fieldsOf(v.Type())["_embedded"].index && !f.IsNil():
			// _embedded kept in part: its other members stay zero.
			emb := reflect.New(f.Type().Elem())
			emb.Elem().Set(f.Elem())
			for name, ef := range fieldsOf(emb.Elem().Type()) {
				if !m.related[name] {
					emb.Elem().Field(ef.index).SetZero()
				}
			}
			f.Set(emb)
		}
	}
	return full
}

// trickyLeads has what a hand decoder gets wrong: escapes, non-ASCII,
// numbers as strings and fractions (Money), nulls, a null element,
// repeated and unknown names, nested objects under kept and skipped
// members, invalid UTF-8.
var trickyLeads = strings.ReplaceAll(`{"_page":1,"_links":{"next":{"href":"https://x.amocrm.ru/api/v4/leads?page=2"}},"_embedded":{"leads":[
{"id":1,"name":"a\"b\\c\u0001\u2028é😀","price":"1500.5","closed_at":null,"loss_reason_id":7,"score":-0,"is_deleted":true,"unknown":{"x":[1,{"y":null}]},"_links":{"self":{"href":"h"}},"_embedded":{"tags":[{"id":3,"name":"t","color":null}],"companies":[{"id":9,"_links":{"self":{"href":"c"}}}],"contacts":[{"id":4,"is_main":true,"_links":{"self":{"href":"d"}}},null,{"x":[1],"is_main":null,"id":5,"id":6},{}]}},
null,
{"name":"first","id":2,"name":"second","price":12.4,"custom_fields_values":[{"field_id":5,"values":[{"value":"v\u00e9","enum_id":1}]}],"created_at":1700000000,"source_id":123456789012,"group_id":0},
{"id":3,"name":"bad \xff utf8","pipeline_id":1,"status_id":142,"responsible_user_id":-5,"\xffname":"skip me","_embedded":{"contacts":[],"companies":null}},
{}
]}}`, `\xff`, "\xff")

// TestMembersDecodeAsFull: under any set of members, every kept member
// decodes to exactly what full decoding gives and every other is zero,
// for the docs' payloads and for tricky values. Before Members existed
// there was no way to decode part of an entity; this is the contract.
func TestMembersDecodeAsFull(t *testing.T) {
	t.Parallel()
	var sets [][]string
	sets = append(sets, nil, []string{"name", "price"}, []string{"_embedded"}, []string{"custom_fields_values", "_links"},
		[]string{"_embedded.leads"}, []string{"name", "_embedded.companies", "_embedded.tags"}, []string{"_embedded.contacts", "_embedded"},
		[]string{"_embedded.catalog_elements", "_embedded.customers"})
	for n := range fieldsOf(reflect.TypeFor[Lead]()) {
		sets = append(sets, []string{n})
	}
	for n := range fieldsOf(reflect.TypeFor[Contact]()) {
		sets = append(sets, []string{n})
	}
	for _, names := range sets {
		m := NewMembers(names...)
		for _, skip := range []Skip{0, SkipLinks, SkipCustomFields | SkipLinks} {
			name := strings.Join(names, "+")
			t.Run(name, func(t *testing.T) {
				checkMasked[leadList](t, trickyLeads, m, skip)
				checkMasked[Lead](t, fixture(t, "lead_get.json"), m, skip)
				checkMasked[Contact](t, fixture(t, "contact_get.json"), m, skip)
				checkMasked[contactList](t, fixture(t, "contacts_list.json"), m, skip)
				checkMasked[Company](t, fixture(t, "company_get.json"), m, skip)
				checkMasked[Customer](t, fixture(t, "customer_get.json"), m, skip)
			})
		}
	}
}

func checkMasked[T any](t *testing.T, body string, m *Members, skip Skip) {
	t.Helper()
	var full, got T
	if err := decodeSkipping([]byte(body), &full, decoding{skip: skip}); err != nil {
		t.Fatalf("full: %v", err)
	}
	if err := decodeSkipping([]byte(body), &got, decoding{skip: skip, members: m}); err != nil {
		t.Fatalf("with members: %v", err)
	}
	want := maskAll(full, m)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(leadList{}, contactList{})); diff != "" {
		t.Errorf("%T (-want +got):\n%s", full, diff)
	}
}

// maskAll masks T itself if it is an entity, or the entities of a list.
func maskAll[T any](v T, m *Members) T {
	switch x := any(&v).(type) {
	case *Lead:
		*x = masked(*x, m)
	case *Contact:
		*x = masked(*x, m)
	case *Company:
		*x = masked(*x, m)
	case *Customer:
		*x = masked(*x, m)
	case **Contact:
		if *x != nil {
			y := masked(**x, m)
			*x = &y
		}
	case *leadList:
		for i, l := range x.Embedded.Leads {
			if l != nil {
				y := masked(*l, m)
				x.Embedded.Leads[i] = &y
			}
		}
	case *contactList:
		for i, c := range x.Embedded.Contacts {
			if c != nil {
				y := masked(*c, m)
				x.Embedded.Contacts[i] = &y
			}
		}
	}
	return v
}

// TestMembersErrorsAsFull: a kept member whose value does not decode fails
// the answer as full decoding does; the same value in a member not kept is
// scanned and left alone.
func TestMembersErrorsAsFull(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, body, member string }{
		{"fraction in an int", `{"id":1,"group_id":1.5}`, "group_id"},
		{"overflow", `{"id":1,"group_id":123456789012345678901234}`, "group_id"},
		{"string in an int", `{"id":1,"group_id":"7"}`, "group_id"},
		{"number in a string", `{"id":1,"name":7}`, "name"},
		{"bad money", `{"id":1,"price":"lots"}`, "price"},
		{"object in a bool", `{"id":1,"is_deleted":{}}`, "is_deleted"},
		{"array in a pointer", `{"id":1,"score":[]}`, "score"},
		{"bad custom fields", `{"id":1,"custom_fields_values":{"a":1}}`, "custom_fields_values"},
		{"string id of a ref", `{"id":1,"_embedded":{"companies":[{"id":"9"}]}}`, "_embedded"},
		{"refs not a list", `{"id":1,"_embedded":{"companies":{"id":9}}}`, "_embedded"},
		{"ref not an object", `{"id":1,"_embedded":{"companies":[9]}}`, "_embedded"},
		{"bad is_main", `{"id":1,"_embedded":{"contacts":[{"id":9,"is_main":1}]}}`, "_embedded"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var full, kept, other Lead
			errFull := decodeSkipping([]byte(tt.body), &full, decoding{})
			errKept := decodeSkipping([]byte(tt.body), &kept, decoding{members: NewMembers(tt.member)})
			errOther := decodeSkipping([]byte(tt.body), &other, decoding{members: NewMembers("name")})
			if errFull == nil || errKept == nil {
				t.Errorf("full: %v, kept: %v; want both to fail", errFull, errKept)
			}
			if tt.member != "name" && errOther != nil {
				t.Errorf("not kept: %v", errOther)
			}
		})
	}
	// Broken JSON fails however little is kept.
	var l Lead
	if err := decodeSkipping([]byte(`{"id":1,"x":[1,}`), &l, decoding{members: NewMembers()}); err == nil {
		t.Error("broken JSON decoded")
	}
}

// TestMembersThroughClient: WithMembers reaches the decoding of a real
// call; the request is the same.
func TestMembersThroughClient(t *testing.T) {
	t.Parallel()
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		writeJSON(w, http.StatusOK, trickyLeads)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(WithBaseURL(srv.URL), WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	full, _, err := c.Leads.List(context.Background(), &LeadListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fullQuery := query
	m := NewMembers("name")
	got, resp, err := c.Leads.List(WithMembers(context.Background(), m), &LeadListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if query != fullQuery || resp.NextPage != 2 {
		t.Errorf("query %q (want %q), next page %d", query, fullQuery, resp.NextPage)
	}
	var want []*Lead
	for _, l := range full {
		if l == nil {
			want = append(want, nil)
			continue
		}
		x := masked(*l, m)
		want = append(want, &x)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// BenchmarkDecodeLeadList decodes a list of 200 leads in full, with the
// skips a query without custom fields uses, and keeping only the members
// a query of names and prices reads.
func BenchmarkDecodeLeadList(b *testing.B) {
	lead, err := os.ReadFile(filepath.Join("testdata", "lead_get.json"))
	if err != nil {
		b.Fatal(err)
	}
	var body strings.Builder
	body.WriteString(`{"_page":1,"_embedded":{"leads":[`)
	for i := range 200 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(lead)
	}
	body.WriteString(`]}}`)
	data := []byte(body.String())
	for _, c := range []struct {
		name string
		d    decoding
	}{
		{"full", decoding{}},
		{"skip", decoding{skip: skipAll}},
		{"members", decoding{skip: skipAll, members: NewMembers("name", "price")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var l leadList
				if err := decodeSkipping(data, &l, c.d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
