package sandbox

import (
	"net/http"
	"net/url"
	"testing"
)

// firstError returns the first validation error of a 400 answer.
func firstError(t *testing.T, r reply) fieldError {
	t.Helper()
	var p problem
	r.decode(t, &p)
	if r.status != http.StatusBadRequest || len(p.ValidationErrors) == 0 || len(p.ValidationErrors[0].Errors) == 0 {
		t.Fatalf("want a 400 with validation-errors, got %d %s", r.status, r.body)
	}
	return p.ValidationErrors[0].Errors[0]
}

func TestCRMWriteValidation(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		method, path, body string
		status             int
		path400            string // path of the first validation error
	}{
		{"POST", "/api/v4/leads", `[{"name":"x","pipeline_id":5000002,"status_id":5100001}]`, 400, "status_id"},
		{"POST", "/api/v4/leads", `[{"name":"x","pipeline_id":1}]`, 400, "pipeline_id"},
		{"POST", "/api/v4/leads", `[{"name":"x","status_id":1}]`, 400, "status_id"},
		{"POST", "/api/v4/leads", `[{"name":"x","price":"a lot"}]`, 400, "price"},
		{"POST", "/api/v4/leads", `[{"name":"x","loss_reason_id":1}]`, 400, "loss_reason_id"},
		{"POST", "/api/v4/leads", `[{"name":"x","_embedded":{"contacts":[{"id":999}]}}]`, 400, "_embedded.contacts.0.id"},
		{"POST", "/api/v4/leads", `{"name":"x"}`, 400, ""},
		{"PATCH", "/api/v4/leads", `[{"name":"x"}]`, 400, "id"},
		{"PATCH", "/api/v4/leads", `[{"id":999,"name":"x"}]`, 400, "id"},
		{"PATCH", "/api/v4/leads/999", `{"name":"x"}`, 404, ""},
		{"PATCH", "/api/v4/leads/1", `[{"name":"x"}]`, 400, ""},
		{"POST", "/api/v4/leads/complex", `[{"name":"x","_embedded":{"contacts":[{"name":"a"},{"name":"b"}]}}]`, 400, "_embedded.contacts"},
		{"POST", "/api/v4/leads/complex", `[{"name":"x","_embedded":{"contacts":[{"custom_fields_values":[{"field_id":1}]}]}}]`, 400, "_embedded.contacts.0.custom_fields_values.0.field_id"},
		{"POST", "/api/v4/leads/complex", `[{"name":"x","_embedded":{"companies":[{"responsible_user_id":1}]}}]`, 400, "_embedded.companies.0.responsible_user_id"},
		{"POST", "/api/v4/companies", `[{"name":1}]`, 400, "name"},
		{"PATCH", "/api/v4/companies", `[{"id":999}]`, 400, "id"},
		{"PATCH", "/api/v4/companies/999", `{"name":"x"}`, 404, ""},
		{"POST", "/api/v4/tasks", `[{"complete_till":1700000000}]`, 400, "text"},
		{"POST", "/api/v4/tasks", `[{"text":"x"}]`, 400, "complete_till"},
		{"POST", "/api/v4/tasks", `[{"text":"x","complete_till":1,"entity_type":"leads","entity_id":999}]`, 400, "entity_id"},
		{"POST", "/api/v4/tasks", `[{"text":"x","complete_till":1,"entity_type":"deals","entity_id":1}]`, 400, "entity_type"},
		{"POST", "/api/v4/tasks", `[{"text":"x","complete_till":1,"task_type_id":9}]`, 400, "task_type_id"},
		{"PATCH", "/api/v4/tasks", `[{"id":1,"is_completed":true}]`, 400, "id"},
		{"PATCH", "/api/v4/tasks/60000001", `{"is_completed":"yes"}`, 400, "is_completed"},
		{"PATCH", "/api/v4/tasks/1", `{"is_completed":true}`, 404, ""},
		{"POST", "/api/v4/leads/notes", `[{"note_type":"common","params":{"text":"x"}}]`, 400, "entity_id"},
		{"POST", "/api/v4/leads/notes", `[{"entity_id":1,"note_type":"fax","params":{"text":"x"}}]`, 400, "note_type"},
		{"POST", "/api/v4/leads/notes", `[{"entity_id":1,"note_type":"common","params":{}}]`, 400, "params.text"},
		{"POST", "/api/v4/contacts/999/notes", `[{"note_type":"common","params":{"text":"x"}}]`, 404, ""},
		{"POST", "/api/v4/contacts/3/links", `[{"note_type":"common"}]`, 404, ""},
	}
	for _, tt := range tests {
		r := call(t, srv, tt.method, tt.path, tt.body)
		if r.status != tt.status {
			t.Errorf("%s %s %s: status %d, want %d: %s", tt.method, tt.path, tt.body, r.status, tt.status, r.body)
			continue
		}
		if tt.path400 != "" {
			if e := firstError(t, r); e.Path != tt.path400 {
				t.Errorf("%s %s %s: error %+v, want path %q", tt.method, tt.path, tt.body, e, tt.path400)
			}
		}
	}
	// Nothing of the rejected batches was stored.
	if r := call(t, srv, "GET", "/api/v4/leads?filter[name]=x", nil); r.status != http.StatusNoContent {
		t.Errorf("rejected leads were stored: %d %s", r.status, r.body)
	}
}

