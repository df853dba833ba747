package metrics_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/metrics"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestObserveUpstream(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	calls := []struct {
		method, url string
		status      int
		dur         time.Duration
		err         error
	}{
		{http.MethodGet, "https://example.amocrm.ru/api/v4/contacts/123?with=leads", 200, 80 * time.Millisecond, nil},
		{http.MethodGet, "https://example.amocrm.ru/api/v4/contacts/456", 204, 40 * time.Millisecond, nil},
		{http.MethodGet, "https://example.amocrm.ru/api/v4/contacts?filter[id][]=1&filter[id][]=2&limit=250", 200, 120 * time.Millisecond, nil},
		{http.MethodGet, "https://example.amocrm.ru/api/v4/contacts?query=anna", 429, 30 * time.Millisecond, nil},
		{http.MethodPatch, "https://example.amocrm.ru/api/v4/contacts", 0, 20 * time.Second, context.DeadlineExceeded},
	}
	for _, c := range calls {
		req := httptest.NewRequest(c.method, c.url, nil)
		m.ObserveUpstream(req, c.status, c.dur, c.err)
	}

	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	const wantText = `
# HELP amogql_upstream_requests_total HTTP attempts sent to amoCRM (each retry counts), by route (method and path, numeric ids as {id}) and status (0 when no answer came: timeout, connection error).
# TYPE amogql_upstream_requests_total counter
amogql_upstream_requests_total{route="GET /api/v4/contacts",status="200"} 1
amogql_upstream_requests_total{route="GET /api/v4/contacts",status="429"} 1
amogql_upstream_requests_total{route="GET /api/v4/contacts/{id}",status="200"} 1
amogql_upstream_requests_total{route="GET /api/v4/contacts/{id}",status="204"} 1
amogql_upstream_requests_total{route="PATCH /api/v4/contacts",status="0"} 1
`
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(wantText), "amogql_upstream_requests_total"); err != nil {
		t.Error(err)
	}

	e := scrape(t, m)
	e.check(t,
		want{"amogql_upstream_request_duration_seconds", map[string]string{"route": "GET /api/v4/contacts/{id}"}, 2},
		want{"amogql_upstream_request_duration_seconds", map[string]string{"route": "GET /api/v4/contacts"}, 2},
		want{"amogql_upstream_request_duration_seconds", map[string]string{"route": "PATCH /api/v4/contacts"}, 1},
	)
	// The 20 s timeout lands in the last finite bucket, not only in +Inf.
	h := histogram(t, e, "amogql_upstream_request_duration_seconds", "PATCH /api/v4/contacts")
	b := h.GetBucket()
	if len(b) < 2 {
		t.Fatalf("%d buckets", len(b))
	}
	if last := b[len(b)-2]; last.GetUpperBound() != 20 || last.GetCumulativeCount() != 1 {
		t.Errorf("last finite bucket le=%v count=%v, want le=20 count=1", last.GetUpperBound(), last.GetCumulativeCount())
	}
	if got := h.GetSampleSum(); got != 20 {
		t.Errorf("sum = %v, want 20", got)
	}
}

func TestObserveLimiterWait(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	for _, d := range []time.Duration{0, 0, 140 * time.Millisecond, 3 * time.Second, -time.Second} {
		m.ObserveLimiterWait(d)
	}
	e := scrape(t, m)
	e.check(t, want{"amogql_limiter_wait_seconds", map[string]string{}, 5})
	h := e["amogql_limiter_wait_seconds"].GetMetric()[0].GetHistogram()
	if got, want := h.GetSampleSum(), 3.14; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("sum = %v, want %v (a negative wait counts as 0)", got, want)
	}
}

func TestObserveBatch(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	for _, n := range []int{1, 1, 3, 250, 251} {
		m.ObserveBatch("lead", n)
	}
	m.ObserveBatch("contact", 10)

	e := scrape(t, m)
	e.check(t,
		want{"amogql_loader_batch_size", map[string]string{"entity": "lead"}, 5},
		want{"amogql_loader_batch_size", map[string]string{"entity": "contact"}, 1},
	)
	wantBuckets := map[float64]uint64{1: 2, 2: 2, 5: 3, 10: 3, 25: 3, 50: 3, 100: 3, 250: 4, 500: 5, math.Inf(1): 5}
	h := histogram(t, e, "amogql_loader_batch_size", "lead")
	if len(h.GetBucket()) != len(wantBuckets) {
		t.Fatalf("%d buckets, want %d", len(h.GetBucket()), len(wantBuckets))
	}
	for _, b := range h.GetBucket() {
		if w, ok := wantBuckets[b.GetUpperBound()]; !ok || b.GetCumulativeCount() != w {
			t.Errorf("bucket le=%v: count %d, want %d (defined: %v)", b.GetUpperBound(), b.GetCumulativeCount(), w, ok)
		}
	}
}

