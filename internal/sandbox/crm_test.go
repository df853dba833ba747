package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// crmClock is 2026-03-10 10:00 in the account's zone: "today" for the
// demo tasks.
var crmClock = time.Date(2026, 3, 10, 10, 0, 0, 0, accountZone)

var crmToday = time.Date(2026, 3, 10, 0, 0, 0, 0, accountZone).Unix()

// items decodes _embedded[key] of a list answer.
func items(t *testing.T, r reply, key string) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var page struct {
		Embedded map[string][]map[string]any `json:"_embedded"`
	}
	r.decode(t, &page)
	return page.Embedded[key]
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

func ids(list []map[string]any) []int {
	var out []int
	for _, m := range list {
		out = append(out, int(num(m["id"])))
	}
	return out
}

func TestCRMReadStatuses(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithClock(func() time.Time { return crmClock }))
	tests := []struct {
		path   string
		status int
		key    string // _embedded key of a 200 list, "" for objects
		count  int    // exact item count when > 0
	}{
		{"/api/v4/users", 200, "users", 7},
		{"/api/v4/users?limit=2&page=4", 200, "users", 1},
		{"/api/v4/users?limit=2&page=5", 204, "", 0},
		{"/api/v4/users?limit=251", 400, "", 0},
		{"/api/v4/users/504141", 200, "", 0},
		{"/api/v4/users/1", 404, "", 0},
		{"/api/v4/users/x", 404, "", 0},
		{"/api/v4/leads/pipelines", 200, "pipelines", 3},
		{"/api/v4/leads/pipelines/5000001", 200, "statuses", 6},
		{"/api/v4/leads/pipelines/5000009", 404, "", 0},
		{"/api/v4/leads/pipelines/x", 404, "", 0},
		{"/api/v4/leads/pipelines/5000002/statuses", 200, "statuses", 4},
		{"/api/v4/leads/pipelines/5000002/statuses/143", 200, "", 0},
		{"/api/v4/leads/pipelines/5000002/statuses/5100001", 404, "", 0},
		{"/api/v4/tasks", 200, "tasks", 50},
		{"/api/v4/tasks?limit=250&page=9", 204, "", 0},
		{"/api/v4/tasks/60000001", 200, "", 0},
		{"/api/v4/tasks/1", 404, "", 0},
		{"/api/v4/tasks/x", 404, "", 0},
		{"/api/v4/tasks?filter[entity_type]=deals", 400, "", 0},
		{"/api/v4/tasks?filter[is_completed]=maybe", 400, "", 0},
		{"/api/v4/tasks?order[name]=asc", 400, "", 0},
		{"/api/v4/tasks?filter[complete_till][from]=x", 400, "", 0},
		{"/api/v4/leads/notes", 200, "notes", 50},
		{"/api/v4/leads/1/notes", 200, "notes", 1},
		{"/api/v4/contacts/3/notes", 200, "notes", 2},
		{"/api/v4/companies/1/notes", 200, "notes", 1},
		{"/api/v4/leads/999/notes", 204, "", 0},
		{"/api/v4/customers/notes", 200, "notes", 33},
		{"/api/v4/customers/notes?filter[entity_id][]=134923", 204, "", 0},
		{"/api/v4/leads/1/links", 404, "", 0},
		{"/api/v4/leads/notes/70000002", 200, "", 0},
		{"/api/v4/contacts/notes/70000002", 404, "", 0}, // a lead's note
		{"/api/v4/leads/notes/x", 404, "", 0},
		{"/api/v4/leads/notes?filter[id]=x", 400, "", 0},
		{"/api/v4/leads/notes?order[created_at]=asc", 400, "", 0},
	}
	for _, tt := range tests {
		r := call(t, srv, "GET", tt.path, nil)
		if r.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.path, r.status, tt.status, r.body)
			continue
		}
		switch {
		case tt.status == 204 && len(r.body) != 0:
			t.Errorf("%s: 204 with body %q", tt.path, r.body)
		case tt.status >= 400 && r.header.Get("Content-Type") != contentProblem:
			t.Errorf("%s: Content-Type %q", tt.path, r.header.Get("Content-Type"))
		case tt.status == 400 && r.object(t)["validation-errors"] == nil:
			t.Errorf("%s: 400 without validation-errors: %s", tt.path, r.body)
		case tt.status == 200 && r.header.Get("Content-Type") != contentHAL:
			t.Errorf("%s: Content-Type %q", tt.path, r.header.Get("Content-Type"))
		case tt.status == 200 && tt.count > 0:
			if got := len(items(t, r, tt.key)); got != tt.count {
				t.Errorf("%s: %d %s, want %d", tt.path, got, tt.key, tt.count)
			}
		}
	}
}

