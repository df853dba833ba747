package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The examples below are the documentation's (https://www.amocrm.ru/developers/content/crm_platform/contacts-api), with the
// Markdown escapes removed. The sandbox runs with WithBaseURL set to the
// documentation's host so hrefs compare verbatim.
const docHost = "https://example.amocrm.ru"

const docGetContact = `{
"id": 3, "name": "Иван Иванов", "first_name": "Иван", "last_name": "Иванов",
"responsible_user_id": 504141, "group_id": 0, "created_by": 504141, "updated_by": 504141,
"created_at": 1582117331, "updated_at": 1590943929, "closest_task_at": null,
"custom_fields_values": [{"field_id": 3, "field_name": "Телефон", "field_code": "PHONE", "field_type": "multitext",
  "values": [{"value": "+79123", "enum_id": 1, "enum": "WORK"}]}],
"account_id": 28805383,
"_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/3"}},
"_embedded": {
  "tags": [],
  "leads": [
    {"id": 1, "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/leads/1"}}},
    {"id": 3916883, "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/leads/3916883"}}}],
  "customers": [{"id": 134923, "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/customers/134923"}}}],
  "catalog_elements": [],
  "companies": [{"id": 1, "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/companies/1"}}}]}}`

const docListContacts = `[
{"id": 7143599, "name": "1", "first_name": "", "last_name": "", "responsible_user_id": 504141, "group_id": 0,
 "created_by": 504141, "updated_by": 504141, "created_at": 1585758065, "updated_at": 1585758065,
 "closest_task_at": null, "custom_fields_values": null, "account_id": 28805383,
 "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/7143599"}},
 "_embedded": {"tags": [], "companies": []}},
{"id": 7767065, "name": "dsgdsg", "first_name": "", "last_name": "", "responsible_user_id": 504141, "group_id": 0,
 "created_by": 504141, "updated_by": 504141, "created_at": 1586359590, "updated_at": 1586359590,
 "closest_task_at": null, "custom_fields_values": null, "account_id": 28805383,
 "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/7767065"}},
 "_embedded": {"tags": [], "companies": []}}]`

const docPostRequest = `[
{"first_name": "Петр", "last_name": "Смирнов",
 "custom_fields_values": [{"field_id": 271316, "values": [{"value": "Директор"}]}]},
{"name": "Владимир Смирнов", "created_by": 47272, "tags_to_add": [{"name": "Тег контакта"}]}]`

const docPostResponse = `{
"_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts"}},
"_embedded": {"contacts": [
  {"id": 40401635, "request_id": "0", "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/40401635"}}},
  {"id": 40401636, "request_id": "1", "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/40401636"}}}]}}`

const docPatchRequest = `{
"id": 3, "first_name": "Иван", "last_name": "Иванов",
"custom_fields_values": [{"field_id": 66192, "field_name": "Телефон",
  "values": [{"value": "79999999999", "enum_code": "WORK"}]}],
"tags_to_delete": [{"id": 145471}]}`

// docPatchTime is the updated_at of the documentation's PATCH answer.
const docPatchTime = 1590945248

// jsonValue decodes s into a generic value for comparison.
func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

// dropKey deletes key from every object inside v (is_deleted is in the
// documentation's field table but not in its examples).
func dropKey(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, key)
		for _, e := range x {
			dropKey(e, key)
		}
	case []any:
		for _, e := range x {
			dropKey(e, key)
		}
	}
	return v
}

func TestDocExample_GetContact(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	r := call(t, srv, "GET", "/api/v4/contacts/3?with=leads,customers,catalog_elements", nil)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d", r.status)
	}
	got := dropKey(jsonValue(t, string(r.body)), "is_deleted").(map[string]any)
	// Contact 3 carries tag 145471 so that the PATCH example can delete it;
	// the GET example shows no tags. Everything else is verbatim.
	embedded := got["_embedded"].(map[string]any)
	wantTags := jsonValue(t, `[{"id":145471,"name":"Постоянный клиент","color":null}]`)
	if diff := cmp.Diff(wantTags, embedded["tags"]); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	embedded["tags"] = []any{}
	if diff := cmp.Diff(jsonValue(t, docGetContact), any(got)); diff != "" {
		t.Errorf("GET /api/v4/contacts/3 (-doc +got):\n%s", diff)
	}
}

