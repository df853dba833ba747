package sandbox

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetByID(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		path   string
		status int
	}{
		{"/api/v4/leads/1", 200},
		{"/api/v4/leads/999", 204},
		{"/api/v4/leads/x", 404},
		{"/api/v4/companies/1", 200},
		{"/api/v4/companies/999", 204},
		{"/api/v4/companies/x", 404},
		{"/api/v4/customers/134923", 200},
		{"/api/v4/customers/999", 204},
		{"/api/v4/customers/x", 404},
		{"/api/v4/catalogs/1001/elements/50000001", 200},
		{"/api/v4/catalogs/1002/elements/50000001", 204}, // belongs to 1001
		{"/api/v4/catalogs/1001/elements/x", 404},
		{"/api/v4/catalogs/9999/elements/50000001", 404},
		{"/api/v4/catalogs/9999/elements", 404},
	}
	for _, tt := range tests {
		r := call(t, srv, "GET", tt.path, nil)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d", tt.path, r.status, tt.status)
		}
		if tt.status == 204 && len(r.body) != 0 {
			t.Errorf("%s: body = %q", tt.path, r.body)
		}
		if tt.status == 404 && r.header.Get("Content-Type") != contentProblem {
			t.Errorf("%s: Content-Type = %q", tt.path, r.header.Get("Content-Type"))
		}
	}
}

// embeddedKeys GETs path and returns the keys of its _embedded object.
func embeddedKeys(t *testing.T, r reply) []string {
	t.Helper()
	var keys []string
	for k := range r.object(t)["_embedded"].(map[string]any) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestWith(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		path string
		want []string
	}{
		{"/api/v4/leads/1", []string{"companies", "tags"}},
		{"/api/v4/leads/1?with=contacts,catalog_elements,loss_reason,leads", []string{"catalog_elements", "companies", "contacts", "tags"}},
		{"/api/v4/companies/1", []string{"tags"}},
		{"/api/v4/companies/1?with=leads,customers,contacts,catalog_elements", []string{"catalog_elements", "contacts", "customers", "leads", "tags"}},
		{"/api/v4/customers/134923", []string{"segments", "tags"}},
		{"/api/v4/customers/134923?with=contacts,companies,catalog_elements,leads", []string{"catalog_elements", "companies", "contacts", "segments", "tags"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, embeddedKeys(t, call(t, srv, "GET", tt.path, nil))); diff != "" {
			t.Errorf("%s: _embedded keys (-want +got):\n%s", tt.path, diff)
		}
	}
}

func TestLead(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	r := call(t, srv, "GET", "/api/v4/leads/3916883?with=contacts,source_id,is_price_modified_by_robot", nil)
	const want = `{"id":3916883,"name":"Поставка оборудования для ООО «Ромашка»","price":25000,"responsible_user_id":504141,
		"group_id":0,"status_id":142,"pipeline_id":5000001,"loss_reason_id":null,"source_id":null,"created_by":504141,
		"updated_by":504141,"created_at":1582117331,"updated_at":1590943929,"closed_at":1590000000,"closest_task_at":null,
		"is_deleted":false,"custom_fields_values":null,"score":null,"account_id":28805383,"is_price_modified_by_robot":false,
		"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/3916883"}},
		"_embedded":{"tags":[],
			"companies":[{"id":1,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/companies/1"}}}],
			"contacts":[{"id":3,"is_main":true,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/contacts/3"}}}]}}`
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(r.body))); diff != "" {
		t.Errorf("lead (-want +got):\n%s", diff)
	}
}

