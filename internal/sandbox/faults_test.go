package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1750000000, 0)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status      int
		want        int
		contentType string
	}{
		{500, 500, contentProblem},
		{502, 502, contentProblem},
		{503, 503, contentProblem},
		{402, 402, contentProblem},
		{403, 403, contentHTML},
		{429, 429, contentHTML},
		{204, 204, ""},
		{999, 500, contentProblem},
		{42, 500, contentProblem},
	}
	for _, tt := range tests {
		sb, srv := start(t)
		sb.SetFaults(Faults{Status: tt.status})
		r := call(t, srv, "GET", "/api/v4/contacts/3", nil)
		if r.status != tt.want || r.header.Get("Content-Type") != tt.contentType {
			t.Errorf("Status %d: answered %d %q", tt.status, r.status, r.header.Get("Content-Type"))
		}
		if r.header.Get("X-Request-Id") == "" || r.header.Get("Retry-After") != "" {
			t.Errorf("Status %d: headers %v", tt.status, r.header)
		}
		switch tt.contentType {
		case contentHTML:
			if !strings.HasPrefix(string(r.body), "<html>") || json.Valid(r.body) {
				t.Errorf("Status %d: body %q, want an HTML page", tt.status, r.body)
			}
		case contentProblem:
			if m := r.object(t); m["status"] != float64(tt.want) || m["type"] == nil {
				t.Errorf("Status %d: body %v", tt.status, m)
			}
		}
		want429 := 0
		if tt.want == 429 {
			want429 = 1
		}
		if sb.Count429() != want429 {
			t.Errorf("Status %d: Count429 = %d", tt.status, sb.Count429())
		}
		// Faults touch only /api/v4: the OAuth endpoint and unknown paths are unaffected.
		if r := call(t, srv, "POST", "/oauth2/access_token", `{}`); r.status != 401 {
			t.Errorf("Status %d: OAuth endpoint answered %d", tt.status, r.status)
		}
		sb.ClearFaults()
		if r := call(t, srv, "GET", "/api/v4/contacts/3", nil); r.status != 200 {
			t.Errorf("Status %d: after ClearFaults %d", tt.status, r.status)
		}
	}
}

func TestFaultFailNext(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	sb.SetFaults(Faults{Status: 503, FailNext: 2})
	var got []int
	for range 4 {
		got = append(got, call(t, srv, "GET", "/api/v4/leads/1", nil).status)
	}
	if want := []int{503, 503, 200, 200}; !equalInts(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	sb.SetFaults(Faults{MalformedJSON: true, FailNext: 1})
	first, second := call(t, srv, "GET", "/api/v4/leads/1", nil), call(t, srv, "GET", "/api/v4/leads/1", nil)
	if json.Valid(first.body) || !json.Valid(second.body) {
		t.Errorf("FailNext with MalformedJSON: bodies %q / valid %v", first.body, json.Valid(second.body))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultMalformedJSON(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	full := call(t, srv, "GET", "/api/v4/contacts/custom_fields", nil)
	sb.SetFaults(Faults{MalformedJSON: true})
	tests := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v4/contacts/custom_fields", nil},
		{"GET", "/api/v4/contacts", nil}, // would be a 204
		{"POST", "/api/v4/contacts", `[{"name":"written anyway"}]`},
	}
	for _, tt := range tests {
		r := call(t, srv, tt.method, tt.path, tt.body)
		if r.status != 200 || r.header.Get("Content-Type") != contentHAL || json.Valid(r.body) || len(r.body) == 0 {
			t.Errorf("%s %s: %d %q", tt.method, tt.path, r.status, r.body)
		}
	}
	if r := call(t, srv, "GET", "/api/v4/contacts/custom_fields", nil); !strings.HasPrefix(string(full.body), string(r.body)) {
		t.Errorf("malformed body is not a prefix of the real one")
	}
	sb.ClearFaults()
	if ids := listIDs(t, srv, "/api/v4/contacts", "contacts"); len(ids) != 1 {
		t.Errorf("the POST behind the malformed answer must have happened: %v", ids)
	}
	if r := callAs(t, srv, "bad", "GET", "/api/v4/contacts", nil); r.status != 401 {
		t.Errorf("unauthorised call: %d", r.status)
	}
}

func TestFaultResetConn(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	sb.SetFaults(Faults{ResetConn: true, FailNext: 1})
	// A fresh connection per request: net/http would retry an idempotent
	// request once on a reused connection and hide the reset.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v4/contacts/3", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a connection error", resp.StatusCode)
	}
	req, _ = http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v4/contacts/3", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("second call: %v", err)
	}
	resp.Body.Close()
	reqs := sb.Requests()
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 200 {
		t.Errorf("Requests = %+v", reqs)
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	const base, extra = 30 * time.Millisecond, 80 * time.Millisecond
	sb, srv := start(t, WithLatency(base))
	timed := func() time.Duration {
		startAt := time.Now()
		call(t, srv, "GET", "/api/v4/contacts/3", nil)
		return time.Since(startAt)
	}
	if d := timed(); d < base {
		t.Errorf("WithLatency: took %v", d)
	}
	sb.SetFaults(Faults{Latency: extra})
	if d := timed(); d < extra {
		t.Errorf("Faults.Latency: took %v", d)
	}
	sb.ClearFaults()
	if d := timed(); d < base || d >= extra+base {
		t.Errorf("after ClearFaults: took %v, want WithLatency's %v back", d, base)
	}
	// A client that gives up does not keep the handler sleeping.
	sb.SetFaults(Faults{Latency: 10 * time.Second})
	client := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v4/contacts/3", nil)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("want a timeout")
	}
}

