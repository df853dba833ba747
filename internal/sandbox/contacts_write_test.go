package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// verr is one expected validation error, detail aside.
type verr struct{ RequestID, Code, Path string }

// validationErrors flattens a 400 body, checking its fixed fields.
func validationErrors(t *testing.T, r reply) []verr {
	t.Helper()
	if r.status != http.StatusBadRequest || r.header.Get("Content-Type") != contentProblem {
		t.Fatalf("status = %d (%s), body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var p problem
	r.decode(t, &p)
	if p.Title != "Bad Request" || p.Type != "https://httpstatus.es/400" || p.Status != 400 || p.Detail != "Request validation failed" {
		t.Errorf("problem = %+v", p)
	}
	var out []verr
	for _, e := range p.ValidationErrors {
		for _, f := range e.Errors {
			if f.Detail == "" {
				t.Errorf("error %+v has no detail", f)
			}
			out = append(out, verr{e.RequestID, f.Code, f.Path})
		}
	}
	return out
}

func TestCreateContactsValidation(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name string
		body string
		want []verr
	}{
		{"UnknownFieldID", `[{"custom_fields_values":[{"field_id":999,"values":[{"value":"x"}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.field_id"}}},
		{"UnknownFieldCode", `[{"custom_fields_values":[{"field_code":"NOPE","values":[{"value":"x"}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.field_code"}}},
		{"FieldIDAndCodeDisagree", `[{"custom_fields_values":[{"field_id":3,"field_code":"EMAIL","values":[{"value":"x"}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.field_code"}}},
		{"NoFieldNamed", `[{"custom_fields_values":[{"values":[{"value":"x"}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.field_id"}}},
		{"FieldIDNotInt", `[{"custom_fields_values":[{"field_id":"3","values":[{"value":"x"}]}]}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values.0.field_id"}}},
		{"NumericGivenText", `[{"custom_fields_values":[{"field_id":271319,"values":[{"value":"abc"}]}]}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values.0.values.0.value"}}},
		{"CheckboxGivenString", `[{"custom_fields_values":[{"field_id":271318,"values":[{"value":"yes"}]}]}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values.0.values.0.value"}}},
		{"TextGivenObject", `[{"custom_fields_values":[{"field_id":271316,"values":[{"value":{"a":1}}]}]}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values.0.values.0.value"}}},
		{"DateGivenWord", `[{"custom_fields_values":[{"field_id":271320,"values":[{"value":"tomorrow"}]}]}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values.0.values.0.value"}}},
		{"MultitextEnumKey", `[{"custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+7","enum":"WORK"}]}]}]`,
			[]verr{{"0", "FieldNotExpected", "custom_fields_values.0.values.0.enum"}}},
		{"MultitextUnknownEnumCode", `[{"custom_fields_values":[{"field_id":3,"values":[{"value":"+7","enum_code":"CAR"}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.values.0.enum_code"}}},
		{"MultitextUnknownEnumID", `[{"custom_fields_values":[{"field_id":5,"values":[{"value":"a@b.c","enum_id":1}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.values.0.enum_id"}}},
		{"SelectUnknownText", `[{"custom_fields_values":[{"field_id":271317,"values":[{"value":"Телевизор"}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.values.0.value"}}},
		{"SelectUnknownEnumID", `[{"custom_fields_values":[{"field_id":271317,"values":[{"enum_id":3}]}]}]`,
			[]verr{{"0", "NotSupportedChoice", "custom_fields_values.0.values.0.enum_id"}}},
		{"ValuesNotArray", `[{"custom_fields_values":[{"field_id":3,"values":{"value":"+7"}}]}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values.0.values"}}},
		{"FieldsNotArray", `[{"custom_fields_values":{"field_id":3}}]`,
			[]verr{{"0", "InvalidType", "custom_fields_values"}}},
		{"TagWithoutIDOrName", `[{"tags_to_add":[{}]}]`,
			[]verr{{"0", "InvalidType", "tags_to_add.0"}}},
		{"TagUnknownID", `[{"tags_to_add":[{"id":1}]}]`,
			[]verr{{"0", "NotSupportedChoice", "tags_to_add.0.id"}}},
		{"EmbeddedTagWithoutIDOrName", `[{"_embedded":{"tags":[{"name":""}]}}]`,
			[]verr{{"0", "InvalidType", "_embedded.tags.0"}}},
		{"NameNotString", `[{"name":123}]`, []verr{{"0", "InvalidType", "name"}}},
		{"CreatedAtNotInt", `[{"created_at":"today"}]`, []verr{{"0", "InvalidType", "created_at"}}},
		{"UnknownResponsible", `[{"responsible_user_id":1}]`, []verr{{"0", "NotSupportedChoice", "responsible_user_id"}}},
		{"ElementNotObject", `[42]`, []verr{{"0", "InvalidType", ""}}},
		{"RequestIDNamesElement", `[{"name":"ok"},{"request_id":"second","name":1},{"name":[]}]`,
			[]verr{{"second", "InvalidType", "name"}, {"2", "InvalidType", "name"}}},
		{"SeveralErrorsInOneElement", `[{"name":1,"custom_fields_values":[{"field_id":3,"values":[{"value":"+7","enum":"WORK"},{"value":"+8","enum_code":"X"}]}]}]`,
			[]verr{{"0", "InvalidType", "name"},
				{"0", "FieldNotExpected", "custom_fields_values.0.values.0.enum"},
				{"0", "NotSupportedChoice", "custom_fields_values.0.values.1.enum_code"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := validationErrors(t, call(t, srv, "POST", "/api/v4/contacts", tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validation errors (-want +got):\n%s", diff)
			}
		})
	}
}

// A batch with one invalid element stores nothing.
func TestCreateContactsAtomic(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	validationErrors(t, call(t, srv, "POST", "/api/v4/contacts",
		`[{"name":"good","tags_to_add":[{"name":"new tag"}]},{"name":"bad","custom_fields_values":[{"field_id":1}]}]`))
	if ids := listIDs(t, srv, "/api/v4/contacts", "contacts"); ids != nil {
		t.Errorf("contacts after failed batch = %v", ids)
	}
	if ids := listIDs(t, srv, "/api/v4/contacts/tags", "tags"); ids != nil {
		t.Errorf("tags after failed batch = %v", ids)
	}
	if r := call(t, srv, "POST", "/api/v4/contacts", `[{"name":"next"}]`); r.status != 200 {
		t.Fatalf("status = %d", r.status)
	}
	if ids := listIDs(t, srv, "/api/v4/contacts", "contacts"); !cmp.Equal(ids, []int{40401635}) {
		t.Errorf("ids = %v: a failed batch must not consume ids", ids)
	}
}

func TestCreateContactsBadBody(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	for _, body := range []string{`{"name":"x"}`, `[]`, `[{"name":`, ``, `"x"`, `null`} {
		r := call(t, srv, "POST", "/api/v4/contacts", body)
		if r.status != http.StatusBadRequest || r.header.Get("Content-Type") != contentProblem {
			t.Errorf("%q: status = %d", body, r.status)
		}
	}
	big := make([]map[string]string, maxBatch+1)
	for i := range big {
		big[i] = map[string]string{"name": "x"}
	}
	if r := call(t, srv, "POST", "/api/v4/contacts", big); r.status != http.StatusBadRequest {
		t.Errorf("batch of %d: status = %d", len(big), r.status)
	}
}

func TestCreateContactsValues(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	tests := []struct {
		name  string
		input string // one contact
		check func(t *testing.T, c contactJSON)
	}{
		{"NameFromParts", `{"first_name":"Анна","last_name":"Белова"}`, func(t *testing.T, c contactJSON) {
			if c.Name != "Анна Белова" {
				t.Errorf("name = %q", c.Name)
			}
		}},
		{"Defaults", `{"name":"x"}`, func(t *testing.T, c contactJSON) {
			if c.ResponsibleUserID != DefaultUserID || c.CreatedBy != DefaultUserID || c.UpdatedBy != DefaultUserID ||
				c.CreatedAt == 0 || c.UpdatedAt == 0 || c.CustomFieldsValues != nil || c.ClosestTaskAt != nil || c.AccountID != AccountID {
				t.Errorf("contact = %+v", c)
			}
		}},
		{"Timestamps", `{"name":"x","created_at":1600000000,"updated_at":1600000001,"responsible_user_id":504145}`, func(t *testing.T, c contactJSON) {
			if c.CreatedAt != 1600000000 || c.UpdatedAt != 1600000001 || c.ResponsibleUserID != 504145 || c.GroupID != 350001 {
				t.Errorf("contact = %+v", c)
			}
		}},
		{"MultitextByCode", `{"custom_fields_values":[{"field_code":"email","values":[{"value":"a@b.ru","enum_code":"PRIV"}]}]}`, func(t *testing.T, c contactJSON) {
			v := c.CustomFieldsValues[0].Values[0]
			if c.CustomFieldsValues[0].FieldID != 5 || *v.EnumID != 8 || *v.EnumCode != "PRIV" || v.Enum != nil {
				t.Errorf("value = %+v", v)
			}
		}},
		{"MultitextDefaultsToWork", `{"custom_fields_values":[{"field_id":3,"values":[{"value":"+7"}]}]}`, func(t *testing.T, c contactJSON) {
			if v := c.CustomFieldsValues[0].Values[0]; *v.EnumCode != "WORK" || *v.EnumID != 1 {
				t.Errorf("value = %+v", v)
			}
		}},
		{"SelectByText", `{"custom_fields_values":[{"field_id":271317,"values":[{"value":"Реклама"}]}]}`, func(t *testing.T, c contactJSON) {
			if v := c.CustomFieldsValues[0].Values[0]; v.Value != "Реклама" || *v.EnumID != 400002 {
				t.Errorf("value = %+v", v)
			}
		}},
		{"SelectByEnumID", `{"custom_fields_values":[{"field_id":271317,"values":[{"enum_id":400004}]}]}`, func(t *testing.T, c contactJSON) {
			if v := c.CustomFieldsValues[0].Values[0]; v.Value != "Выставка" {
				t.Errorf("value = %+v", v)
			}
		}},
		{"SelectByEnumCode", `{"custom_fields_values":[{"field_id":271317,"values":[{"enum_code":"SITE"}]}]}`, func(t *testing.T, c contactJSON) {
			if v := c.CustomFieldsValues[0].Values[0]; v.Value != "Сайт" {
				t.Errorf("value = %+v", v)
			}
		}},
		{"TypedValues", `{"custom_fields_values":[
				{"field_id":271318,"values":[{"value":false}]},
				{"field_id":271319,"values":[{"value":"42"}]},
				{"field_id":271320,"values":[{"value":"2024-05-01T00:00:00Z"}]},
				{"field_id":271316,"values":[{"value":12}]}]}`, func(t *testing.T, c contactJSON) {
			got := map[int]any{}
			for _, f := range c.CustomFieldsValues {
				got[f.FieldID] = f.Values[0].Value
			}
			want := map[int]any{271318: false, 271319: 42.0, 271320: 1714521600.0, 271316: "12"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		}},
		{"TagsByNameAndEmbedded", `{"tags_to_add":[{"name":"A"}],"_embedded":{"tags":[{"name":"B"}]}}`, func(t *testing.T, c contactJSON) {
			// _embedded.tags wins; tags_to_add is ignored beside it.
			if len(c.Embedded.Tags) != 1 || c.Embedded.Tags[0].Name != "B" {
				t.Errorf("tags = %+v", c.Embedded.Tags)
			}
		}},
		{"UnknownTopLevelFieldTolerated", `{"name":"x","is_vip":true,"_embedded":{"companies":[]}}`, func(t *testing.T, c contactJSON) {
			if c.Name != "x" {
				t.Errorf("name = %q", c.Name)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := call(t, srv, "POST", "/api/v4/contacts", "["+tt.input+"]")
			if r.status != 200 {
				t.Fatalf("status = %d, body %s", r.status, r.body)
			}
			var ans struct {
				Embedded struct{ Contacts []writtenJSON } `json:"_embedded"`
			}
			r.decode(t, &ans)
			var c contactJSON
			call(t, srv, "GET", "/api/v4/contacts/"+itoa(ans.Embedded.Contacts[0].ID), nil).decode(t, &c)
			tt.check(t, c)
		})
	}
}

func TestCreateContactsRequestID(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	r := call(t, srv, "POST", "/api/v4/contacts", `[{"request_id":"a"},{},{"request_id":7}]`)
	var ans struct {
		Embedded struct{ Contacts []writtenJSON } `json:"_embedded"`
	}
	r.decode(t, &ans)
	var got []string
	for _, c := range ans.Embedded.Contacts {
		got = append(got, *c.RequestID)
	}
	if diff := cmp.Diff([]string{"a", "1", "7"}, got); diff != "" {
		t.Errorf("request ids (-want +got):\n%s", diff)
	}
}

func TestUpdateContactsValidation(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name string
		body string
		want []verr
	}{
		{"MissingID", `[{"name":"x"}]`, []verr{{"0", "FieldMissing", "id"}}},
		{"UnknownID", `[{"id":999,"name":"x"}]`, []verr{{"0", "NotFound", "id"}}},
		{"IDNotInt", `[{"id":"3"}]`, []verr{{"0", "InvalidType", "id"}}},
		{"SecondElement", `[{"id":3},{"id":7143599,"custom_fields_values":[{"field_id":3,"values":[{"value":"1","enum":"MOB"}]}]}]`,
			[]verr{{"1", "FieldNotExpected", "custom_fields_values.0.values.0.enum"}}},
		{"TagsToDeleteNotArray", `[{"id":3,"tags_to_delete":{"id":1}}]`, []verr{{"0", "InvalidType", "tags_to_delete"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := validationErrors(t, call(t, srv, "PATCH", "/api/v4/contacts", tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validation errors (-want +got):\n%s", diff)
			}
		})
	}
	var c contactJSON
	call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &c)
	if c.Name != "Иван Иванов" || c.UpdatedAt != 1590943929 {
		t.Errorf("failed PATCHes changed contact 3: %+v", c)
	}
}

func TestUpdateContactSingle(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"UnknownID", "/api/v4/contacts/999", `{"name":"x"}`, http.StatusNotFound},
		{"NonNumericID", "/api/v4/contacts/abc", `{"name":"x"}`, http.StatusNotFound},
		{"ArrayBody", "/api/v4/contacts/3", `[{"name":"x"}]`, http.StatusBadRequest},
		{"BadJSON", "/api/v4/contacts/3", `{`, http.StatusBadRequest},
		{"Invalid", "/api/v4/contacts/3", `{"tags_to_add":[{}]}`, http.StatusBadRequest},
		{"BodyIDIgnored", "/api/v4/contacts/7143599", `{"id":3,"name":"renamed"}`, http.StatusOK},
	}
	for _, tt := range tests {
		r := call(t, srv, "PATCH", tt.path, tt.body)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
		}
		if tt.status != http.StatusOK && r.header.Get("Content-Type") != contentProblem {
			t.Errorf("%s: Content-Type = %q", tt.name, r.header.Get("Content-Type"))
		}
	}
	var renamed, ivan contactJSON
	call(t, srv, "GET", "/api/v4/contacts/7143599", nil).decode(t, &renamed)
	call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &ivan)
	if renamed.Name != "renamed" || ivan.Name != "Иван Иванов" {
		t.Errorf("names = %q, %q", renamed.Name, ivan.Name)
	}
}

func TestUpdateContactsSemantics(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	patch := func(body string) contactJSON {
		t.Helper()
		if r := call(t, srv, "PATCH", "/api/v4/contacts/3102959", body); r.status != 200 {
			t.Fatalf("PATCH %s: %d %s", body, r.status, r.body)
		}
		var c contactJSON
		call(t, srv, "GET", "/api/v4/contacts/3102959", nil).decode(t, &c)
		return c
	}
	tagNames := func(c contactJSON) []string {
		var out []string
		for _, tg := range c.Embedded.Tags {
			out = append(out, tg.Name)
		}
		return out
	}
	c := patch(`{"tags_to_add":[{"name":"VIP"},{"id":145475},{"name":"Совсем новый"}]}`)
	if diff := cmp.Diff([]string{"VIP", "Оптовик", "Совсем новый"}, tagNames(c)); diff != "" {
		t.Errorf("after add (-want +got):\n%s", diff)
	}
	c = patch(`{"tags_to_delete":[{"name":"vip"},{"id":999999}]}`)
	if diff := cmp.Diff([]string{"Оптовик", "Совсем новый"}, tagNames(c)); diff != "" {
		t.Errorf("after delete (-want +got):\n%s", diff)
	}
	c = patch(`{"_embedded":{"tags":[{"name":"Москва"}]}}`)
	if diff := cmp.Diff([]string{"Москва"}, tagNames(c)); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}
	c = patch(`{"first_name":"Оля"}`)
	if c.Name != "Ольга Кузнецова" || c.FirstName != "Оля" {
		t.Errorf("name changed without name given: %q / %q", c.Name, c.FirstName)
	}
	c = patch(`{"name":""}`)
	if c.Name != "Оля Кузнецова" {
		t.Errorf("empty name = %q, want it made from the parts", c.Name)
	}
	c = patch(`{"custom_fields_values":[{"field_id":5,"values":[{"value":"o@k.ru","enum_code":"WORK"}]}]}`)
	if len(c.CustomFieldsValues) != 2 {
		t.Fatalf("fields = %+v", c.CustomFieldsValues)
	}
	c = patch(`{"custom_fields_values":[{"field_id":3,"values":[]},{"field_id":5,"values":null}]}`)
	if c.CustomFieldsValues != nil {
		raw, _ := json.Marshal(c.CustomFieldsValues)
		t.Errorf("cleared fields = %s, want null", raw)
	}
}
