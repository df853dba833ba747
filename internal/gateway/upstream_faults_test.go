package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/breaker"
	"github.com/amogql/amogql/internal/sandbox"
)

// startFaulty is the gateway on a socket in front of the upstream at
// upURL, with the circuit breaker's cool-down given; it returns the
// Upstream too, so a test can look at the breaker.
func startFaulty(t *testing.T, sb *sandbox.Sandbox, upURL string, coolDown time.Duration, edit func(*Config)) (*testGateway, *Upstream) {
	t.Helper()
	cfg := Config{BaseURL: upURL, AccessToken: sandbox.DefaultToken, UpstreamTimeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	u, err := newUpstream(cfg, zerolog.Nop(), coolDown)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
	t.Cleanup(gw.Close)
	return &testGateway{t: t, sb: sb, url: gw.URL, upURL: upURL}, u
}

// startSandbox serves sb on a socket.
func startSandbox(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv.URL
}

// After the circuit opened, /readyz comes back by itself once amoCRM does:
// a load balancer that follows /readyz sends no queries to close it.
func TestReadyz_RecoversWithoutQueries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(*Config)
		bearer []string // headers of the queries that open the circuit
	}{
		{name: "HoldsToken"},
		{name: "PassThrough", edit: func(c *Config) { c.AccessToken = "" },
			bearer: []string{"Authorization", "Bearer " + sandbox.DefaultToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := sandbox.New()
			g, _ := startFaulty(t, sb, startSandbox(t, sb), 300*time.Millisecond, tt.edit)
			sb.SetFaults(sandbox.Faults{Status: http.StatusInternalServerError})
			for range 2 { // three attempts each: past the threshold of five
				g.do(`{ contact(id: 3) { id } }`, nil, tt.bearer...)
			}
			if code := get(t, g.url+"/readyz"); code != http.StatusServiceUnavailable {
				t.Fatalf("readyz = %d with the circuit open, want 503", code)
			}
			sb.ClearFaults()
			sb.ResetCalls()
			deadline := time.Now().Add(5 * time.Second)
			for get(t, g.url+"/readyz") != http.StatusOK {
				if time.Now().After(deadline) {
					t.Fatal("readyz still 503 five seconds after amoCRM recovered, with no query sent")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if n := sb.TotalCalls(); n > 1 {
				t.Errorf("%d upstream calls while recovering, want at most one probe", n)
			}
		})
	}
}

// Three hundred clients against a healthy upstream are too many for its
// budget, and the gateway says so (RATE_LIMITED); it does not send calls
// that have no time left, time them out and mistake itself for an outage of
// amoCRM (UPSTREAM_UNAVAILABLE, circuit open).
func TestUpstream_OverloadIsNotAnOutage(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.WithLatency(300 * time.Millisecond))
	g, u := startFaulty(t, sb, startSandbox(t, sb), breaker.DefaultCoolDown, func(c *Config) {
		c.RPS = 10
		c.UpstreamTimeout = time.Second
	})
	q := `query($id: ID!) { contact(id: $id) { id } }`
	if r := g.do(q, map[string]any{"id": 3}); len(r.Errors) > 0 { // the gateway has seen amoCRM answer
		t.Fatal(r.Errors)
	}
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			r := g.do(q, map[string]any{"id": 10000001 + i})
			mu.Lock()
			defer mu.Unlock()
			codes[r.code(0)]++
		})
	}
	wg.Wait()
	t.Logf("answers by error code (\"\" = data): %v", codes)
	// A call sent with its usual answer time and a margin left can still
	// time out when the two cores running gateway, sandbox and 300 clients
	// (and, in CI, the rest of the suite) are starved; what must not happen
	// is sending calls that cannot make it, which turned most of a load
	// like this into UPSTREAM_UNAVAILABLE and opened the circuit.
	if n := codes["UPSTREAM_UNAVAILABLE"]; n > 300/20 {
		t.Errorf("%d UPSTREAM_UNAVAILABLE answers from a healthy amoCRM, want next to none", n)
	}
	if s := u.breaker.State(); s != breaker.Closed {
		t.Errorf("circuit %s after overload of the gateway, want closed", s)
	}
	if codes[""] == 0 || codes["RATE_LIMITED"] == 0 {
		t.Errorf("want some answers and some RATE_LIMITED, got %v", codes)
	}
}

