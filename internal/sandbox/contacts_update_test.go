package sandbox

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tagNamesOf lists a contact's tag names in order.
func tagNamesOf(c contactJSON) []string {
	out := []string{}
	for _, tg := range c.Embedded.Tags {
		out = append(out, tg.Name)
	}
	return out
}

// _embedded.tags is the whole tag set, on create, batch update and single
// update alike: [] and null clear it, and when it is sent tags_to_add and
// tags_to_delete are ignored (the official PHP library's note on
// MutateTagsTrait). Contact 3 starts with the one tag 145471.
func TestContactTagSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string // one contact, without id
		want []string
	}{
		{"EmptyClears", `{"_embedded":{"tags":[]}}`, []string{}},
		{"NullClears", `{"_embedded":{"tags":null}}`, []string{}},
		{"Replaces", `{"_embedded":{"tags":[{"id":145475},{"name":"Новый тег"}]}}`, []string{"Оптовик", "Новый тег"}},
		{"WinsOverAddAndDelete", `{"tags_to_add":[{"name":"A"}],"tags_to_delete":[{"id":145475}],"_embedded":{"tags":[{"id":145475}]}}`, []string{"Оптовик"}},
		{"NoTagsKeyUntouched", `{"_embedded":{}}`, []string{"Постоянный клиент"}},
		{"EmbeddedNullUntouched", `{"_embedded":null}`, []string{"Постоянный клиент"}},
		{"AddWithoutSet", `{"tags_to_add":[{"id":145475}]}`, []string{"Постоянный клиент", "Оптовик"}},
	}
	forms := []struct {
		name, path string
		wrap       func(body string) string
	}{
		{"Single", "/api/v4/contacts/3", func(b string) string { return b }},
		{"Batch", "/api/v4/contacts", func(b string) string { return `[{"id":3,` + b[1:] + `]` }},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(form.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				_, srv := start(t)
				if r := call(t, srv, "PATCH", form.path, form.wrap(tt.body)); r.status != http.StatusOK {
					t.Fatalf("status = %d, body %s", r.status, r.body)
				}
				var c contactJSON
				call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &c)
				if diff := cmp.Diff(tt.want, tagNamesOf(c)); diff != "" {
					t.Errorf("tags (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// On create, _embedded.tags is the new contact's tag set, and it wins over
// tags_to_add as on update.
func TestCreateContactTagSet(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name, body string
		want       []string
	}{
		{"SetOnly", `{"_embedded":{"tags":[{"id":145475}]}}`, []string{"Оптовик"}},
		{"SetWinsOverAdd", `{"tags_to_add":[{"name":"A"}],"_embedded":{"tags":[{"name":"B"}]}}`, []string{"B"}},
		{"EmptySet", `{"tags_to_add":[{"name":"A"}],"_embedded":{"tags":[]}}`, []string{}},
		{"AddOnly", `{"tags_to_add":[{"id":145475}]}`, []string{"Оптовик"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := call(t, srv, "POST", "/api/v4/contacts", "["+tt.body+"]")
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, body %s", r.status, r.body)
			}
			var ans struct {
				Embedded struct{ Contacts []writtenJSON } `json:"_embedded"`
			}
			r.decode(t, &ans)
			var c contactJSON
			call(t, srv, "GET", "/api/v4/contacts/"+itoa(ans.Embedded.Contacts[0].ID), nil).decode(t, &c)
			if diff := cmp.Diff(tt.want, tagNamesOf(c)); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

// A tag set is validated like tags_to_add: an unknown id fails the whole
// request and changes nothing.
func TestContactTagSetValidation(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name, method, path, body string
		want                     []verr
	}{
		{"CreateUnknownID", "POST", "/api/v4/contacts", `[{"_embedded":{"tags":[{"id":1}]}}]`,
			[]verr{{"0", "NotSupportedChoice", "_embedded.tags.0.id"}}},
		{"BatchUnknownID", "PATCH", "/api/v4/contacts", `[{"id":3,"_embedded":{"tags":[{"name":"ok"},{"id":1}]}}]`,
			[]verr{{"0", "NotSupportedChoice", "_embedded.tags.1.id"}}},
		{"SingleNoIDOrName", "PATCH", "/api/v4/contacts/3", `{"_embedded":{"tags":[{}]}}`,
			[]verr{{"0", "InvalidType", "_embedded.tags.0"}}},
		{"SingleNotArray", "PATCH", "/api/v4/contacts/3", `{"_embedded":{"tags":{"id":145475}}}`,
			[]verr{{"0", "InvalidType", "_embedded.tags"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := validationErrors(t, call(t, srv, tt.method, tt.path, tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validation errors (-want +got):\n%s", diff)
			}
		})
	}
	var c contactJSON
	call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &c)
	if diff := cmp.Diff([]string{"Постоянный клиент"}, tagNamesOf(c)); diff != "" {
		t.Errorf("tags after failed writes (-want +got):\n%s", diff)
	}
}

// The documentation's update example, verbatim: a single contact object
// with its id, a field named by field_id and field_name, and a tag to
// delete. It is accepted on the batch path as the page shows it, and on the
// contact's own path.
func TestUpdateContactDocExample(t *testing.T) {
	t.Parallel()
	const example = `{
"id": 3,
"first_name": "Иван",
"last_name": "Иванов",
"custom_fields_values": [
{
"field_id": 66192,
"field_name": "Телефон",
"values": [
{
"value": "79999999999",
"enum_code": "WORK"
}
]
}
],
"tags_to_delete": [
{
"id": 145471
}
]
}`
	for _, path := range []string{"/api/v4/contacts", "/api/v4/contacts/3"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			_, srv := start(t)
			r := call(t, srv, "PATCH", path, example)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, body %s", r.status, r.body)
			}
			var c contactJSON
			call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &c)
			if c.FirstName != "Иван" || c.LastName != "Иванов" || len(c.Embedded.Tags) != 0 {
				t.Errorf("contact = %+v", c)
			}
			var phone2 *cfJSON
			for i, f := range c.CustomFieldsValues {
				if f.FieldID == FieldPhone2 {
					phone2 = &c.CustomFieldsValues[i]
				}
			}
			if phone2 == nil || phone2.Values[0].Value != "79999999999" || *phone2.Values[0].EnumCode != "WORK" {
				t.Errorf("fields = %+v", c.CustomFieldsValues)
			}
			if path != "/api/v4/contacts" {
				return
			}
			// The batch path answers with the documented collection.
			var ans struct {
				Embedded struct{ Contacts []writtenJSON } `json:"_embedded"`
			}
			r.decode(t, &ans)
			if len(ans.Embedded.Contacts) != 1 || ans.Embedded.Contacts[0].ID != 3 || *ans.Embedded.Contacts[0].Name != "Иван Иванов" {
				t.Errorf("answer = %s", r.body)
			}
		})
	}
}

// A field sent with "values": null is emptied; a field not sent keeps its
// values, and "custom_fields_values": null changes nothing.
func TestUpdateContactClearField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       []int // field ids left, in order
	}{
		{"NullClearsOne", `{"custom_fields_values":[{"field_id":5,"values":null}]}`, []int{FieldPhone}},
		{"NullByCode", `{"custom_fields_values":[{"field_code":"PHONE","values":null}]}`, []int{FieldEmail}},
		{"EmptyArrayClears", `{"custom_fields_values":[{"field_id":3,"values":[]}]}`, []int{FieldEmail}},
		{"ValuesKeyMissingClears", `{"custom_fields_values":[{"field_id":3}]}`, []int{FieldEmail}},
		{"FieldsNullUntouched", `{"custom_fields_values":null}`, []int{FieldPhone, FieldEmail}},
		{"OtherFieldUntouched", `{"custom_fields_values":[{"field_id":271316,"values":[{"value":"CTO"}]}]}`, []int{FieldPhone, FieldEmail, FieldPosition}},
		{"ClearUnsetField", `{"custom_fields_values":[{"field_id":271316,"values":null}]}`, []int{FieldPhone, FieldEmail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, srv := start(t)
			seed := `{"custom_fields_values":[{"field_id":3,"values":[{"value":"+7"}]},{"field_id":5,"values":[{"value":"a@b.ru"}]}]}`
			for _, body := range []string{seed, tt.body} {
				if r := call(t, srv, "PATCH", "/api/v4/contacts/7143599", body); r.status != http.StatusOK {
					t.Fatalf("PATCH %s: %d %s", body, r.status, r.body)
				}
			}
			var c contactJSON
			call(t, srv, "GET", "/api/v4/contacts/7143599", nil).decode(t, &c)
			got := []int{}
			for _, f := range c.CustomFieldsValues {
				got = append(got, f.FieldID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
