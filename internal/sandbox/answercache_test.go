package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// cachedPaths are GETs of every cacheable route, with answers worth
// caching (all 200).
var cachedPaths = []string{
	"/api/v4/contacts",
	"/api/v4/contacts?limit=250&with=leads,customers,catalog_elements",
	"/api/v4/contacts?page=2&limit=10&order[updated_at]=desc",
	"/api/v4/contacts?query=%D0%B8%D0%B2%D0%B0%D0%BD",
	"/api/v4/contacts/3?with=leads",
	"/api/v4/contacts/chats?contact_id=3102959",
	"/api/v4/leads?with=contacts",
	"/api/v4/leads/1",
	"/api/v4/companies",
	"/api/v4/companies/1",
	"/api/v4/customers",
	"/api/v4/customers/134923",
	fmt.Sprintf("/api/v4/catalogs/%d/elements", CatalogGoods),
	"/api/v4/contacts/tags",
	"/api/v4/leads/tags?limit=2&page=2",
	"/api/v4/companies/custom_fields",
}

// cacheEntries is how many answers sb holds right now.
func cacheEntries(sb *Sandbox) int {
	sb.answers.mu.Lock()
	defer sb.answers.mu.Unlock()
	return len(sb.answers.entries)
}

// A cached answer is the answer an uncached sandbox gives, byte for byte,
// on the miss that fills the cache and on the hits after it.
func TestAnswerCacheIdentical(t *testing.T) {
	t.Parallel()
	const base = "https://example.amocrm.ru"
	cached, cachedSrv := start(t, WithBaseURL(base))
	_, plainSrv := start(t, WithBaseURL(base), WithoutAnswerCache())
	for _, path := range cachedPaths {
		want := call(t, plainSrv, "GET", path, nil)
		if want.status != http.StatusOK {
			t.Fatalf("%s: uncached answered %d, want 200", path, want.status)
		}
		for i := range 3 {
			got := call(t, cachedSrv, "GET", path, nil)
			if got.status != want.status || !bytes.Equal(got.body, want.body) {
				t.Errorf("%s call %d: %d %s\nwant %d %s", path, i, got.status, got.body, want.status, want.body)
			}
			if g, w := got.header.Get("Content-Type"), want.header.Get("Content-Type"); g != w {
				t.Errorf("%s call %d: Content-Type %q, want %q", path, i, g, w)
			}
		}
	}
	if n := cacheEntries(cached); n != len(cachedPaths) {
		t.Errorf("cache holds %d answers, want %d", n, len(cachedPaths))
	}
}

// hrefs are built from the Host header unless WithBaseURL is given, so the
// host is part of what an answer is cached under.
func TestAnswerCacheHostInKey(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	for _, host := range []string{"a.example", "b.example", "a.example"} {
		req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v4/contacts/3", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := "http://" + host + "/api/v4/contacts/3"; !strings.Contains(string(body), want) {
			t.Errorf("Host %s: body lacks %q: %s", host, want, body)
		}
	}
}