func TestLeadWrites(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	t.Cleanup(sb.Close)
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL, "add_lead", "update_lead", "status_lead", "responsible_lead", "add_contact", "add_company")

	r := call(t, srv, "POST", "/api/v4/leads", `[{"name":"Board A","price":5000,"pipeline_id":5000002,"request_id":"a"},
		{"name":"Board B","status_id":5300002,"responsible_user_id":504143,"_embedded":{"contacts":[{"id":3}],"companies":[{"id":1}]}}]`)
	created := items(t, r, "leads")
	if len(created) != 2 || created[0]["request_id"] != "a" || created[1]["request_id"] != "1" {
		t.Fatalf("created = %v", created)
	}
	a, b := itoa(int(num(created[0]["id"]))), itoa(int(num(created[1]["id"])))
	var la, lb leadJSON
	call(t, srv, "GET", "/api/v4/leads/"+a, nil).decode(t, &la)
	call(t, srv, "GET", "/api/v4/leads/"+b+"?with=contacts", nil).decode(t, &lb)
	if la.PipelineID != PipelineRepeat || la.StatusID != 5200001 || la.Price != 5000 || la.ClosedAt != nil {
		t.Errorf("lead A = %+v", la)
	}
	if lb.PipelineID != PipelinePartners || lb.StatusID != 5300002 || lb.ResponsibleUserID != 504143 ||
		len(lb.Embedded.Contacts) != 1 || lb.Embedded.Contacts[0].ID != 3 || !lb.Embedded.Contacts[0].IsMain ||
		len(lb.Embedded.Companies) != 1 || lb.Embedded.Companies[0].ID != 1 {
		t.Errorf("lead B = %+v", lb)
	}
	var c3 struct {
		Embedded struct{ Leads []struct{ ID int } } `json:"_embedded"`
	}
	call(t, srv, "GET", "/api/v4/contacts/3?with=leads", nil).decode(t, &c3)
	if n := len(c3.Embedded.Leads); n != 3 {
		t.Errorf("contact 3 has %d leads, want 3", n)
	}
	wait(t, sb)
	before := len(rc.hooks())

	// A status move to lost with a reason and a new responsible user.
	r = call(t, srv, "PATCH", "/api/v4/leads/"+a, `{"status_id":143,"loss_reason_id":9001,"responsible_user_id":504144}`)
	if r.status != 200 || num(r.object(t)["id"]) == 0 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	call(t, srv, "GET", "/api/v4/leads/"+a, nil).decode(t, &la)
	if la.StatusID != StatusLost || la.PipelineID != PipelineRepeat || la.ClosedAt == nil || la.LossReasonID == nil || *la.LossReasonID != 9001 || la.GroupID != GroupBranch {
		t.Errorf("lost lead = %+v", la)
	}
	// Reopening clears closed_at and the loss reason.
	if r := call(t, srv, "PATCH", "/api/v4/leads", `[{"id":`+a+`,"status_id":5200002}]`); r.status != 200 {
		t.Fatalf("batch PATCH: %d %s", r.status, r.body)
	}
	call(t, srv, "GET", "/api/v4/leads/"+a, nil).decode(t, &la)
	if la.StatusID != 5200002 || la.ClosedAt != nil || la.LossReasonID != nil {
		t.Errorf("reopened lead = %+v", la)
	}
	wait(t, sb)
	hooks := rc.hooks()
	if len(hooks) != before+2 {
		t.Fatalf("%d webhooks after the PATCHes, want %d", len(hooks), before+2)
	}
	f := hooks[before].form
	want := url.Values{
		"leads[update][0][id]":                           {a},
		"leads[status][0][status_id]":                    {"143"},
		"leads[status][0][old_status_id]":                {"5200001"},
		"leads[status][0][old_pipeline_id]":              {"5000002"},
		"leads[responsible][0][responsible_user_id]":     {"504144"},
		"leads[responsible][0][old_responsible_user_id]": {"504141"},
	}
	for k, v := range want {
		if f.Get(k) != v[0] {
			t.Errorf("webhook %s = %q, want %q", k, f.Get(k), v[0])
		}
	}
	if f.Get("leads[add][0][id]") != "" {
		t.Error("an update sent add_lead")
	}

	// Complex: a lead with a new contact and company, linked together.
	r = call(t, srv, "POST", "/api/v4/leads/complex", `[{"name":"Complex","price":700,"request_id":"c1",
		"_embedded":{"contacts":[{"first_name":"Пётр","last_name":"Сидоров","custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+79990000000"}]}]}],
		"companies":[{"name":"ООО «Комплекс»"}]}}, {"name":"Bare"}]`)
	var out []complexJSON
	r.decode(t, &out)
	if r.status != 200 || len(out) != 2 || out[0].ContactID == nil || out[0].CompanyID == nil || out[0].RequestID[0] != "c1" ||
		out[1].ContactID != nil || out[1].CompanyID != nil || out[1].RequestID[0] != "1" {
		t.Fatalf("complex: %d %s", r.status, r.body)
	}
	var ct contactJSON
	call(t, srv, "GET", "/api/v4/contacts/"+itoa(*out[0].ContactID)+"?with=leads", nil).decode(t, &ct)
	if ct.Name != "Пётр Сидоров" || len(ct.Embedded.Companies) != 1 || ct.Embedded.Companies[0].ID != *out[0].CompanyID ||
		len(ct.Embedded.Leads) != 1 || ct.Embedded.Leads[0].ID != out[0].ID {
		t.Errorf("complex contact = %+v", ct)
	}
	wait(t, sb)
	last := rc.hooks()[len(rc.hooks())-1].form
	if last.Get("leads[add][0][id]") != itoa(out[0].ID) || last.Get("leads[add][1][id]") != itoa(out[1].ID) ||
		last.Get("contacts[add][0][type]") != "contact" || last.Get("contacts[add][1][type]") != "company" {
		t.Errorf("complex webhook = %v", last)
	}
}