func TestLeadFilters(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	collect := func(query string) []leadJSON {
		t.Helper()
		var out []leadJSON
		for page := 1; ; page++ {
			r := call(t, srv, "GET", "/api/v4/leads?limit=250&page="+itoa(page)+"&"+query, nil)
			if r.status == http.StatusNoContent {
				return out
			}
			if r.status != 200 {
				t.Fatalf("%s: status = %d %s", query, r.status, r.body)
			}
			var page struct { // fresh per page: decoding reuses pointers
				Embedded struct{ Leads []leadJSON } `json:"_embedded"`
			}
			r.decode(t, &page)
			out = append(out, page.Embedded.Leads...)
		}
	}
	everything := collect("")
	if len(everything) != 402 {
		t.Fatalf("%d leads, want 402", len(everything))
	}
	tests := []struct {
		name  string
		query string
		keep  func(l leadJSON) bool
	}{
		{"Pipeline", "filter[pipeline_id]=5000002", func(l leadJSON) bool { return l.PipelineID == 5000002 }},
		{"PipelineMulti", "filter[pipeline_id][]=5000002&filter[pipeline_id][]=5000001", func(l leadJSON) bool { return true }},
		{"StatusPair", "filter[statuses][0][pipeline_id]=5000001&filter[statuses][0][status_id]=142",
			func(l leadJSON) bool { return l.PipelineID == 5000001 && l.StatusID == 142 }},
		{"StatusPairs", "filter[statuses][0][pipeline_id]=5000001&filter[statuses][0][status_id]=143&filter[statuses][1][pipeline_id]=5000002&filter[statuses][1][status_id]=5200001",
			func(l leadJSON) bool {
				return (l.PipelineID == 5000001 && l.StatusID == 143) || (l.PipelineID == 5000002 && l.StatusID == 5200001)
			}},
		{"Price", "filter[price][from]=100000&filter[price][to]=200000", func(l leadJSON) bool { return l.Price >= 100000 && l.Price <= 200000 }},
		{"ClosedAt", "filter[closed_at][from]=1700000000", func(l leadJSON) bool { return l.ClosedAt != nil && *l.ClosedAt >= 1700000000 }},
		{"CustomFieldEnumID", "filter[custom_fields_values][580001][]=580012", func(l leadJSON) bool {
			return len(l.CustomFieldsValues) > 0 && slices.ContainsFunc(l.CustomFieldsValues, func(f cfJSON) bool {
				return f.FieldID == 580001 && f.Values[0].Value == "Повторная"
			})
		}},
		{"Responsible", "filter[responsible_user_id]=504145", func(l leadJSON) bool { return l.ResponsibleUserID == 504145 }},
	}
	for _, tt := range tests {
		var want []int
		for _, l := range everything {
			if tt.keep(l) {
				want = append(want, l.ID)
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: the demo data has no matching lead; the test proves nothing", tt.name)
		}
		var got []int
		for _, l := range collect(tt.query) {
			got = append(got, l.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	created := collect("order[created_at]=desc")
	if !slices.IsSortedFunc(created, func(a, b leadJSON) int { return int(b.CreatedAt - a.CreatedAt) }) || len(created) != 402 {
		t.Errorf("order[created_at]=desc not sorted")
	}
}

func TestCatalogElements(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	goods := listIDs(t, srv, "/api/v4/catalogs/1001/elements?limit=250", "elements")
	services := listIDs(t, srv, "/api/v4/catalogs/1002/elements?limit=250", "elements")
	if len(goods) != 30 || len(services) != 15 || goods[0] != 50000001 || services[0] != 50000031 {
		t.Errorf("goods %v, services %v", goods, services)
	}
	tests := []struct {
		query string
		want  []int
	}{
		{"id[]=50000002&id[]=50000005", []int{50000002, 50000005}},
		{"id=50000003", []int{50000003}},
		{"filter[id][]=50000004", []int{50000004}},
		{"id[]=50000031", nil}, // in the other catalog
		{"query=монитор", []int{50000003, 50000004}},
		{"query=GD-0007", []int{50000007}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, listIDs(t, srv, "/api/v4/catalogs/1001/elements?"+tt.query, "elements")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		entity, query string
		want          []int
	}{
		{"contacts", "limit=3", []int{145471, 145472, 145473}},
		{"contacts", "filter[name]=vip", []int{145472}},
		{"contacts", "filter[id][]=145471&filter[id][]=145480", []int{145471, 145480}},
		{"contacts", "query=клиент", []int{145471}},
		{"leads", "query=клиент", []int{246004}},
		{"companies", "filter[name]=Партнёр", []int{247003}},
		{"contacts", "filter[name]=Партнёр", []int{145474}},
		{"customers", "limit=2&page=3", []int{248005}},
		{"customers", "limit=2&page=4", nil},
		{"customers", "order[id]=desc&limit=1", []int{248005}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, listIDs(t, srv, "/api/v4/"+tt.entity+"/tags?"+tt.query, "tags")); diff != "" {
			t.Errorf("%s?%s (-want +got):\n%s", tt.entity, tt.query, diff)
		}
	}
	var leadTags, contactTags struct {
		Embedded struct{ Tags []tagJSON } `json:"_embedded"`
	}
	call(t, srv, "GET", "/api/v4/leads/tags", nil).decode(t, &leadTags)
	call(t, srv, "GET", "/api/v4/contacts/tags", nil).decode(t, &contactTags)
	for _, tg := range leadTags.Embedded.Tags {
		if tg.Color == nil {
			t.Errorf("lead tag %+v has no colour", tg)
		}
	}
	for _, tg := range contactTags.Embedded.Tags {
		if tg.Color != nil {
			t.Errorf("contact tag %+v has a colour", tg)
		}
	}
	if r := call(t, srv, "GET", "/api/v4/tasks/tags", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown entity type: status = %d", r.status)
	}
}

func TestCustomFieldsList(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	var page struct {
		Total    int `json:"_total_items"`
		Embedded struct {
			CustomFields []fieldJSON `json:"custom_fields"`
		} `json:"_embedded"`
	}
	call(t, srv, "GET", "/api/v4/contacts/custom_fields", nil).decode(t, &page)
	byID := map[int]fieldJSON{}
	for _, f := range page.Embedded.CustomFields {
		byID[f.ID] = f
	}
	if page.Total != 8 || len(byID) != 8 {
		t.Fatalf("%d fields (total %d)", len(byID), page.Total)
	}
	var phoneCodes []string
	for _, e := range byID[FieldPhone].Enums {
		phoneCodes = append(phoneCodes, e.Value)
	}
	if diff := cmp.Diff([]string{"WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"}, phoneCodes); diff != "" {
		t.Errorf("PHONE enums (-want +got):\n%s", diff)
	}
	wantTypes := map[int]string{3: "multitext", 5: "multitext", 66192: "multitext", 271316: "text",
		271317: "select", 271318: "checkbox", 271319: "numeric", 271320: "date"}
	for id, typ := range wantTypes {
		if byID[id].Type != typ || byID[id].EntityType != "contacts" {
			t.Errorf("field %d = %+v, want type %s", id, byID[id], typ)
		}
	}
	if byID[FieldPhone2].Code != nil || *byID[FieldPhone].Code != "PHONE" || *byID[FieldEmail].Code != "EMAIL" {
		t.Errorf("codes: %v %v %v", byID[FieldPhone2].Code, byID[FieldPhone].Code, byID[FieldEmail].Code)
	}
}
