package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/metrics"

	"github.com/amogql/amogql/internal/sandbox"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.APIKeys = []string{"k-one", "k-two"} }))
	cases := []struct {
		name, key string
		ok        bool
	}{
		{"no key", "", false},
		{"wrong key", "k-three", false},
		{"prefix of a key", "k-on", false},
		{"first key", "k-one", true},
		{"second key", "k-two", true},
	}
	for _, tc := range cases {
		r := g.do(`{ contact(id: 3) { name } }`, nil, "X-API-Key", tc.key)
		if tc.ok != (len(r.Errors) == 0) {
			t.Errorf("%s: %+v", tc.name, r.Errors)
		}
		if !tc.ok && (r.status != http.StatusUnauthorized || r.code(0) != "UNAUTHENTICATED" || contains(r.Errors[0].Message, "k-one")) {
			t.Errorf("%s: status %d, errors %+v", tc.name, r.status, r.Errors)
		}
	}
	if n := g.calls(routeContact); n != 2 {
		t.Errorf("%d upstream calls, want 2: refused requests must not reach amoCRM", n)
	}
}

// Fifty clients at once against an upstream that enforces 7 requests per
// second: amoCRM sees no 429 and every query is answered.
//
// Not parallel: it is about timing, and other tests competing for the two
// cores would only add scheduling stalls no production host has.
func TestRateBudget_NoUpstream429(t *testing.T) {
	sb := sandbox.New()
	g := startGateway(t, sb, withConfig(func(c *Config) {
		c.RPS = 7
		c.UpstreamTimeout = 30 * time.Second
		// Other packages' tests (three gateway processes among them) run
		// beside this one: the sandbox's handler, which counts the call,
		// can start later than the production bound after the request was
		// written. See TestUpstream_SlowAmoCRMNo429.
		c.TransitBound = 300 * time.Millisecond
	}))
	sb.SetFaults(sandbox.Faults{EnforceRPS: 7})
	const clients = 50
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range clients {
		wg.Go(func() {
			r := g.do(`query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": 10000001 + i})
			if len(r.Errors) > 0 {
				failed.Add(1)
				t.Logf("client %d: %+v", i, r.Errors)
			}
		})
	}
	wg.Wait()
	if n := sb.Count429(); n != 0 {
		t.Errorf("amoCRM answered 429 %d times", n)
	}
	if failed.Load() != 0 {
		t.Errorf("%d of %d queries failed", failed.Load(), clients)
	}
}

// A query whose wait for the rate budget would outlast its deadline fails
// fast with RATE_LIMITED instead of queueing.
func TestRateBudget_FailsFast(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.RPS = 0.2; c.UpstreamTimeout = 500 * time.Millisecond }))
	if r := g.do(`{ contact(id: 3) { id } }`, nil); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	start := time.Now()
	r := g.do(`{ contact(id: 7143599) { id } }`, nil)
	if r.code(0) != "RATE_LIMITED" || time.Since(start) > 400*time.Millisecond {
		t.Errorf("after %v: %+v", time.Since(start), r.Errors)
	}
}

// A failing upstream opens the circuit: calls fail fast, readiness drops,
// and both recover once amoCRM does.
func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	g := startGateway(t, sb)
	sb.SetFaults(sandbox.Faults{Status: http.StatusBadGateway})
	for range 3 { // each query retries, so a few exceed the breaker's threshold
		g.do(`{ contact(id: 3) { id } }`, nil)
	}
	before := sb.TotalCalls()
	r := g.do(`{ contact(id: 3) { id } }`, nil)
	if r.code(0) != "UPSTREAM_UNAVAILABLE" || sb.TotalCalls() != before {
		t.Errorf("open circuit: %+v, %d calls reached amoCRM", r.Errors, sb.TotalCalls()-before)
	}
	if code := get(t, g.url+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz = %d while open", code)
	}
	sb.ClearFaults()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = g.do(`{ contact(id: 3) { id } }`, nil)
		if len(r.Errors) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("did not recover: %+v", r.Errors)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code := get(t, g.url+"/readyz"); code != http.StatusOK {
		t.Errorf("readyz = %d after recovery", code)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The gateway refreshes its OAuth token against the account's token
// endpoint, persists the rotated pair to a 0600 file and keeps working from
// it after a restart.
func TestOAuthRefresh(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.WithAccessTokenTTL(time.Hour))
	store := filepath.Join(t.TempDir(), "tokens.json")
	oauthCfg := &OAuthConfig{
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURI: sandbox.DefaultRedirectURI, RefreshToken: sb.IssueRefreshToken(), StorePath: store,
	}
	oauthOnly := withConfig(func(c *Config) { c.AccessToken = ""; c.OAuth = oauthCfg })
	g := startGateway(t, sb, oauthOnly)
	var got struct{ Contact contact }
	g.data(`{ contact(id: 3) { name } }`, nil, &got)
	if got.Contact.Name != "Иван Иванов" || sb.Calls("POST /oauth2/access_token") != 1 {
		t.Fatalf("contact %+v after %d refreshes", got.Contact, sb.Calls("POST /oauth2/access_token"))
	}
	info, err := os.Stat(store)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token store: %v, mode %v", err, info.Mode())
	}
	raw, _ := os.ReadFile(store)
	if bytes.Contains(raw, []byte(oauthCfg.RefreshToken)) {
		t.Error("the spent refresh token is still in the store")
	}
	// A second gateway process starts from the store: the initial refresh
	// token was single-use and is revoked by now.
	g2 := startGateway(t, sb, oauthOnly)
	g2.data(`{ contact(id: 3) { name } }`, nil, &got)
	if got.Contact.Name != "Иван Иванов" {
		t.Errorf("after restart: %+v", got.Contact)
	}
}

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.MaxDepth = 6; c.MaxUpstreamCalls = 4 }))
	cases := []struct{ name, query, code string }{
		{"too deep", `{ contacts { nodes { companies { contacts { companies { contacts { name } } } } } } }`, "QUERY_TOO_COMPLEX"},
		{"too many calls", `{ contact(id: 3) { leads { name } companies { name } customers { name } chats { chatId } } }`, "QUERY_TOO_COMPLEX"},
		{"introspection is not counted", `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }`, ""},
	}
	for _, tc := range cases {
		before := g.sb.TotalCalls()
		r := g.do(tc.query, nil)
		if r.code(0) != tc.code {
			t.Errorf("%s: %+v", tc.name, r.Errors)
		}
		if tc.code != "" && g.sb.TotalCalls() != before {
			t.Errorf("%s: refused query reached amoCRM", tc.name)
		}
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.NoIntrospection = true }))
	r := g.do(`{ __schema { queryType { name } } }`, nil)
	if len(r.Errors) == 0 || r.code(0) == "" {
		t.Errorf("introspection answered while off: %s", r.Data)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.MaxBodyBytes = 1024 }))
	r := g.do(`{ contacts(query: "`+repeat("x", 4096)+`") { nodes { id } } }`, nil)
	if r.status != http.StatusRequestEntityTooLarge || r.code(0) == "" || g.sb.TotalCalls() != 0 {
		t.Errorf("status %d, errors %+v, %d calls", r.status, r.Errors, g.sb.TotalCalls())
	}
}

// Automatic persisted queries: a hash alone runs a query sent once before.
func TestAPQAndGET(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	q := `{ contact(id: 3) { name } }`
	const hash = "b2bd6d2e2c4e9b69b5a2b6f1aa4b7c6c3e1f0d4b3a29cf4b9fb3c4d0ba0c9e1a" // not the query's: must be refused
	ext := func(h string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}
	}
	r := postRaw(t, g.url, map[string]any{"extensions": ext(hash)})
	if !contains(string(r), "PERSISTED_QUERY_NOT_FOUND") {
		t.Errorf("unknown hash: %s", r)
	}
	sum := sha256Hex(q)
	postRaw(t, g.url, map[string]any{"query": q, "extensions": ext(sum)})
	r = postRaw(t, g.url, map[string]any{"extensions": ext(sum)})
	if !contains(string(r), "Иван Иванов") {
		t.Errorf("persisted query by hash: %s", r)
	}
	resp, err := http.Get(g.url + "/query?query=" + urlEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK || !contains(body.String(), "Иван Иванов") {
		t.Errorf("GET: %d %s", resp.StatusCode, body.String())
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.CORSOrigins = []string{"https://app.example.com"} }))
	for origin, allowed := range map[string]bool{"https://app.example.com": true, "https://evil.example.com": false} {
		req, _ := http.NewRequest(http.MethodOptions, g.url+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-api-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin") == origin; got != allowed {
			t.Errorf("%s: Access-Control-Allow-Origin %q", origin, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// The client's request id reaches amoCRM and comes back to the client.
func TestRequestIDPropagation(t *testing.T) {
	t.Parallel()
	var seen atomic.Value
	sb := sandbox.New()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("X-Request-Id"))
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken}
	u, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
	t.Cleanup(gw.Close)
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/query", bytes.NewReader([]byte(`{"query":"{ contact(id: 3) { id } }"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "trace-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "trace-42" || seen.Load() != "trace-42" {
		t.Errorf("response id %q, upstream saw %v", resp.Header.Get("X-Request-Id"), seen.Load())
	}
}

// A client that goes away cancels the upstream work it started.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	g := startGateway(t, sb)
	sb.SetFaults(sandbox.Faults{Latency: 3 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/query", bytes.NewReader([]byte(`{"query":"{ contact(id: 3) { id } }"}`)))
	req.Header.Set("Content-Type", "application/json")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("request finished despite the client's deadline")
	}
	// The sandbox records the call as pending (status 0) until it answers;
	// a cancelled call never gets its answer written.
	time.Sleep(3500 * time.Millisecond)
	for _, r := range sb.Requests() {
		if r.Status == http.StatusOK {
			t.Errorf("upstream call ran to completion after the client left: %+v", r)
		}
	}
}

// Shutdown drains: a request in flight when the signal arrives completes.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	url, stop, err := StartSandbox(sb)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	sb.SetFaults(sandbox.Faults{Latency: 500 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Config{Addr: "127.0.0.1:0", BaseURL: url, AccessToken: sandbox.DefaultToken, APIKeys: []string{"k"},
			ShutdownTimeout: 5 * time.Second}, zerolog.Nop(), func(a string) { addrc <- a })
	}()
	addr := <-addrc
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/query", bytes.NewReader([]byte(`{"query":"{ contact(id: 3) { name } }"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- 0
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	// Shut down once the request is in flight: amoCRM has seen its call.
	for deadline := time.Now().Add(10 * time.Second); sb.TotalCalls() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached amoCRM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-result; code != http.StatusOK {
		t.Errorf("in-flight request got %d during shutdown", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func postRaw(t *testing.T, url string, body map[string]any) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url+"/query", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return out.Bytes()
}

// /metrics shows what each layer recorded for a query.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	g := startGateway(t, nil, withConfig(func(c *Config) { c.Metrics = m; c.RPS = 100; c.APIKeys = []string{"k"} }))
	r := g.do(`query Screen { contacts(first: 10) { nodes { name leads { name } } } }`, nil, "X-API-Key", "k")
	if len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	g.do(`{ contact(id: 3) { id } }`, nil) // no key: refused
	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	for _, want := range []string{
		`amogql_requests_total{operation="Screen",outcome="ok"} 1`,
		`amogql_upstream_requests_total{route="GET /api/v4/contacts",status="200"} 1`,
		`amogql_upstream_requests_total{route="GET /api/v4/leads",status="200"} 1`,
		`amogql_loader_batch_size_count{entity="lead"} 1`,
		`amogql_requests_rejected_total{reason="unauthenticated"} 1`,
		`amogql_upstream_breaker_state{state="closed"} 1`,
		`amogql_limiter_wait_seconds_count`,
	} {
		if !contains(body.String(), want) {
			t.Errorf("/metrics lacks %s in\n%s", want, grepLines(body.String(), "amogql_requests_total|amogql_upstream_requests_total"))
		}
	}
}
