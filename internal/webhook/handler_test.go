package webhook

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/changes"
)

const testSecret = "s3cr3t-Ab_9.~"

const formType = "application/x-www-form-urlencoded"

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// recorder records what the handler hands its hooks.
type recorder struct {
	mu          sync.Mutex
	invalidated [][]changes.Change
	published   [][]changes.Change
	observed    []int
}

func (rec *recorder) config(logs io.Writer) HandlerConfig {
	return HandlerConfig{
		Secret: testSecret,
		Invalidate: func(cs []changes.Change) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.invalidated = append(rec.invalidated, cs)
		},
		Publish: func(cs []changes.Change) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.published = append(rec.published, cs)
		},
		Observe: func(status int, _ []changes.Change) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.observed = append(rec.observed, status)
		},
		MaxBodyBytes: 4096,
		Log:          zerolog.New(logs),
	}
}

// serve starts the handler on a real socket, mounted as the gateway mounts
// it, beside the mux's own 404 for unknown routes.
func serve(t *testing.T, cfg HandlerConfig) *httptest.Server {
	t.Helper()
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, method, path, ctype string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(data)}
}

// chunked hides a body's length, so the server learns its size by reading.
type chunked struct{ io.Reader }

func TestHandler_Statuses(t *testing.T) {
	t.Parallel()
	good := string(fixture(t, "mixed"))
	tests := []struct {
		name, method, path, ctype string
		body                      io.Reader
		want                      int
		hooks                     bool // Invalidate and Publish called
	}{
		{"Delivery", "POST", Path + testSecret, formType, strings.NewReader(good), 200, true},
		{"DeliveryChunked", "POST", Path + testSecret, formType, chunked{strings.NewReader(good)}, 200, true},
		{"CharsetParameter", "POST", Path + testSecret, formType + "; charset=UTF-8", strings.NewReader(good), 200, true},
		{"NoChanges", "POST", Path + testSecret, formType, strings.NewReader("account%5Bsubdomain%5D=x"), 200, false},
		{"EmptyBody", "POST", Path + testSecret, formType, nil, 200, false},
		{"WrongSecret", "POST", Path + "guess", formType, strings.NewReader(good), 404, false},
		{"SecretPrefix", "POST", Path + testSecret[:len(testSecret)-1], formType, strings.NewReader(good), 404, false},
		{"SecretSuffix", "POST", Path + testSecret + "x", formType, strings.NewReader(good), 404, false},
		{"SecretAndMore", "POST", Path + testSecret + "/x", formType, strings.NewReader(good), 404, false},
		{"NoSecret", "POST", Path, formType, strings.NewReader(good), 404, false},
		{"WrongSecretGET", "GET", Path + "guess", "", nil, 404, false},
		{"GET", "GET", Path + testSecret, "", nil, 405, false},
		{"PUT", "PUT", Path + testSecret, formType, strings.NewReader(good), 405, false},
		{"JSON", "POST", Path + testSecret, "application/json", strings.NewReader(`{"contacts":{}}`), 415, false},
		{"NoContentType", "POST", Path + testSecret, "", strings.NewReader(good), 415, false},
		{"BadContentType", "POST", Path + testSecret, "x/y; ===", strings.NewReader(good), 415, false},
		{"TooLarge", "POST", Path + testSecret, formType, strings.NewReader(strings.Repeat("a", 5000)), 413, false},
		{"TooLargeChunked", "POST", Path + testSecret, formType, chunked{strings.NewReader(strings.Repeat("a", 5000))}, 413, false},
		{"Malformed", "POST", Path + testSecret, formType, strings.NewReader("contacts%5Bupdate%5D%5B0%5D%5Bid%5D=abc"), 400, false},
		{"NoID", "POST", Path + testSecret, formType, strings.NewReader("leads[add][0][name]=x"), 400, false},
		{"DeepNesting", "POST", Path + testSecret, formType, strings.NewReader("leads[add][0]" + strings.Repeat("[x]", 100) + "=1"), 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			rec := new(recorder)
			srv := serve(t, rec.config(&logs))
			got := do(t, srv, tt.method, tt.path, tt.ctype, tt.body)
			if got.status != tt.want {
				t.Errorf("status = %d, want %d (%q)", got.status, tt.want, got.body)
			}
			if tt.want == 404 { // indistinguishable from a route that does not exist
				unknown := do(t, srv, tt.method, "/no/such/route", tt.ctype, nil)
				if got.body != unknown.body || got.header.Get("Content-Type") != unknown.header.Get("Content-Type") {
					t.Errorf("404 = %q (%s), unknown route = %q (%s)", got.body, got.header.Get("Content-Type"),
						unknown.body, unknown.header.Get("Content-Type"))
				}
			}
			if tt.want == 405 && got.header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", got.header.Get("Allow"))
			}
			srv.Close() // waits for the handler: Publish and Observe run after the answer
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if called := len(rec.invalidated) == 1 && len(rec.published) == 1; called != tt.hooks {
				t.Errorf("invalidated %d, published %d times; want hooks called: %v", len(rec.invalidated), len(rec.published), tt.hooks)
			}
			if len(rec.observed) != 1 || rec.observed[0] != tt.want {
				t.Errorf("observed %v, want [%d]", rec.observed, tt.want)
			}
			if l := logs.String(); strings.Contains(l, testSecret) {
				t.Errorf("the log holds the secret:\n%s", l)
			}
			if tt.want >= 400 && tt.want != 404 && !strings.Contains(logs.String(), "refused") {
				t.Errorf("a refused delivery is not logged: %q", logs.String())
			}
		})
	}
}