func TestFaultEnforceRPS(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	sb, srv := start(t, WithClock(clock.now))
	sb.SetFaults(Faults{EnforceRPS: 3.9})
	var got []int
	for range 5 {
		got = append(got, call(t, srv, "GET", "/api/v4/contacts/3", nil).status)
	}
	if want := []int{200, 200, 200, 429, 429}; !equalInts(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	r := call(t, srv, "GET", "/api/v4/contacts/3", nil)
	if r.header.Get("Content-Type") != contentHTML || r.header.Get("Retry-After") != "" || json.Valid(r.body) {
		t.Errorf("429 answer: %v %q", r.header, r.body)
	}
	// Another token has its own window (this one is then refused by auth).
	if r := callAs(t, srv, "other", "GET", "/api/v4/contacts/3", nil); r.status != 401 {
		t.Errorf("other token: %d", r.status)
	}
	clock.advance(999 * time.Millisecond)
	if r := call(t, srv, "GET", "/api/v4/contacts/3", nil); r.status != 429 {
		t.Errorf("within the second: %d", r.status)
	}
	clock.advance(2 * time.Millisecond)
	if r := call(t, srv, "GET", "/api/v4/contacts/3", nil); r.status != 200 {
		t.Errorf("after the second: %d", r.status)
	}
	if sb.Count429() != 4 {
		t.Errorf("Count429 = %d, want 4", sb.Count429())
	}
	sb.ResetCalls()
	if sb.Count429() != 0 {
		t.Errorf("Count429 after ResetCalls = %d", sb.Count429())
	}
}

func TestFaultBlockAfter429s(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	sb, srv := start(t, WithClock(clock.now))
	sb.SetFaults(Faults{EnforceRPS: 1, BlockAfter429s: 2})
	var got []int
	for range 4 {
		got = append(got, call(t, srv, "GET", "/api/v4/contacts", nil).status)
	}
	if want := []int{200, 429, 429, 403}; !equalInts(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	clock.advance(time.Hour)
	r := call(t, srv, "GET", "/api/v4/leads/1", nil)
	if r.status != 403 || r.header.Get("Content-Type") != contentHTML {
		t.Errorf("blocked account answered %d %q", r.status, r.header.Get("Content-Type"))
	}
	sb.SetFaults(Faults{})
	if r := call(t, srv, "GET", "/api/v4/leads/1", nil); r.status != 403 {
		t.Errorf("SetFaults must not lift the block: %d", r.status)
	}
	sb.ClearFaults()
	if r := call(t, srv, "GET", "/api/v4/leads/1", nil); r.status != 200 {
		t.Errorf("after ClearFaults: %d", r.status)
	}
	if sb.Count429() != 2 {
		t.Errorf("Count429 = %d", sb.Count429())
	}
}

// Flipping faults while traffic flows is safe (run with -race).
func TestFaultsConcurrent(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	configs := []Faults{
		{Status: 503, FailNext: 3},
		{MalformedJSON: true},
		{EnforceRPS: 5, BlockAfter429s: 50},
		{ResetConn: true, FailNext: 1},
		{Latency: time.Millisecond},
		{PathStatus: map[string]int{"/api/v4/contacts/chats": 403, "GET /api/v4/leads": 402}},
		{},
	}
	allowed := map[int]bool{200: true, 204: true, 402: true, 403: true, 429: true, 503: true}
	stop := make(chan struct{})
	var flips sync.WaitGroup
	flips.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%7 == 6 {
				sb.ClearFaults()
			} else {
				sb.SetFaults(configs[i%len(configs)])
			}
			time.Sleep(200 * time.Microsecond)
		}
	})
	var traffic sync.WaitGroup
	for w := range 6 {
		traffic.Go(func() {
			for i := range 40 {
				path := []string{"/api/v4/contacts?limit=5", "/api/v4/contacts/3", "/api/v4/leads/1", "/api/v4/contacts/chats?contact_id=3"}[(w+i)%4]
				req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+DefaultToken)
				resp, err := srv.Client().Do(req)
				if err != nil {
					continue // a reset connection
				}
				resp.Body.Close()
				if !allowed[resp.StatusCode] {
					t.Errorf("%s: status %d", path, resp.StatusCode)
				}
				if w == 0 && i%10 == 0 {
					_ = sb.Count429()
					_ = sb.Requests()
				}
			}
		})
	}
	traffic.Wait()
	close(stop)
	flips.Wait()
	sb.ClearFaults()
	if r := call(t, srv, "GET", "/api/v4/contacts/3", nil); r.status != 200 {
		t.Errorf("after the storm: %d", r.status)
	}
	if sb.TotalCalls() < 6*40 {
		t.Errorf("TotalCalls = %d", sb.TotalCalls())
	}
}