func TestCompanyWrites(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	t.Cleanup(sb.Close)
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL, "add_company", "update_company")
	created := items(t, call(t, srv, "POST", "/api/v4/companies", `[{"name":"ООО «Новая»","custom_fields_values":[{"field_code":"WEB","values":[{"value":"https://new.example"}]}],"tags_to_add":[{"name":"Сеть"}]}]`), "companies")
	id := itoa(int(num(created[0]["id"])))
	if r := call(t, srv, "PATCH", "/api/v4/companies/"+id, `{"name":"ООО «Новая-2»"}`); r.status != 200 || r.object(t)["name"] != "ООО «Новая-2»" {
		t.Fatalf("PATCH one: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "PATCH", "/api/v4/companies", `[{"id":`+id+`,"responsible_user_id":504145}]`); r.status != 200 {
		t.Fatalf("PATCH batch: %d %s", r.status, r.body)
	}
	var co companyJSON
	call(t, srv, "GET", "/api/v4/companies/"+id, nil).decode(t, &co)
	if co.Name != "ООО «Новая-2»" || co.ResponsibleUserID != 504145 || len(co.CustomFieldsValues) != 1 || len(co.Embedded.Tags) != 1 || co.Embedded.Tags[0].ID != 247006 {
		t.Errorf("company = %+v", co)
	}
	wait(t, sb)
	hooks := rc.hooks()
	if len(hooks) != 3 || hooks[0].form.Get("contacts[add][0][type]") != "company" || hooks[2].form.Get("contacts[update][0][responsible_user_id]") != "504145" {
		t.Errorf("company webhooks = %v", hooks)
	}
}