// A write is seen by the very next GET of every route it affects, however
// often those GETs were answered before.
func TestAnswerCacheSeesWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		reads  []string // GETs warmed before the write and checked after it
		want   string   // in every read after the write, in none before
	}{
		{
			name: "create contact", method: "POST", path: "/api/v4/contacts",
			body:  `[{"name":"Created Via POST"}]`,
			reads: []string{"/api/v4/contacts?order[id]=desc&limit=1", "/api/v4/contacts?limit=250&page=2"},
			want:  `"name":"Created Via POST"`,
		},
		{
			name: "update contacts batch", method: "PATCH", path: "/api/v4/contacts",
			body:  `[{"id":3,"name":"Patched In Batch"}]`,
			reads: []string{"/api/v4/contacts/3", "/api/v4/contacts?filter[id]=3", "/api/v4/contacts?with=leads"},
			want:  `"name":"Patched In Batch"`,
		},
		{
			name: "update one contact", method: "PATCH", path: "/api/v4/contacts/3",
			body:  `{"first_name":"Patched Alone"}`,
			reads: []string{"/api/v4/contacts/3?with=leads", "/api/v4/contacts?filter[id][]=3"},
			want:  `"first_name":"Patched Alone"`,
		},
		{
			name: "tag created by a contact write", method: "PATCH", path: "/api/v4/contacts/3",
			body:  `{"tags_to_add":[{"name":"brand new tag"}]}`,
			reads: []string{"/api/v4/contacts/tags?limit=250", "/api/v4/contacts/3"},
			want:  `"name":"brand new tag"`,
		},
		{
			name: "link chat moves it", method: "POST", path: "/api/v4/contacts/chats",
			body:  `[{"contact_id":3,"chat_id":"6cbab3d5-c4c1-46ff-b710-ad59ad10805f"}]`,
			reads: []string{"/api/v4/contacts/chats?chat_id=6cbab3d5-c4c1-46ff-b710-ad59ad10805f"},
			want:  `"contact_id":3,`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, srv := start(t)
			for _, path := range tt.reads {
				for range 2 {
					if r := call(t, srv, "GET", path, nil); r.status != http.StatusOK || strings.Contains(string(r.body), tt.want) {
						t.Fatalf("before: GET %s = %d %s", path, r.status, r.body)
					}
				}
			}
			if n := cacheEntries(sb); n != len(tt.reads) {
				t.Fatalf("cache holds %d answers before the write, want %d", n, len(tt.reads))
			}
			if r := call(t, srv, tt.method, tt.path, tt.body); r.status != http.StatusOK {
				t.Fatalf("%s %s = %d %s", tt.method, tt.path, r.status, r.body)
			}
			for _, path := range tt.reads {
				if r := call(t, srv, "GET", path, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), tt.want) {
					t.Errorf("after: GET %s = %d, lacks %s: %s", path, r.status, tt.want, r.body)
				}
			}
		})
	}
}

