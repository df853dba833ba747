package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// listIDs GETs path and returns the ids of the page (nil for a 204).
func listIDs(t *testing.T, srv *httptest.Server, path, plural string) []int {
	t.Helper()
	r := call(t, srv, "GET", path, nil)
	switch r.status {
	case http.StatusNoContent:
		if len(r.body) != 0 {
			t.Fatalf("%s: 204 with body %q", path, r.body)
		}
		return nil
	case http.StatusOK:
	default:
		t.Fatalf("%s: status = %d, body %s", path, r.status, r.body)
	}
	var page struct {
		Embedded map[string][]struct{ ID int } `json:"_embedded"`
	}
	r.decode(t, &page)
	var ids []int
	for _, e := range page.Embedded[plural] {
		ids = append(ids, e.ID)
	}
	return ids
}

// Without generated contacts the account holds the documentation's four:
// 3, 3102959, 7143599 and 7767065.
func TestContactFilters(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithContacts(0))
	tests := []struct {
		name  string
		query string
		want  []int
	}{
		{"All", "", []int{3, 3102959, 7143599, 7767065}},
		{"IDBrackets", "filter[id][]=3&filter[id][]=7143599", []int{3, 7143599}},
		{"IDIndexed", "filter[id][0]=3&filter[id][1]=7143599", []int{3, 7143599}},
		{"IDRepeatedKey", "filter[id]=3&filter[id]=7143599", []int{3, 7143599}},
		{"IDSameIndexRepeated", "filter[id][0]=3&filter[id][0]=7143599", []int{3, 7143599}},
		{"IDScalar", "filter[id]=7767065", []int{7767065}},
		{"IDEscapedBrackets", "filter%5Bid%5D%5B%5D=3", []int{3}},
		{"IDUnknown", "filter[id]=42", nil},
		{"Name", "filter[name]=dsgdsg", []int{7767065}},
		{"NameMulti", "filter[name][]=1&filter[name][]=Иван%20Иванов", []int{3, 7143599}},
		{"ResponsibleUser", "filter[responsible_user_id][]=504141", []int{3, 3102959, 7143599, 7767065}},
		{"ResponsibleUserOther", "filter[responsible_user_id]=504142", nil},
		{"CreatedBy", "filter[created_by][]=504141&filter[created_by][]=1", []int{3, 3102959, 7143599, 7767065}},
		{"UpdatedBy", "filter[updated_by]=47272", nil},
		{"CreatedAtRange", "filter[created_at][from]=1585758065&filter[created_at][to]=1586359590", []int{7143599, 7767065}},
		{"CreatedAtTo", "filter[created_at][to]=1585758065", []int{3, 7143599}},
		{"CreatedAtFrom", "filter[created_at][from]=1586359590", []int{3102959, 7767065}},
		{"UpdatedAtRange", "filter[updated_at][from]=1590000000&filter[updated_at][to]=1590943929", []int{3, 3102959}},
		{"ClosestTaskAtNeverNull", "filter[closest_task_at][from]=0", nil},
		{"CustomFieldValue", "filter[custom_fields_values][3][]=%2B79123", []int{3}},
		{"CustomFieldValues", "filter[custom_fields_values][3][]=%2B79123&filter[custom_fields_values][3][]=%2B79991234567", []int{3, 3102959}},
		{"CustomFieldByCodeIgnored", "filter[custom_fields_values][PHONE][]=%2B79123", []int{3, 3102959, 7143599, 7767065}},
		{"UnknownFilterIgnored", "filter[colour]=red", []int{3, 3102959, 7143599, 7767065}},
		{"Combined", "filter[id][]=3&filter[id][]=3102959&filter[updated_at][to]=1590000000", []int{3102959}},
		{"QueryName", "query=иванов", []int{3}},
		{"QueryCaseInsensitive", "query=DSGDSG", []int{7767065}},
		{"QueryPhone", "query=%2B7999", []int{3102959}},
		{"QueryNoMatch", "query=zzz", nil},
		{"OrderUpdatedDesc", "order[updated_at]=desc", []int{3, 3102959, 7767065, 7143599}},
		{"OrderUpdatedAsc", "order[updated_at]=asc", []int{7143599, 7767065, 3102959, 3}},
		{"OrderIDDesc", "order[id]=DESC", []int{7767065, 7143599, 3102959, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := listIDs(t, srv, "/api/v4/contacts?"+tt.query, "contacts")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomFieldRangeFilter(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	body := `[
		{"name":"a","custom_fields_values":[{"field_id":271319,"values":[{"value":25}]}]},
		{"name":"b","custom_fields_values":[{"field_id":271319,"values":[{"value":40}]}]},
		{"name":"c","custom_fields_values":[{"field_id":271318,"values":[{"value":true}]}]}]`
	if r := call(t, srv, "POST", "/api/v4/contacts", body); r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	tests := []struct {
		query string
		want  []int
	}{
		{"filter[custom_fields_values][271319][from]=30", []int{40401636}},
		{"filter[custom_fields_values][271319][to]=30", []int{40401635}},
		{"filter[custom_fields_values][271319][from]=20&filter[custom_fields_values][271319][to]=50", []int{40401635, 40401636}},
		{"filter[custom_fields_values][271319][]=40", []int{40401636}},
		{"filter[custom_fields_values][271318][]=1", []int{40401637}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, listIDs(t, srv, "/api/v4/contacts?"+tt.query, "contacts")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestListBadParams(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		query, code, path string
	}{
		{"limit=251", "OutOfRange", "limit"},
		{"limit=0", "OutOfRange", "limit"},
		{"limit=-5", "OutOfRange", "limit"},
		{"limit=ten", "InvalidType", "limit"},
		{"page=0", "OutOfRange", "page"},
		{"page=x", "InvalidType", "page"},
		{"order[name]=asc", "NotSupportedChoice", "order"},
		{"order[created_at]=asc", "NotSupportedChoice", "order"},
		{"order[id]=up", "NotSupportedChoice", "order.id"},
		{"order[id]=asc&order[updated_at]=desc", "NotSupportedChoice", "order"},
		{"filter[id][]=abc", "InvalidType", "filter.id"},
		{"filter[created_at][from]=yesterday", "InvalidType", "filter.created_at.from"},
		{"filter[custom_fields_values][3][to]=x", "InvalidType", "filter.custom_fields_values.3.to"},
	}
	for _, tt := range tests {
		r := call(t, srv, "GET", "/api/v4/contacts?"+tt.query, nil)
		if r.status != http.StatusBadRequest || r.header.Get("Content-Type") != contentProblem {
			t.Errorf("%s: status = %d (%s)", tt.query, r.status, r.header.Get("Content-Type"))
			continue
		}
		var p problem
		r.decode(t, &p)
		want := problem{
			ValidationErrors: []elementErrors{{RequestID: "0", Errors: []fieldError{{Code: tt.code, Path: tt.path}}}},
			Title:            "Bad Request", Type: "https://httpstatus.es/400", Status: 400, Detail: "Request validation failed",
		}
		for i := range p.ValidationErrors {
			for j := range p.ValidationErrors[i].Errors {
				p.ValidationErrors[i].Errors[j].Detail = ""
			}
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}
	if r := call(t, srv, "GET", "/api/v4/contacts?limit=250", nil); r.status != http.StatusOK {
		t.Errorf("limit=250: status = %d", r.status)
	}
}

type pageLinksJSON struct {
	Page  int `json:"_page"`
	Links map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
	Embedded map[string][]struct{ ID int } `json:"_embedded"`
}

func TestPaging(t *testing.T) {
	t.Parallel()
	// 4 documentation contacts + 10 generated = 14 contacts.
	_, always := start(t, WithContacts(10), WithBaseURL(docHost))
	_, exact := start(t, WithContacts(10), WithBaseURL(docHost), WithAlwaysNext(false))
	const base = docHost + "/api/v4/contacts?"
	tests := []struct {
		name   string
		srv    *httptest.Server
		query  string
		status int
		count  int
		links  map[string]string
	}{
		{"First", always, "limit=5", 200, 5, map[string]string{
			"self": base + "limit=5&page=1", "next": base + "limit=5&page=2"}},
		{"Middle", always, "limit=5&page=2", 200, 5, map[string]string{
			"self": base + "limit=5&page=2", "next": base + "limit=5&page=3", "prev": base + "limit=5&page=1"}},
		{"LastAlwaysNext", always, "page=3&limit=5", 200, 4, map[string]string{
			"self": base + "limit=5&page=3", "next": base + "limit=5&page=4", "prev": base + "limit=5&page=2"}},
		{"PastEnd", always, "limit=5&page=4", 204, 0, nil},
		{"FarPastEnd", always, "limit=250&page=99999999", 204, 0, nil},
		{"DefaultLimit", always, "", 200, 14, map[string]string{
			"self": base + "limit=50&page=1", "next": base + "limit=50&page=2"}},
		{"KeepsOtherParams", always, "filter[id][]=3&limit=1&with=leads", 200, 1, map[string]string{
			"self": base + "filter[id][]=3&with=leads&limit=1&page=1", "next": base + "filter[id][]=3&with=leads&limit=1&page=2"}},
		{"ExactMiddle", exact, "limit=5&page=2", 200, 5, map[string]string{
			"self": base + "limit=5&page=2", "next": base + "limit=5&page=3", "prev": base + "limit=5&page=1"}},
		{"ExactLast", exact, "limit=5&page=3", 200, 4, map[string]string{
			"self": base + "limit=5&page=3", "prev": base + "limit=5&page=2"}},
		{"ExactPastEnd", exact, "limit=5&page=4", 204, 0, nil},
	}
	for _, tt := range tests {
		r := call(t, tt.srv, "GET", "/api/v4/contacts?"+tt.query, nil)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d", tt.name, r.status, tt.status)
			continue
		}
		if tt.status == 204 {
			continue
		}
		var p pageLinksJSON
		r.decode(t, &p)
		links := map[string]string{}
		for k, v := range p.Links {
			links[k] = v.Href
		}
		if diff := cmp.Diff(tt.links, links); diff != "" {
			t.Errorf("%s: links (-want +got):\n%s", tt.name, diff)
		}
		if len(p.Embedded["contacts"]) != tt.count {
			t.Errorf("%s: %d contacts, want %d", tt.name, len(p.Embedded["contacts"]), tt.count)
		}
		if _, hasTotal := r.object(t)["_total_items"]; hasTotal {
			t.Errorf("%s: entity lists carry no totals", tt.name)
		}
	}
}

// Following next links until a 204 visits every contact once.
func TestPagingWalk(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithContacts(37))
	seen := map[int]bool{}
	path := "/api/v4/contacts?limit=7&order[updated_at]=desc"
	for range 20 {
		r := call(t, srv, "GET", path, nil)
		if r.status == http.StatusNoContent {
			break
		}
		var p pageLinksJSON
		r.decode(t, &p)
		for _, c := range p.Embedded["contacts"] {
			if seen[c.ID] {
				t.Fatalf("contact %d seen twice", c.ID)
			}
			seen[c.ID] = true
		}
		next, err := url.Parse(p.Links["next"].Href)
		if err != nil {
			t.Fatal(err)
		}
		path = next.RequestURI()
	}
	if len(seen) != 41 {
		t.Errorf("walked %d contacts, want 41", len(seen))
	}
}

func TestSplitBrackets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		root string
		segs []string
		ok   bool
	}{
		{"page", "page", nil, true},
		{"filter[id]", "filter", []string{"id"}, true},
		{"filter[id][]", "filter", []string{"id", ""}, true},
		{"filter[custom_fields_values][3][from]", "filter", []string{"custom_fields_values", "3", "from"}, true},
		{"filter[id", "", nil, false},
		{"filter[id]x", "", nil, false},
	}
	for _, tt := range tests {
		root, segs, ok := splitBrackets(tt.key)
		if root != tt.root || !cmp.Equal(segs, tt.segs) || ok != tt.ok {
			t.Errorf("splitBrackets(%q) = %q %q %v", tt.key, root, segs, ok)
		}
	}
}
