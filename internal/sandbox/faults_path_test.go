package sandbox

import (
	"net/http"
	"testing"
)

// PathStatus fails only the calls whose path it names, so a test can make
// one relation of a query fail while the others answer.
func TestFaultPathStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		paths       map[string]int
		method, url string
		want        int
		contentType string
	}{
		{"ChatsList", map[string]int{"/api/v4/contacts/chats": 403}, "GET", "/api/v4/contacts/chats?contact_id[]=3102959", 403, contentProblem},
		{"ChatsLink", map[string]int{"/api/v4/contacts/chats": 403}, "POST", "/api/v4/contacts/chats", 403, contentProblem},
		{"OtherPathPasses", map[string]int{"/api/v4/contacts/chats": 403}, "GET", "/api/v4/contacts/3", 200, contentHAL},
		{"PrefixCoversSubpaths", map[string]int{"/api/v4/customers": 402}, "GET", "/api/v4/customers/134923", 402, contentProblem},
		{"PrefixCoversQuery", map[string]int{"/api/v4/customers": 402}, "GET", "/api/v4/customers?limit=5", 402, contentProblem},
		{"WholeSegmentsOnly", map[string]int{"/api/v4/lead": 500}, "GET", "/api/v4/leads/1", 200, contentHAL},
		{"TrailingSlash", map[string]int{"/api/v4/leads/": 500}, "GET", "/api/v4/leads/1", 500, contentProblem},
		{"LongestPrefixWins", map[string]int{"/api/v4/contacts": 503, "/api/v4/contacts/chats": 403}, "GET", "/api/v4/contacts/chats?contact_id=3102959", 403, contentProblem},
		{"ShorterPrefixElsewhere", map[string]int{"/api/v4/contacts": 503, "/api/v4/contacts/chats": 403}, "GET", "/api/v4/contacts/3", 503, contentProblem},
		{"MethodMatches", map[string]int{"PATCH /api/v4/contacts": 500}, "PATCH", "/api/v4/contacts/3", 500, contentProblem},
		{"MethodDiffers", map[string]int{"PATCH /api/v4/contacts": 500}, "GET", "/api/v4/contacts/3", 200, contentHAL},
		{"RateLimitIsHTML", map[string]int{"/api/v4/leads": 429}, "GET", "/api/v4/leads/1", 429, contentHTML},
		{"NoContent", map[string]int{"/api/v4/leads": 204}, "GET", "/api/v4/leads/1", 204, ""},
		{"OutOfRange", map[string]int{"/api/v4/leads": 42}, "GET", "/api/v4/leads/1", 500, contentProblem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, srv := start(t)
			sb.SetFaults(Faults{PathStatus: tt.paths})
			var body any
			if tt.method != "GET" {
				body = `[{"contact_id":3,"chat_id":"c"}]`
				if tt.method == "PATCH" {
					body = `{"name":"x"}`
				}
			}
			r := call(t, srv, tt.method, tt.url, body)
			if r.status != tt.want || r.header.Get("Content-Type") != tt.contentType {
				t.Errorf("answered %d %q, want %d %q; body %s", r.status, r.header.Get("Content-Type"), tt.want, tt.contentType, r.body)
			}
			if tt.want == 429 && sb.Count429() != 1 {
				t.Errorf("Count429 = %d", sb.Count429())
			}
		})
	}
}

// PathStatus ignores FailNext, the caller's map is copied, and ClearFaults
// lifts it.
func TestFaultPathStatusLifetime(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	paths := map[string]int{"/api/v4/customers": 402}
	sb.SetFaults(Faults{PathStatus: paths, FailNext: 1, Status: 503})
	paths["/api/v4/contacts"] = 500 // not seen: SetFaults copied the map
	want := []struct {
		url    string
		status int
	}{
		{"/api/v4/leads/1", 503}, // FailNext's one call
		{"/api/v4/customers/134923", 402},
		{"/api/v4/customers/134923", 402},
		{"/api/v4/contacts/3", 200},
	}
	for _, w := range want {
		if r := call(t, srv, "GET", w.url, nil); r.status != w.status {
			t.Errorf("GET %s = %d, want %d", w.url, r.status, w.status)
		}
	}
	sb.ClearFaults()
	if r := call(t, srv, "GET", "/api/v4/customers/134923", nil); r.status != http.StatusOK {
		t.Errorf("after ClearFaults: %d", r.status)
	}
}

// A non-admin token reads and writes contacts but is refused the chat
// methods, which need account administrator rights; the refusal is JSON,
// unlike the HTML 403 of a blocked account. Cached answers never leak to it.
func TestNonAdminToken(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithNonAdminToken("user-token"))
	chats := "/api/v4/contacts/chats?contact_id[]=3102959"
	if r := call(t, srv, "GET", chats, nil); r.status != http.StatusOK {
		t.Fatalf("admin GET chats = %d", r.status)
	}
	tests := []struct {
		token, method, path string
		body                any
		want                int
	}{
		{"user-token", "GET", chats, nil, 403},
		{"user-token", "POST", "/api/v4/contacts/chats", `[{"contact_id":3,"chat_id":"c"}]`, 403},
		{"user-token", "GET", "/api/v4/contacts/3", nil, 200},
		{"user-token", "PATCH", "/api/v4/contacts/3", `{"name":"x"}`, 200},
		{"user-token", "GET", "/api/v4/leads/1", nil, 200},
		{DefaultToken, "GET", chats, nil, 200},
		{"other-token", "GET", "/api/v4/contacts/3", nil, 401},
	}
	for _, tt := range tests {
		r := callAs(t, srv, tt.token, tt.method, tt.path, tt.body)
		if r.status != tt.want {
			t.Errorf("%s %s %s = %d, want %d (%s)", tt.token, tt.method, tt.path, r.status, tt.want, r.body)
		}
		if tt.want == 403 {
			var p problem
			r.decode(t, &p)
			if r.header.Get("Content-Type") != contentProblem || p.Status != 403 || p.Title != "Forbidden" || p.Type != "https://httpstatus.es/403" || p.Detail == "" {
				t.Errorf("403 answer %q %s", r.header.Get("Content-Type"), r.body)
			}
		}
	}
}