func TestPipelinesShape(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	r := call(t, srv, "GET", "/api/v4/leads/pipelines/5000002", nil)
	const want = `{"id":5000002,"name":"Повторные продажи","sort":2,"is_main":false,"is_unsorted_on":false,"is_archive":false,
		"account_id":28805383,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/pipelines/5000002"}},
		"_embedded":{"statuses":[
		{"id":5200001,"name":"Новый запрос","sort":10,"is_editable":true,"pipeline_id":5000002,"color":"#d6eaff","type":0,"account_id":28805383,
		 "_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/pipelines/5000002/statuses/5200001"}}},
		{"id":5200002,"name":"Выставлен счёт","sort":20,"is_editable":true,"pipeline_id":5000002,"color":"#deff81","type":0,"account_id":28805383,
		 "_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/pipelines/5000002/statuses/5200002"}}},
		{"id":142,"name":"Успешно реализовано","sort":10000,"is_editable":false,"pipeline_id":5000002,"color":"#CCFF66","type":0,"account_id":28805383,
		 "_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/pipelines/5000002/statuses/142"}}},
		{"id":143,"name":"Закрыто и не реализовано","sort":11000,"is_editable":false,"pipeline_id":5000002,"color":"#D5D8DB","type":0,"account_id":28805383,
		 "_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/pipelines/5000002/statuses/143"}}}]}}`
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(r.body))); diff != "" {
		t.Errorf("pipeline (-want +got):\n%s", diff)
	}
	list := call(t, srv, "GET", "/api/v4/leads/pipelines", nil).object(t)
	if num(list["_total_items"]) != 3 {
		t.Errorf("_total_items = %v", list["_total_items"])
	}
	// Every demo lead sits in a stage of its own pipeline.
	sb := New()
	for _, l := range sb.store.leads {
		if p := sb.store.pipelineByID(l.PipelineID); p == nil || !p.hasStatus(l.StatusID) {
			t.Fatalf("lead %d in pipeline %d status %d", l.ID, l.PipelineID, l.StatusID)
		}
	}
}

func TestUserShape(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	var u struct {
		ID     int    `json:"id"`
		Name   string `json:"name"`
		Email  string `json:"email"`
		Rights struct {
			Leads   map[string]string `json:"leads"`
			IsAdmin bool              `json:"is_admin"`
			GroupID *int              `json:"group_id"`
			RoleID  *int              `json:"role_id"`
		} `json:"rights"`
		Embedded struct {
			Roles  []struct{ ID int } `json:"roles"`
			Groups []struct{ ID int } `json:"groups"`
		} `json:"_embedded"`
	}
	call(t, srv, "GET", "/api/v4/users/504144?with=role,group", nil).decode(t, &u)
	if u.Name != "Мария Лебедева" || u.Rights.IsAdmin || u.Rights.Leads["edit"] != "M" ||
		u.Rights.GroupID == nil || *u.Rights.GroupID != GroupBranch || u.Rights.RoleID == nil || *u.Rights.RoleID != RoleHead ||
		len(u.Embedded.Roles) != 1 || u.Embedded.Roles[0].ID != RoleHead || len(u.Embedded.Groups) != 1 || u.Embedded.Groups[0].ID != GroupBranch {
		t.Errorf("user 504144 = %+v", u)
	}
	admin := call(t, srv, "GET", "/api/v4/users/504141", nil).object(t)
	if _, has := admin["_embedded"]; has || admin["rights"].(map[string]any)["group_id"] != nil {
		t.Errorf("admin without with= = %v", admin)
	}
}

