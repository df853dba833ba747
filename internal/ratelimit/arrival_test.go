package ratelimit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hungUpstream reads each request and never answers; it counts arrivals.
func hungUpstream(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var arrived atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived.Add(1)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, &arrived
}

// Requests that amoCRM holds unanswered do not hold the budget: a slot is
// free again a second after its request can have arrived, not a second
// after an answer that never comes. A request sent into a hung upstream
// fails as a timeout, not as a spent budget.
func TestLimiter_HungUpstreamDoesNotHoldBudget(t *testing.T) {
	t.Parallel()
	srv, arrived := hungUpstream(t)
	l, err := New(WithRate(7))
	if err != nil {
		t.Fatal(err)
	}
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	rt := l.Wrap(base)
	send := func(timeout time.Duration) error { return getWithin(t, rt, srv.URL, timeout) }

	var wg sync.WaitGroup
	for range 7 { // the whole budget of a second, all hung
		wg.Go(func() { _ = send(3 * time.Second) })
	}
	time.Sleep(950 * time.Millisecond) // the bucket lets the 7th go at about 0.9 s
	err = send(1500 * time.Millisecond)
	wg.Wait()

	var be *BudgetError
	var ns interface{ NotSent() bool }
	if errors.As(err, &be) || (errors.As(err, &ns) && ns.NotSent()) {
		t.Errorf("8th request: %v; want it sent and timed out, the hung requests holding no slot", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("8th request: %v, want a deadline exceeded while amoCRM held it", err)
	}
	if n := arrived.Load(); n != 8 {
		t.Errorf("upstream received %d requests, want 8", n)
	}
}

// A request that, once its turn comes, would have less time left than
// the upstream usually takes to answer is refused instead of sent to time
// out.
func TestLimiter_RefusesRequestsWithoutTimeLeft(t *testing.T) {
	t.Parallel()
	var arrived atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		time.Sleep(200 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	l, err := New(WithRate(2), WithMargin(0))
	if err != nil {
		t.Fatal(err)
	}
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	rt := l.Wrap(base)
	send := func(timeout time.Duration) error { return getWithin(t, rt, srv.URL, timeout) }
	if err := send(5 * time.Second); err != nil { // teaches the limiter the 200 ms answer time
		t.Fatal(err)
	}
	// The next slot is 300 ms away; with a 400 ms deadline only 100 ms
	// would be left for a 200 ms answer.
	start := time.Now()
	err = send(400 * time.Millisecond)
	if took := time.Since(start); took > 150*time.Millisecond {
		t.Errorf("refusal took %s, want it at once", took)
	}
	var be *BudgetError
	if !errors.As(err, &be) {
		t.Errorf("err = %v, want *BudgetError", err)
	}
	if n := arrived.Load(); n != 1 {
		t.Errorf("upstream received %d requests, want 1: a request without time left must not be sent", n)
	}
}

// getWithin GETs url through rt with the given timeout, as credential
// "one", and returns the round trip's error.
func getWithin(t *testing.T, rt http.RoundTripper, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer one")
	resp, err := rt.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}