// TestHandler_Order checks that Invalidate returns before amoCRM gets its
// 200, and Publish runs only after amoCRM has it.
func TestHandler_Order(t *testing.T) {
	t.Parallel()
	answered := make(chan struct{})
	var mu sync.Mutex
	var events []string
	event := func(e string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	var invalidated, published []changes.Change
	srv := serve(t, HandlerConfig{
		Secret: testSecret,
		Invalidate: func(cs []changes.Change) {
			invalidated = cs
			// An answer written before Invalidate returns would reach the
			// client within this window; none may.
			select {
			case <-answered:
				event("answered during Invalidate")
			case <-time.After(200 * time.Millisecond):
			}
			event("invalidated")
		},
		Publish: func(cs []changes.Change) {
			published = cs
			select {
			case <-answered:
				event("published")
			case <-time.After(10 * time.Second): // a Publish before the answer would wait forever
				event("published before the answer")
			}
		},
	})
	got := do(t, srv, "POST", Path+testSecret, formType, bytes.NewReader(fixture(t, "contact_update_custom_fields")))
	event("answered")
	close(answered)
	if got.status != 200 {
		t.Fatalf("status = %d", got.status)
	}
	srv.Close() // waits for the handler, and so for Publish
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"invalidated", "answered", "published"}, events); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
	if len(invalidated) != 1 || invalidated[0].ID != 7143599 || !cmp.Equal(invalidated, published) {
		t.Errorf("invalidated %v, published %v; want contact 7143599 in both", invalidated, published)
	}
}

// TestHandler_RepeatedDelivery hands a hub the same delivery twice: both
// are acknowledged and invalidate, the subscriber sees the change once.
func TestHandler_RepeatedDelivery(t *testing.T) {
	t.Parallel()
	hub := changes.NewHub(0)
	t.Cleanup(hub.Close)
	sub := hub.Subscribe(changes.Filter{Entity: changes.Leads})
	var mu sync.Mutex
	invalidations := 0
	srv := serve(t, HandlerConfig{
		Secret: testSecret,
		Invalidate: func([]changes.Change) {
			mu.Lock()
			defer mu.Unlock()
			invalidations++
		},
		Publish: func(cs []changes.Change) { hub.Publish(cs...) },
	})
	for range 2 {
		if got := do(t, srv, "POST", Path+testSecret, formType, bytes.NewReader(fixture(t, "lead_status"))); got.status != 200 {
			t.Fatalf("status = %d", got.status)
		}
	}
	srv.Close()
	hub.Close()
	var got []int
	for c := range sub.C {
		got = append(got, c.ID)
	}
	if len(got) != 1 || got[0] != 25399013 || invalidations != 2 {
		t.Errorf("subscriber got %v after %d invalidations; want [25399013] after 2", got, invalidations)
	}
}

// TestHandler_PathValue checks the handler under a {secret} wildcard route.
func TestHandler_PathValue(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(HandlerConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/hooks/{secret}", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for path, want := range map[string]int{"/hooks/" + testSecret: 200, "/hooks/guess": 404} {
		if got := do(t, srv, "POST", path, formType, strings.NewReader("leads[add][0][id]=1")); got.status != want {
			t.Errorf("%s: status = %d, want %d", path, got.status, want)
		}
	}
}

func TestNewHandler_Secret(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "has/slash", "has space", "percent%2F", "ключ", strings.Repeat("a", 257)} {
		if _, err := NewHandler(HandlerConfig{Secret: s}); err == nil {
			t.Errorf("NewHandler accepted secret %q", s)
		}
	}
	if _, err := NewHandler(HandlerConfig{Secret: testSecret, MaxBodyBytes: -1}); err == nil {
		t.Error("NewHandler accepted a negative body limit")
	}
}

func TestRedactPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		Path + testSecret: Path + "REDACTED",
		"/query":          "/query",
	} {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkHandler_Delivery measures one delivery over loopback, from the
// client's send to Publish: the handler's share of a webhook's way to its
// subscribers.
func BenchmarkHandler_Delivery(b *testing.B) {
	published := make(chan struct{}, 1)
	h, err := NewHandler(HandlerConfig{
		Secret:     testSecret,
		Invalidate: func([]changes.Change) {},
		Publish:    func([]changes.Change) { published <- struct{}{} },
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := fixture(b, "mixed")
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(srv.URL+Path+testSecret, formType, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		<-published
	}
}