func TestTaskShapeAndFilters(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithClock(func() time.Time { return crmClock }), WithBaseURL(docHost))
	var due map[string]any
	call(t, srv, "GET", "/api/v4/tasks/60000001", nil).decode(t, &due)
	want := map[string]any{"id": 60000001.0, "entity_type": "leads", "entity_id": 1.0, "is_completed": false, "task_type_id": 1.0,
		"complete_till": float64(crmToday + day - 1), "result": []any{}, "responsible_user_id": 504141.0, "account_id": 28805383.0,
		"_links": map[string]any{"self": map[string]any{"href": docHost + "/api/v4/tasks/60000001"}}}
	for k, v := range want {
		if !cmp.Equal(due[k], v) {
			t.Errorf("task 60000001 %s = %v, want %v", k, due[k], v)
		}
	}
	var done map[string]any
	call(t, srv, "GET", "/api/v4/tasks/60000003", nil).decode(t, &done)
	if !cmp.Equal(done["result"], map[string]any{"text": "Поставка 1 июня, клиент подтвердил"}) || done["is_completed"] != true {
		t.Errorf("task 60000003 = %v", done)
	}

	now := crmClock.Unix()
	tests := []struct {
		query   string
		check   func(map[string]any) bool
		include []int
		exact   bool
	}{
		{"filter[entity_type]=leads&filter[entity_id]=1", func(m map[string]any) bool { return num(m["entity_id"]) == 1 }, []int{DemoTaskDueTodayID}, true},
		{"filter[entity_type]=contacts", func(m map[string]any) bool { return m["entity_type"] == "contacts" }, []int{DemoTaskOverdueID}, false},
		{"filter[is_completed]=1", func(m map[string]any) bool { return m["is_completed"] == true }, []int{DemoTaskCompletedID}, false},
		{"filter[is_completed]=0&filter[complete_till][to]=" + i64toa(now), // overdue
			func(m map[string]any) bool { return m["is_completed"] == false && num(m["complete_till"]) <= now }, []int{DemoTaskOverdueID}, false},
		{"filter[complete_till][from]=" + i64toa(crmToday) + "&filter[complete_till][to]=" + i64toa(crmToday+day-1), // due today
			func(m map[string]any) bool { t := num(m["complete_till"]); return t >= crmToday && t < crmToday+day }, []int{DemoTaskDueTodayID}, false},
		{"filter[responsible_user_id]=504142", func(m map[string]any) bool { return num(m["responsible_user_id"]) == 504142 }, nil, false},
		{"filter[task_type]=2", func(m map[string]any) bool { return num(m["task_type_id"]) == 2 }, []int{DemoTaskOverdueID}, false},
		{"filter[id][]=60000002&filter[id][]=60000003", nil, []int{60000002, 60000003}, true},
	}
	for _, tt := range tests {
		list := items(t, call(t, srv, "GET", "/api/v4/tasks?limit=250&"+tt.query, nil), "tasks")
		got := ids(list)
		for _, m := range list {
			if tt.check != nil && !tt.check(m) {
				t.Errorf("%s: task %v does not match", tt.query, m)
			}
		}
		for _, id := range tt.include {
			if !slices.Contains(got, id) {
				t.Errorf("%s: %v lacks %d", tt.query, got, id)
			}
		}
		if tt.exact && !slices.Equal(got, tt.include) {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.include)
		}
		if len(got) < 2 && !tt.exact {
			t.Errorf("%s: only %v: the demo data should have several", tt.query, got)
		}
	}
	list := items(t, call(t, srv, "GET", "/api/v4/tasks?limit=250&order[complete_till]=desc", nil), "tasks")
	if !slices.IsSortedFunc(list, func(a, b map[string]any) int { return int(num(b["complete_till"]) - num(a["complete_till"])) }) {
		t.Error("order[complete_till]=desc is not descending")
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithBaseURL(docHost))
	var n map[string]any
	call(t, srv, "GET", "/api/v4/leads/notes/70000002", nil).decode(t, &n)
	if n["note_type"] != "call_out" || num(n["entity_id"]) != 1 || n["params"].(map[string]any)["phone"] != "+79123" ||
		n["_links"].(map[string]any)["self"].(map[string]any)["href"] != docHost+"/api/v4/leads/notes/70000002" {
		t.Errorf("note 70000002 = %v", n)
	}
	if got := ids(items(t, call(t, srv, "GET", "/api/v4/contacts/3/notes", nil), "notes")); !slices.Equal(got, []int{DemoNoteContactID, DemoNoteSMSID}) {
		t.Errorf("contact 3 notes = %v", got)
	}
	types := map[string]bool{}
	for _, e := range []string{entLeads, entContacts, entCompanies} {
		for _, m := range items(t, call(t, srv, "GET", "/api/v4/"+e+"/notes?limit=250", nil), "notes") {
			types[m["note_type"].(string)] = true
		}
	}
	if len(types) < 4 {
		t.Errorf("note types %v: want several", types)
	}
	for _, m := range items(t, call(t, srv, "GET", "/api/v4/leads/notes?limit=250&filter[note_type]=call_in&filter[note_type]=call_out", nil), "notes") {
		if m["note_type"] != "call_in" && m["note_type"] != "call_out" {
			t.Errorf("filter[note_type]: %v", m)
		}
	}
	owned := items(t, call(t, srv, "GET", "/api/v4/leads/notes?filter[entity_id]=1", nil), "notes")
	if got := ids(owned); !slices.Equal(got, []int{DemoNoteCallID}) {
		t.Errorf("filter[entity_id]=1: %v", got)
	}
	desc := items(t, call(t, srv, "GET", "/api/v4/leads/notes?limit=250&order[updated_at]=desc", nil), "notes")
	if !slices.IsSortedFunc(desc, func(a, b map[string]any) int { return int(num(b["updated_at"]) - num(a["updated_at"])) }) {
		t.Error("order[updated_at]=desc is not descending")
	}
}

