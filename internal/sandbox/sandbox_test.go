package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithToken("secret"))
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"NoHeader", "", http.StatusUnauthorized},
		{"WrongToken", "Bearer sandbox-token", http.StatusUnauthorized},
		{"NotBearer", "Basic secret", http.StatusUnauthorized},
		{"EmptyBearer", "Bearer ", http.StatusUnauthorized},
		{"OK", "Bearer secret", http.StatusOK},
		{"SchemeCaseInsensitive", "bearer secret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v4/contacts/3", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestUnauthorizedBody(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	r := callAs(t, srv, "wrong", http.MethodGet, "/api/v4/contacts", nil)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status = %d", r.status)
	}
	if ct := r.header.Get("Content-Type"); ct != contentProblem {
		t.Errorf("Content-Type = %q", ct)
	}
	m := r.object(t)
	if m["title"] != "Unauthorized" || m["type"] != "https://httpstatus.es/401" || m["status"] != 401.0 || m["detail"] == "" {
		t.Errorf("body = %v", m)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name        string
		path        string
		token       string
		status      int
		contentType string
	}{
		{"Success", "/api/v4/contacts/3", DefaultToken, 200, contentHAL},
		{"NoContent", "/api/v4/contacts/999", DefaultToken, 204, ""},
		{"Unauthorized", "/api/v4/contacts/3", "", 401, contentProblem},
		{"UnknownRoute", "/api/v4/nothing", DefaultToken, 404, contentProblem},
		{"OutsideAPI", "/favicon.ico", "", 404, contentProblem},
		{"BadLimit", "/api/v4/contacts?limit=0", DefaultToken, 400, contentProblem},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		r := callAs(t, srv, tt.token, http.MethodGet, tt.path, nil)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d", tt.name, r.status, tt.status)
		}
		if ct := r.header.Get("Content-Type"); ct != tt.contentType {
			t.Errorf("%s: Content-Type = %q, want %q", tt.name, ct, tt.contentType)
		}
		id := r.header.Get("X-Request-Id")
		if id == "" || seen[id] {
			t.Errorf("%s: X-Request-Id = %q (empty or repeated)", tt.name, id)
		}
		seen[id] = true
		if tt.status == 204 && len(r.body) != 0 {
			t.Errorf("%s: 204 body = %q", tt.name, r.body)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	r := call(t, srv, http.MethodDelete, "/api/v4/contacts", nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Content-Type") != contentProblem {
		t.Fatalf("status = %d, Content-Type = %q", r.status, r.header.Get("Content-Type"))
	}
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q", allow)
	}
}