func TestTaskAndNoteWrites(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	created := items(t, call(t, srv, "POST", "/api/v4/tasks", `[{"text":"Позвонить","complete_till":1800000000,"entity_type":"contacts","entity_id":3,"task_type_id":2,"responsible_user_id":504142}]`), "tasks")
	id := itoa(int(num(created[0]["id"])))
	if id != itoa(firstNewTaskID) {
		t.Errorf("new task id %s", id)
	}
	r := call(t, srv, "PATCH", "/api/v4/tasks/"+id, `{"is_completed":true,"result":{"text":"Дозвонился"}}`)
	if r.status != 200 || num(r.object(t)["updated_at"]) == 0 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	var tk map[string]any
	call(t, srv, "GET", "/api/v4/tasks/"+id, nil).decode(t, &tk)
	if tk["is_completed"] != true || tk["result"].(map[string]any)["text"] != "Дозвонился" || tk["entity_type"] != "contacts" ||
		num(tk["task_type_id"]) != 2 || num(tk["responsible_user_id"]) != 504142 || num(tk["group_id"]) != 0 {
		t.Errorf("task = %v", tk)
	}
	if got := ids(items(t, call(t, srv, "GET", "/api/v4/tasks?filter[entity_type]=contacts&filter[entity_id]=3&filter[is_completed]=1", nil), "tasks")); len(got) != 1 || itoa(got[0]) != id {
		t.Errorf("completed tasks of contact 3: %v", got)
	}

	r = call(t, srv, "POST", "/api/v4/contacts/3/notes", `[{"note_type":"call_in","params":{"phone":"+79123","duration":60,"source":"test","uniq":"u1"}}]`)
	notes := items(t, r, "notes")
	if len(notes) != 1 || num(notes[0]["entity_id"]) != 3 || notes[0]["request_id"] != "0" {
		t.Fatalf("note on contact 3: %s", r.body)
	}
	r = call(t, srv, "POST", "/api/v4/leads/notes", `[{"entity_id":1,"note_type":"common","params":{"text":"Привет"},"request_id":"n"}]`)
	if n := items(t, r, "notes"); len(n) != 1 || num(n[0]["entity_id"]) != 1 {
		t.Fatalf("note on lead 1: %s", r.body)
	}
	if got := ids(items(t, call(t, srv, "GET", "/api/v4/contacts/3/notes", nil), "notes")); len(got) != 3 {
		t.Errorf("contact 3 notes after POST: %v", got)
	}
	lead1 := items(t, call(t, srv, "GET", "/api/v4/leads/1/notes?filter[note_type]=common", nil), "notes")
	if len(lead1) != 1 || lead1[0]["params"].(map[string]any)["text"] != "Привет" {
		t.Errorf("lead 1 common notes: %v", lead1)
	}
}