// A created contact's by-id route was a 204 (never cached) and becomes a 200.
func TestAnswerCacheCreatedByID(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	const path = "/api/v4/contacts/40401635"
	if r := call(t, srv, "GET", path, nil); r.status != http.StatusNoContent {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "POST", "/api/v4/contacts", `[{"name":"Newcomer"}]`); r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "GET", path, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"name":"Newcomer"`) {
		t.Errorf("after: %d %s", r.status, r.body)
	}
}

// Faults, latency and authentication apply to a call whose answer is
// cached exactly as to any other.
func TestAnswerCacheFaults(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts?limit=250&with=leads"
	tests := []struct {
		name  string
		f     Faults
		token string
		check func(t *testing.T, srv *httptest.Server, token string, warm reply)
	}{
		{name: "forced status", f: Faults{Status: 503}, check: wantStatus(503)},
		{name: "forced 429", f: Faults{Status: 429}, check: wantStatus(429)},
		{name: "unauthorized", token: "wrong", check: wantStatus(401)},
		{name: "malformed body", f: Faults{MalformedJSON: true}, check: func(t *testing.T, srv *httptest.Server, token string, warm reply) {
			r := callAs(t, srv, token, "GET", path, nil)
			if r.status != 200 || !bytes.Equal(r.body, warm.body[:len(warm.body)/2]) {
				t.Errorf("answered %d with %d bytes, want half of %d", r.status, len(r.body), len(warm.body))
			}
		}},
		{name: "latency", f: Faults{Latency: 80 * time.Millisecond}, check: func(t *testing.T, srv *httptest.Server, token string, warm reply) {
			began := time.Now()
			r := callAs(t, srv, token, "GET", path, nil)
			if took := time.Since(began); took < 80*time.Millisecond || !bytes.Equal(r.body, warm.body) {
				t.Errorf("answered %d in %v, want the cached body after at least 80ms", r.status, took)
			}
		}},
		{name: "reset connection", f: Faults{ResetConn: true, FailNext: 2}, check: func(t *testing.T, srv *httptest.Server, token string, warm reply) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			if resp, err := srv.Client().Do(req); err == nil {
				resp.Body.Close()
				t.Errorf("answered %d, want a reset connection", resp.StatusCode)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, srv := start(t)
			warm := call(t, srv, "GET", path, nil)
			if again := call(t, srv, "GET", path, nil); warm.status != 200 || !bytes.Equal(again.body, warm.body) {
				t.Fatalf("warm-up: %d, then a different body", warm.status)
			}
			sb.SetFaults(tt.f)
			token := DefaultToken
			if tt.token != "" {
				token = tt.token
			}
			tt.check(t, srv, token, warm)
			sb.ClearFaults()
			if r := call(t, srv, "GET", path, nil); r.status != 200 || !bytes.Equal(r.body, warm.body) {
				t.Errorf("after ClearFaults: %d, body changed", r.status)
			}
		})
	}
}

func wantStatus(status int) func(*testing.T, *httptest.Server, string, reply) {
	return func(t *testing.T, srv *httptest.Server, token string, _ reply) {
		t.Helper()
		if r := callAs(t, srv, token, "GET", "/api/v4/contacts?limit=250&with=leads", nil); r.status != status {
			t.Errorf("answered %d %s, want %d", r.status, r.body, status)
		}
	}
}

// Cache hits are counted, logged and given their own request ids.
func TestAnswerCacheCountsHits(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	const n = 20
	ids := map[string]bool{}
	for range n {
		r := call(t, srv, "GET", "/api/v4/contacts/3", nil)
		if r.status != 200 {
			t.Fatalf("answered %d", r.status)
		}
		ids[r.header.Get("X-Request-Id")] = true
	}
	if len(ids) != n || ids[""] {
		t.Errorf("%d distinct X-Request-Id values over %d calls: %v", len(ids), n, ids)
	}
	if got := sb.Calls("GET /api/v4/contacts/{id}"); got != n {
		t.Errorf("Calls = %d, want %d", got, n)
	}
	if got := sb.TotalCalls(); got != n {
		t.Errorf("TotalCalls = %d, want %d", got, n)
	}
	reqs := sb.Requests()
	if len(reqs) != n {
		t.Fatalf("Requests holds %d, want %d", len(reqs), n)
	}
	for _, r := range reqs {
		if r.Status != 200 || r.Route != "GET /api/v4/contacts/{id}" || r.Path != "/api/v4/contacts/3" {
			t.Errorf("recorded %+v", r)
		}
	}
	sb.ResetCalls()
	call(t, srv, "GET", "/api/v4/contacts/3", nil)
	if sb.TotalCalls() != 1 || len(sb.Requests()) != 1 {
		t.Errorf("after ResetCalls: TotalCalls %d, %d requests", sb.TotalCalls(), len(sb.Requests()))
	}
}

// Only 200 answers to GETs are kept.
func TestAnswerCacheKeepsOnlySuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/v4/contacts/999", "", 204},
		{"GET", "/api/v4/contacts?limit=0", "", 400},
		{"GET", "/api/v4/contacts/abc", "", 404},
		{"GET", "/api/v4/nowhere", "", 404},
		{"HEAD", "/api/v4/contacts/3", "", 200},
		{"POST", "/api/v4/contacts/chats", `[{"contact_id":3,"chat_id":"x"}]`, 200},
		{"PATCH", "/api/v4/contacts/3", `{"name":"x"}`, 200},
		{"POST", "/oauth2/access_token", `{}`, 401},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			sb, srv := start(t)
			var body any
			if tt.body != "" {
				body = tt.body
			}
			if r := call(t, srv, tt.method, tt.path, body); r.status != tt.status {
				t.Fatalf("answered %d %s, want %d", r.status, r.body, tt.status)
			}
			if n := cacheEntries(sb); n != 0 {
				t.Errorf("cache holds %d answers, want none", n)
			}
		})
	}
}

// Reads racing writes never see a write undone: after a writer's PATCH
// returns, every GET begun later sees that value or a newer one.
func TestAnswerCacheConcurrentWrites(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	const writes = 30
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Not call: it may only fail the test from the test's goroutine.
				for _, path := range []string{"/api/v4/contacts/3", "/api/v4/contacts?filter[id]=3"} {
					req, _ := http.NewRequest("GET", srv.URL+path, nil)
					req.Header.Set("Authorization", "Bearer "+DefaultToken)
					if resp, err := srv.Client().Do(req); err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
			}
		})
	}
	for i := range writes {
		name := fmt.Sprintf("Version %03d", i)
		if r := call(t, srv, "PATCH", "/api/v4/contacts/3", fmt.Sprintf(`{"name":%q}`, name)); r.status != 200 {
			t.Fatalf("PATCH %d: %d %s", i, r.status, r.body)
		}
		for _, path := range []string{"/api/v4/contacts/3", "/api/v4/contacts?filter[id]=3"} {
			if r := call(t, srv, "GET", path, nil); !strings.Contains(string(r.body), `"name":"`+name+`"`) {
				t.Errorf("GET %s after writing %q: %s", path, name, r.body)
			}
		}
	}
	close(stop)
	wg.Wait()
}

// The cache stays within its bounds by emptying itself when full.
func TestAnswerCacheBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		maxBytes, maxEntries int
		bodySize, puts       int
		wantMaxEntries       int
	}{
		{"entry cap", 1 << 20, 3, 10, 10, 3},
		{"byte cap", 1000, 100, 200, 10, 3},
		{"too big to keep", 100, 100, 200, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newAnswerCache(&versionedRWMutex{})
			c.maxBytes, c.maxEntries = tt.maxBytes, tt.maxEntries
			for i := range tt.puts {
				key := itoa(i)
				_, v := c.get(key)
				rec := &recordingWriter{ResponseWriter: httptest.NewRecorder()}
				_, _ = rec.Write(make([]byte, tt.bodySize))
				c.put(key, v, rec.answer(key))
				if len(c.entries) > tt.wantMaxEntries || c.bytes > tt.maxBytes {
					t.Fatalf("after %d puts: %d entries, %d bytes", i+1, len(c.entries), c.bytes)
				}
			}
		})
	}
}

// An answer rendered before a write must not be kept after it.
func TestAnswerCacheDropsStalePut(t *testing.T) {
	t.Parallel()
	lock := &versionedRWMutex{}
	c := newAnswerCache(lock)
	_, v := c.get("k")
	lock.Lock() // a write lands while the handler renders
	lock.Unlock()
	c.put("k", v, &answer{status: 200, body: []byte("old"), size: 10})
	if a, _ := c.get("k"); a != nil {
		t.Errorf("stale answer served: %s", a.body)
	}
	_, v = c.get("k")
	c.put("k", v, &answer{status: 200, body: []byte("new"), size: 10})
	if a, _ := c.get("k"); a == nil || string(a.body) != "new" {
		t.Errorf("fresh answer not served: %v", a)
	}
}

// BenchmarkListContactsCached compares a 250-contact page with and without
// the answer cache, through ServeHTTP without a socket so that only the
// sandbox's own cost is measured.
func BenchmarkListContactsCached(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"cached", nil},
		{"uncached", []Option{WithoutAnswerCache()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sb := New(append(bc.opts, WithRequestLog(1000))...)
			req := httptest.NewRequest("GET", "/api/v4/contacts?limit=250&with=leads", nil)
			req.Header.Set("Authorization", "Bearer "+DefaultToken)
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{header: http.Header{}}
				sb.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("answered %d", w.status)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing but the status, so
// a benchmark does not measure copying the body into a recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