func TestCalls(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	tests := []struct {
		route, method, path string
		body                any
	}{
		{"GET /api/v4/contacts", "GET", "/api/v4/contacts", nil},
		{"GET /api/v4/contacts/{id}", "GET", "/api/v4/contacts/3", nil},
		{"POST /api/v4/contacts", "POST", "/api/v4/contacts", `[{"name":"x"}]`},
		{"PATCH /api/v4/contacts", "PATCH", "/api/v4/contacts", `[{"id":3,"name":"x"}]`},
		{"PATCH /api/v4/contacts/{id}", "PATCH", "/api/v4/contacts/3", `{"name":"y"}`},
		{"GET /api/v4/contacts/chats", "GET", "/api/v4/contacts/chats?contact_id=3", nil},
		{"POST /api/v4/contacts/chats", "POST", "/api/v4/contacts/chats", `[{"contact_id":3,"chat_id":"c"}]`},
		{"GET /api/v4/leads", "GET", "/api/v4/leads", nil},
		{"GET /api/v4/leads/{id}", "GET", "/api/v4/leads/1", nil},
		{"GET /api/v4/companies", "GET", "/api/v4/companies", nil},
		{"GET /api/v4/companies/{id}", "GET", "/api/v4/companies/1", nil},
		{"GET /api/v4/customers", "GET", "/api/v4/customers", nil},
		{"GET /api/v4/customers/{id}", "GET", "/api/v4/customers/134923", nil},
		{"GET /api/v4/catalogs/{catalog_id}/elements", "GET", "/api/v4/catalogs/1001/elements", nil},
		{"GET /api/v4/catalogs/{catalog_id}/elements/{id}", "GET", "/api/v4/catalogs/1001/elements/50000001", nil},
		{"GET /api/v4/{entity_type}/tags", "GET", "/api/v4/leads/tags", nil},
		{"GET /api/v4/contacts/custom_fields", "GET", "/api/v4/contacts/custom_fields", nil},
		{"POST /oauth2/access_token", "POST", "/oauth2/access_token", `{}`},
	}
	for _, tt := range tests {
		before := sb.Calls(tt.route)
		call(t, srv, tt.method, tt.path, tt.body)
		if got := sb.Calls(tt.route) - before; got != 1 {
			t.Errorf("Calls(%q) grew by %d, want 1", tt.route, got)
		}
	}
	if got := sb.TotalCalls(); got != len(tests) {
		t.Errorf("TotalCalls = %d, want %d", got, len(tests))
	}
	reqs := sb.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("Requests = %d entries, want %d", len(reqs), len(tests))
	}
	for i, tt := range tests {
		if reqs[i].Route != tt.route || reqs[i].Method != tt.method || reqs[i].Status == 0 || reqs[i].At.IsZero() {
			t.Errorf("Requests[%d] = %+v, want route %q", i, reqs[i], tt.route)
		}
	}
	sb.ResetCalls()
	if sb.TotalCalls() != 0 || sb.Calls("GET /api/v4/contacts") != 0 || len(sb.Requests()) != 0 {
		t.Errorf("ResetCalls left counts: total %d", sb.TotalCalls())
	}
}

func TestCallsCountRejectedRequests(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	callAs(t, srv, "", "GET", "/api/v4/contacts", nil)
	call(t, srv, "GET", "/api/v4/unknown?x=1", nil)
	if sb.TotalCalls() != 2 || sb.Calls("GET /api/v4/contacts") != 1 {
		t.Fatalf("TotalCalls = %d, contacts = %d", sb.TotalCalls(), sb.Calls("GET /api/v4/contacts"))
	}
	reqs := sb.Requests()
	want := []RecordedRequest{
		{Method: "GET", Route: "GET /api/v4/contacts", Path: "/api/v4/contacts", Status: 401},
		{Method: "GET", Route: "", Path: "/api/v4/unknown", RawQuery: "x=1", Status: 404},
	}
	for i := range want {
		got := reqs[i]
		got.At = time.Time{}
		if got != want[i] {
			t.Errorf("Requests[%d] = %+v, want %+v", i, got, want[i])
		}
	}
}

func TestRequestLogCap(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithRequestLog(3))
	for i := range 7 {
		call(t, srv, "GET", "/api/v4/contacts/"+itoa(i+1), nil)
	}
	reqs := sb.Requests()
	if len(reqs) != 3 || reqs[2].Path != "/api/v4/contacts/7" || reqs[0].Path != "/api/v4/contacts/5" {
		t.Fatalf("Requests = %+v", reqs)
	}
	if sb.TotalCalls() != 7 {
		t.Errorf("TotalCalls = %d, want 7 (counters are not capped)", sb.TotalCalls())
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	_, derived := start(t)
	_, fixed := start(t, WithBaseURL("https://example.amocrm.ru/"))
	tests := []struct {
		name string
		srv  string
		want string
	}{
		{"FromHost", derived.URL, derived.URL + "/api/v4/contacts/3"},
		{"Configured", fixed.URL, "https://example.amocrm.ru/api/v4/contacts/3"},
	}
	for _, tt := range tests {
		srv := derived
		if tt.srv == fixed.URL {
			srv = fixed
		}
		var c struct {
			Links struct{ Self struct{ Href string } } `json:"_links"`
		}
		call(t, srv, "GET", "/api/v4/contacts/3", nil).decode(t, &c)
		if c.Links.Self.Href != tt.want {
			t.Errorf("%s: self = %q, want %q", tt.name, c.Links.Self.Href, tt.want)
		}
	}
}