func TestSetBreakerState(t *testing.T) {
	t.Parallel()
	const head = `
# HELP amogql_upstream_breaker_state Circuit breaker in front of amoCRM: 1 for the current state (closed: calls flow; open: calls fail fast after repeated upstream failures; half-open: one probe call is testing recovery), 0 for the others.
# TYPE amogql_upstream_breaker_state gauge
`
	tests := []struct {
		name   string
		states []string
		want   string // closed, open, half-open
		moves  [3]float64
	}{
		{name: "StartsClosed", want: "closed"},
		{name: "RepeatIsNoTransition", states: []string{"closed", "closed"}, want: "closed"},
		{name: "Opens", states: []string{"open"}, want: "open", moves: [3]float64{0, 1, 0}},
		{name: "Recovers", states: []string{"open", "half-open", "closed"}, want: "closed", moves: [3]float64{1, 1, 1}},
		{name: "ProbeFails", states: []string{"open", "half-open", "open", "open"}, want: "open", moves: [3]float64{0, 2, 1}},
		{name: "UnknownIgnored", states: []string{"open", "State(7)", ""}, want: "open", moves: [3]float64{0, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := metrics.New()
			for _, s := range tt.states {
				m.SetBreakerState(s)
			}
			var text strings.Builder
			text.WriteString(head)
			for _, s := range []string{"closed", "half-open", "open"} {
				v := "0"
				if s == tt.want {
					v = "1"
				}
				text.WriteString(`amogql_upstream_breaker_state{state="` + s + `"} ` + v + "\n")
			}
			srv := httptest.NewServer(m.Handler())
			t.Cleanup(srv.Close)
			if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(text.String()), "amogql_upstream_breaker_state"); err != nil {
				t.Error(err)
			}
			e := scrape(t, m)
			for i, s := range []string{"closed", "open", "half-open"} {
				e.check(t, want{"amogql_upstream_breaker_transitions_total", map[string]string{"to": s}, tt.moves[i]})
			}
		})
	}
}

func TestRouteCap(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	for i := range 150 {
		req := httptest.NewRequest(http.MethodGet, "https://example.amocrm.ru/api/v4/x"+strings.Repeat("y", i), nil)
		m.ObserveUpstream(req, 200, time.Millisecond, nil)
	}
	e := scrape(t, m)
	if n := e.series("amogql_upstream_requests_total"); n != 101 {
		t.Errorf("amogql_upstream_requests_total has %d series, want 100 routes + other", n)
	}
	e.check(t, want{"amogql_upstream_requests_total", map[string]string{"route": "other", "status": "200"}, 50})
}

// TestNilSafety checks that a nil *Metrics, and a context that never went
// through Middleware, make every method a no-op rather than a panic.
func TestNilSafety(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodGet, "/api/v4/contacts/1", nil)
	use := func(m *metrics.Metrics) {
		ctx := context.Background()
		m.SetOperation(ctx, "Q")
		m.SetOutcome(ctx, "error")
		m.ObserveUpstream(req, 200, time.Millisecond, nil)
		m.ObserveUpstream(nil, 0, 0, errors.New("dial tcp: refused"))
		m.ObserveLimiterWait(time.Millisecond)
		m.ObserveBatch("lead", 3)
		m.SetBreakerState("open")
		m.ObserveRejected("too_deep")
	}
	tests := []struct {
		name string
		m    *metrics.Metrics
	}{
		{"NilMetrics", nil},
		{"NoRequestState", metrics.New()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			use(tt.m)

			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.m.SetOperation(r.Context(), "Q")
				w.WriteHeader(http.StatusTeapot)
			})
			rec := httptest.NewRecorder()
			tt.m.Middleware(next).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil))
			if rec.Code != http.StatusTeapot {
				t.Errorf("Middleware: status %d, want the handler's 418", rec.Code)
			}
		})
	}

	rec := httptest.NewRecorder()
	(*metrics.Metrics)(nil).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil Handler: status %d, want 404", rec.Code)
	}
}

// TestExposition checks that every metric of the package is exported with an
// explanation, next to the Go runtime and process collectors, and that two
// Metrics do not share a registry.
func TestExposition(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	h := m.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	m.ObserveUpstream(httptest.NewRequest(http.MethodGet, "/api/v4/leads", nil), 200, time.Millisecond, nil)
	m.ObserveLimiterWait(0)
	m.ObserveBatch("company", 2)

	e := scrape(t, m)
	for _, name := range []string{
		"amogql_requests_total",
		"amogql_request_duration_seconds",
		"amogql_inflight_requests",
		"amogql_requests_rejected_total",
		"amogql_upstream_requests_total",
		"amogql_upstream_request_duration_seconds",
		"amogql_limiter_wait_seconds",
		"amogql_loader_batch_size",
		"amogql_upstream_breaker_state",
		"amogql_upstream_breaker_transitions_total",
		"go_goroutines",
	} {
		fam, ok := e[name]
		switch {
		case !ok:
			t.Errorf("%s: not exported", name)
		case len(fam.GetHelp()) < 40:
			t.Errorf("%s: HELP %q does not explain it", name, fam.GetHelp())
		}
	}

	other := scrape(t, metrics.New())
	if _, ok := other.value("amogql_requests_total", map[string]string{"operation": "unknown", "outcome": "ok"}); ok {
		t.Error("a fresh Metrics sees another one's requests")
	}
}