func TestDocExample_ListContacts(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	for _, path := range []string{
		// The example's two contacts are the account's least recently updated.
		"/api/v4/contacts?limit=2&page=1&order[updated_at]=asc",
		"/api/v4/contacts?limit=2&page=1&filter[id][]=7143599&filter[id][]=7767065",
	} {
		r := call(t, srv, "GET", path, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status = %d", path, r.status)
		}
		got := dropKey(jsonValue(t, string(r.body)), "is_deleted").(map[string]any)
		if diff := cmp.Diff(jsonValue(t, docListContacts), got["_embedded"].(map[string]any)["contacts"]); diff != "" {
			t.Errorf("%s (-doc +got):\n%s", path, diff)
		}
		if got["_page"] != 1.0 {
			t.Errorf("%s: _page = %v", path, got["_page"])
		}
	}
	// With only limit and page the links are the example's verbatim.
	var page struct {
		Links map[string]struct{ Href string } `json:"_links"`
	}
	call(t, srv, "GET", "/api/v4/contacts?limit=2&page=1", nil).decode(t, &page)
	want := map[string]struct{ Href string }{
		"self": {docHost + "/api/v4/contacts?limit=2&page=1"},
		"next": {docHost + "/api/v4/contacts?limit=2&page=2"},
	}
	if diff := cmp.Diff(want, page.Links); diff != "" {
		t.Errorf("links (-doc +got):\n%s", diff)
	}
}

