package metrics_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/amogql/amogql/internal/metrics"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		operation   *string  // nil: SetOperation is never called
		outcomes    []string // SetOutcome calls, in order
		status      int      // 0: the handler writes a body without WriteHeader
		wantOp      string
		wantOutcome string
	}{
		{name: "NamedOK", operation: ptr("GetContact"), wantOp: "GetContact", wantOutcome: "ok"},
		{name: "Anonymous", operation: ptr(""), wantOp: "anonymous", wantOutcome: "ok"},
		{name: "GraphQLErrors", operation: ptr("GetContact"), outcomes: []string{"error"}, wantOp: "GetContact", wantOutcome: "error"},
		{name: "ErrorCode", operation: ptr("ListContacts"), outcomes: []string{"RATE_LIMITED"}, wantOp: "ListContacts", wantOutcome: "RATE_LIMITED"},
		{name: "OKDoesNotHideFailure", operation: ptr("Q"), outcomes: []string{"UPSTREAM_UNAVAILABLE", "ok"}, wantOp: "Q", wantOutcome: "UPSTREAM_UNAVAILABLE"},
		{name: "LaterFailureWins", operation: ptr("Q"), outcomes: []string{"ok", "error", "FORBIDDEN"}, wantOp: "Q", wantOutcome: "FORBIDDEN"},
		{name: "RefusedBeforeExecution", status: http.StatusRequestEntityTooLarge, wantOp: "unknown", wantOutcome: "http_413"},
		{name: "ExplicitStatusOK", operation: ptr("Q"), status: http.StatusOK, wantOp: "Q", wantOutcome: "ok"},
		{name: "ServerError", operation: ptr("Q"), status: http.StatusBadGateway, wantOp: "Q", wantOutcome: "http_502"},
		{name: "TooLongName", operation: ptr(strings.Repeat("A", 200)), wantOp: "other", wantOutcome: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := metrics.New()
			h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.operation != nil {
					m.SetOperation(r.Context(), *tt.operation)
				}
				for _, o := range tt.outcomes {
					m.SetOutcome(r.Context(), o)
				}
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				fmt.Fprint(w, `{"data":{}}`)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))

			e := scrape(t, m)
			e.check(t,
				want{"amogql_requests_total", map[string]string{"operation": tt.wantOp, "outcome": tt.wantOutcome}, 1},
				want{"amogql_request_duration_seconds", map[string]string{"operation": tt.wantOp}, 1},
				want{"amogql_inflight_requests", map[string]string{}, 0},
			)
			if n := e.series("amogql_requests_total"); n != 1 {
				t.Errorf("amogql_requests_total has %d series, want 1", n)
			}
		})
	}
}

func TestMiddleware_Panic(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.SetOperation(r.Context(), "Boom")
		m.SetOutcome(r.Context(), "ok")
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if recover() != http.ErrAbortHandler {
				t.Error("the panic did not reach the caller")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	}()
	scrape(t, m).check(t,
		want{"amogql_requests_total", map[string]string{"operation": "Boom", "outcome": "panic"}, 1},
		want{"amogql_inflight_requests", map[string]string{}, 0},
	)
}

func TestMiddleware_Inflight(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	entered, release := make(chan struct{}), make(chan struct{})
	h := m.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	done := make(chan struct{})
	for range 2 {
		go func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
			done <- struct{}{}
		}()
		<-entered
	}
	scrape(t, m).check(t, want{"amogql_inflight_requests", map[string]string{}, 2})
	close(release)
	<-done
	<-done
	scrape(t, m).check(t,
		want{"amogql_inflight_requests", map[string]string{}, 0},
		want{"amogql_requests_total", map[string]string{"operation": "unknown", "outcome": "ok"}, 2},
	)
}

// TestMiddleware_Flusher checks that gqlgen's streaming transports, which
// assert http.Flusher on the writer, still can through the middleware, and
// that the writer underneath stays reachable.
func TestMiddleware_Flusher(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	rec := httptest.NewRecorder()
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Fatal("writer is not an http.Flusher")
		}
		f.Flush()
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok || u.Unwrap() != rec {
			t.Error("Unwrap does not return the server's writer")
		}
	}))
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil))
	if !rec.Flushed {
		t.Error("Flush did not reach the server's writer")
	}
}

func TestOperationCap(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	serve := func(op string) {
		h := m.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			m.SetOperation(r.Context(), op)
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	}
	for i := range 250 {
		serve(fmt.Sprintf("Op%d", i))
	}
	serve("Op0")   // known before the cap: keeps its series
	serve("Op249") // first seen after the cap: still "other"

	e := scrape(t, m)
	if n := e.series("amogql_requests_total"); n != 201 {
		t.Errorf("amogql_requests_total has %d series, want 200 names + other", n)
	}
	if n := e.series("amogql_request_duration_seconds"); n != 201 {
		t.Errorf("amogql_request_duration_seconds has %d series, want 200 names + other", n)
	}
	e.check(t,
		want{"amogql_requests_total", map[string]string{"operation": "Op0", "outcome": "ok"}, 2},
		want{"amogql_requests_total", map[string]string{"operation": "Op199", "outcome": "ok"}, 1},
		want{"amogql_requests_total", map[string]string{"operation": "other", "outcome": "ok"}, 51},
	)
	if _, ok := e.value("amogql_requests_total", map[string]string{"operation": "Op200", "outcome": "ok"}); ok {
		t.Error("Op200, the 201st name, got its own series")
	}
}

func TestObserveRejected(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.ObserveRejected("too_deep")
	m.ObserveRejected("too_deep")
	m.ObserveRejected("body_too_large")
	scrape(t, m).check(t,
		want{"amogql_requests_rejected_total", map[string]string{"reason": "too_deep"}, 2},
		want{"amogql_requests_rejected_total", map[string]string{"reason": "body_too_large"}, 1},
		// Known reasons are exported at zero so alerts can rate() them from the start.
		want{"amogql_requests_rejected_total", map[string]string{"reason": "unauthenticated"}, 0},
		want{"amogql_requests_rejected_total", map[string]string{"reason": "too_complex"}, 0},
		want{"amogql_requests_rejected_total", map[string]string{"reason": "rate_limited"}, 0},
	)
}

func ptr[T any](v T) *T { return &v }