// An amoCRM that holds requests without answering is reported as what it
// is, an unavailable upstream, and not as a spent rate budget: hung calls
// hold no rate slot once they can have arrived.
func TestUpstream_HungIsUnavailableNotRateLimited(t *testing.T) {
	t.Parallel()
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(hung.Close)
	g, _ := startFaulty(t, nil, hung.URL, breaker.DefaultCoolDown, func(c *Config) {
		c.RPS = 7
		// Long enough that the late calls' turns, a second after the first
		// wave's, come well within their deadline even on a loaded machine;
		// slots held until the answer would push them past it.
		c.UpstreamTimeout = 2 * time.Second
	})
	queries := []string{
		`{ contact(id: 3) { id } }`,
		`mutation { createContacts(input: [{name: "x"}]) { userErrors { code } } }`,
	}
	var mu sync.Mutex
	var codes []string
	ask := func(q string) {
		r := g.do(q, nil)
		code := r.code(0)
		if code == "" { // a write's failure is a user error of its payload
			var d struct {
				CreateContacts struct{ UserErrors []struct{ Code string } }
			}
			if json.Unmarshal(r.Data, &d) == nil && len(d.CreateContacts.UserErrors) > 0 {
				code = d.CreateContacts.UserErrors[0].Code
			}
		}
		mu.Lock()
		defer mu.Unlock()
		codes = append(codes, code)
	}
	var wg sync.WaitGroup
	for i := range 7 { // a second's budget, all held by amoCRM
		wg.Go(func() { ask(queries[i%2]) })
	}
	time.Sleep(950 * time.Millisecond)
	for i := range 4 {
		wg.Go(func() { ask(queries[i%2]) })
	}
	wg.Wait()
	if slices.Contains(codes, "RATE_LIMITED") || slices.Contains(codes, "") {
		t.Errorf("codes %v: want every query to fail as the upstream's failure, none RATE_LIMITED", codes)
	}
}

// With answers taking a second, the gateway still spends its budget: no
// 429 from amoCRM, and no second with more arrivals than the budget.
// BenchmarkUpstream_SlowAmoCRM measures the rate achieved.
func TestUpstream_SlowAmoCRMNo429(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.WithLatency(time.Second), sandbox.WithRequestLog(1000))
	sb.SetFaults(sandbox.Faults{Latency: time.Second, EnforceRPS: 7})
	_, u := startFaulty(t, sb, startSandbox(t, sb), breaker.DefaultCoolDown, func(c *Config) {
		c.RPS = 7
		c.UpstreamTimeout = 30 * time.Second
		// The sandbox shares two cores with the whole -race suite: its
		// "network" is the Go scheduler, which under that load can take
		// longer than the production default (a datacentre link) to hand
		// it a request. The guarantee is tested under that assumption;
		// BenchmarkUpstream_SlowAmoCRM measures the default's throughput.
		// With three gateway processes of the replica tests beside it, a
		// handler was seen to start more than 300 ms after the write: the
		// test assumes up to a second (the largest bound 429s widen to).
		c.TransitBound = time.Second
	})
	if err := slowLoad(t.Context(), u.Client, 28, 14); err != nil {
		t.Error(err)
	}
	if n := sb.Count429(); n != 0 {
		t.Errorf("amoCRM answered 429 %d times", n)
	}
	var at []time.Time
	for _, r := range sb.Requests() {
		at = append(at, r.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for i := 7; i < len(at); i++ {
		if span := at[i].Sub(at[i-7]); span < time.Second {
			t.Errorf("arrivals %d and %d are %s apart: 8 within one second", i-7, i, span)
		}
	}
}

// slowLoad sends n GETs of a contact through c from the given number of
// goroutines and returns the first error.
func slowLoad(ctx context.Context, c *amocrm.Client, n, workers int) error {
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				req, err := c.NewRequest(ctx, http.MethodGet, "api/v4/contacts/3", nil)
				if err == nil {
					_, err = c.Do(req, nil)
				}
				if err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}

// BenchmarkUpstream_SlowAmoCRM reports the rate at which requests arrive at
// amoCRM (req/s, from the first arrival to the last) when the gateway has a
// 7 rps budget and amoCRM takes a second to answer, the most arrivals
// amoCRM saw within any one second, and how many 429s it gave. Run with a
// fixed count, e.g. -bench SlowAmoCRM -benchtime 140x.
func BenchmarkUpstream_SlowAmoCRM(b *testing.B) {
	sb := sandbox.New(sandbox.WithLatency(time.Second), sandbox.WithRequestLog(b.N+10))
	sb.SetFaults(sandbox.Faults{Latency: time.Second, EnforceRPS: 7})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	u, err := newUpstream(Config{BaseURL: srv.URL, AccessToken: sandbox.DefaultToken, RPS: 7, UpstreamTimeout: time.Minute},
		zerolog.Nop(), breaker.DefaultCoolDown)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := slowLoad(b.Context(), u.Client, b.N, 20); err != nil {
		b.Error(err)
	}
	b.StopTimer()
	var at []time.Time
	for _, r := range sb.Requests() {
		at = append(at, r.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	if len(at) > 1 {
		b.ReportMetric(float64(len(at)-1)/at[len(at)-1].Sub(at[0]).Seconds(), "req/s")
	}
	most := 0
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	b.ReportMetric(float64(most), "max/s")
	b.ReportMetric(float64(sb.Count429()), "429s")
}