func TestDemoActivity(t *testing.T) {
	t.Parallel()
	clock := WithClock(func() time.Time { return crmClock })
	a, b := New(clock), New(clock)
	ja, _ := json.Marshal([]any{a.store.tasks, a.store.notes})
	jb, _ := json.Marshal([]any{b.store.tasks, b.store.notes})
	if string(ja) != string(jb) {
		t.Error("same seed and clock gave different tasks or notes")
	}
	for _, tk := range a.store.tasks {
		if !a.store.entityExists(tk.EntityType, tk.EntityID) {
			t.Errorf("task %d of missing %s %d", tk.ID, tk.EntityType, tk.EntityID)
		}
	}
	for _, n := range a.store.notes {
		if !a.store.entityExists(n.EntityType, n.EntityID) {
			t.Errorf("note %d of missing %s %d", n.ID, n.EntityType, n.EntityID)
		}
	}
	if st := New(WithoutDemoData()).store; len(st.tasks)+len(st.notes) != 0 || len(st.pipelines) != 3 {
		t.Errorf("without demo data: %d tasks, %d notes, %d pipelines", len(st.tasks), len(st.notes), len(st.pipelines))
	}
}

func TestLeadLossReason(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	list := items(t, call(t, srv, "GET", "/api/v4/leads?with=loss_reason&filter[statuses][0][pipeline_id]=5000001&filter[statuses][0][status_id]=143", nil), "leads")
	if len(list) == 0 {
		t.Fatal("no lost leads")
	}
	for _, l := range list {
		lr, _ := l["_embedded"].(map[string]any)["loss_reason"].([]any)
		if len(lr) != 1 || num(lr[0].(map[string]any)["id"]) != num(l["loss_reason_id"]) {
			t.Errorf("lead %v: loss_reason %v", l["id"], lr)
		}
	}
}

// TestCustomerNotes: the demo customers have notes, and one
// GET /api/v4/customers/notes with filter[entity_id][] answers the notes of
// exactly the customers it names, newest first with order[id]=desc, as the
// gateway reads them for a page of customers.
func TestCustomerNotes(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	all := items(t, call(t, srv, "GET", "/api/v4/customers/notes?limit=250", nil), "notes")
	byOwner := map[int]int{}
	for _, m := range all {
		byOwner[int(num(m["entity_id"]))]++
	}
	if len(byOwner) < 5 {
		t.Fatalf("notes on %d customers, want several: %v", len(byOwner), byOwner)
	}
	var want []int
	for id := range byOwner {
		if len(want) < 3 {
			want = append(want, id)
		}
	}
	path := "/api/v4/customers/notes?limit=250&order[id]=desc"
	for _, id := range want {
		path += "&filter[entity_id][]=" + strconv.Itoa(id)
	}
	got := items(t, call(t, srv, "GET", path, nil), "notes")
	n := 0
	for _, id := range want {
		n += byOwner[id]
	}
	if len(got) != n {
		t.Errorf("%d notes of customers %v, want %d", len(got), want, n)
	}
	for _, m := range got {
		if !slices.Contains(want, int(num(m["entity_id"]))) {
			t.Errorf("note of customer %v, asked for %v", m["entity_id"], want)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b map[string]any) int { return int(num(b["id"]) - num(a["id"])) }) {
		t.Error("order[id]=desc is not descending")
	}
}