func TestDocExample_CreateContacts(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	r := call(t, srv, "POST", "/api/v4/contacts", docPostRequest)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != contentHAL {
		t.Fatalf("status = %d, Content-Type %q, body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if diff := cmp.Diff(jsonValue(t, docPostResponse), jsonValue(t, string(r.body))); diff != "" {
		t.Errorf("POST answer (-doc +got):\n%s", diff)
	}

	var petr, vladimir contactJSON
	call(t, srv, "GET", "/api/v4/contacts/40401635", nil).decode(t, &petr)
	call(t, srv, "GET", "/api/v4/contacts/40401636", nil).decode(t, &vladimir)
	if petr.Name != "Петр Смирнов" || petr.FirstName != "Петр" || petr.LastName != "Смирнов" {
		t.Errorf("first contact = %q (%q %q), want the name made of first and last name", petr.Name, petr.FirstName, petr.LastName)
	}
	if len(petr.CustomFieldsValues) != 1 || petr.CustomFieldsValues[0].FieldName != "Должность" ||
		petr.CustomFieldsValues[0].Values[0].Value != "Директор" {
		t.Errorf("first contact fields = %+v", petr.CustomFieldsValues)
	}
	if vladimir.Name != "Владимир Смирнов" || vladimir.CreatedBy != 47272 || vladimir.ResponsibleUserID != DefaultUserID {
		t.Errorf("second contact = %+v", vladimir)
	}
	if len(vladimir.Embedded.Tags) != 1 || vladimir.Embedded.Tags[0].Name != "Тег контакта" {
		t.Fatalf("second contact tags = %+v", vladimir.Embedded.Tags)
	}
	// tags_to_add by an unknown name creates the tag in the contacts dictionary.
	var tags struct {
		Embedded struct{ Tags []tagJSON } `json:"_embedded"`
	}
	call(t, srv, "GET", "/api/v4/contacts/tags?filter[name]=Тег%20контакта", nil).decode(t, &tags)
	if len(tags.Embedded.Tags) != 1 || tags.Embedded.Tags[0].ID != vladimir.Embedded.Tags[0].ID {
		t.Errorf("dictionary = %+v", tags.Embedded.Tags)
	}
}

func TestDocExample_UpdateContact(t *testing.T) {
	t.Parallel()
	clock := WithClock(func() time.Time { return time.Unix(docPatchTime, 0) })
	wantOne := `{"id": 3, "name": "Иван Иванов", "updated_at": 1590945248,
		"_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/3"}}}`
	tests := []struct {
		name, path, body, want string
	}{
		{"Single", "/api/v4/contacts/3", docPatchRequest, wantOne},
		{"Batch", "/api/v4/contacts", "[" + docPatchRequest + "]", `{
			"_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts"}},
			"_embedded": {"contacts": [{"id": 3, "name": "Иван Иванов", "updated_at": 1590945248, "request_id": "0",
				"_links": {"self": {"href": "https://example.amocrm.ru/api/v4/contacts/3"}}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, srv := start(t, WithBaseURL(docHost), clock)
			r := call(t, srv, "PATCH", tt.path, tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, body %s", r.status, r.body)
			}
			if diff := cmp.Diff(jsonValue(t, tt.want), jsonValue(t, string(r.body))); diff != "" {
				t.Errorf("PATCH answer (-doc +got):\n%s", diff)
			}
			var c contactJSON
			call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &c)
			if len(c.Embedded.Tags) != 0 {
				t.Errorf("tags after tags_to_delete = %+v", c.Embedded.Tags)
			}
			if c.UpdatedAt != docPatchTime {
				t.Errorf("updated_at = %d", c.UpdatedAt)
			}
			// Field 66192 is added; the PHONE field keeps its value.
			want := jsonValue(t, `[
				{"field_id":3,"field_name":"Телефон","field_code":"PHONE","field_type":"multitext",
				 "values":[{"value":"+79123","enum_id":1,"enum":"WORK"}]},
				{"field_id":66192,"field_name":"Телефон","field_code":null,"field_type":"multitext",
				 "values":[{"value":"79999999999","enum_id":66193,"enum_code":"WORK"}]}]`)
			raw, _ := json.Marshal(c.CustomFieldsValues)
			if diff := cmp.Diff(want, jsonValue(t, string(raw))); diff != "" {
				t.Errorf("fields after PATCH (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContactWith(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		with    string
		present []string
		absent  []string
	}{
		{"", []string{"tags", "companies"}, []string{"leads", "customers", "catalog_elements"}},
		{"leads", []string{"tags", "companies", "leads"}, []string{"customers", "catalog_elements"}},
		{"customers,catalog_elements", []string{"customers", "catalog_elements"}, []string{"leads"}},
		{"leads,%20customers%20,catalog_elements,contacts,nonsense", []string{"leads", "customers", "catalog_elements"}, []string{"contacts"}},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/v4/contacts/10000001?with=" + tt.with, "/api/v4/contacts?filter[id]=10000001&with=" + tt.with} {
			m := call(t, srv, "GET", path, nil).object(t)
			if list, ok := m["_embedded"].(map[string]any)["contacts"].([]any); ok {
				m = list[0].(map[string]any)
			}
			embedded := m["_embedded"].(map[string]any)
			for _, k := range tt.present {
				if v, ok := embedded[k].([]any); !ok || len(v) == 0 {
					t.Errorf("%s: _embedded.%s = %v, want a non-empty list", path, k, embedded[k])
				}
			}
			for _, k := range tt.absent {
				if _, ok := embedded[k]; ok {
					t.Errorf("%s: _embedded.%s present", path, k)
				}
			}
		}
	}
}

func TestGetContactMissing(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		path   string
		status int
	}{
		{"/api/v4/contacts/999", http.StatusNoContent},
		{"/api/v4/contacts/-1", http.StatusNoContent},
		{"/api/v4/contacts/abc", http.StatusNotFound},
		{"/api/v4/contacts/1.5", http.StatusNotFound},
	}
	for _, tt := range tests {
		r := call(t, srv, "GET", tt.path, nil)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d", tt.path, r.status, tt.status)
		}
		if tt.status == http.StatusNoContent && len(r.body) != 0 {
			t.Errorf("%s: body = %q, want empty", tt.path, r.body)
		}
	}
}
