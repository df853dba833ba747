package loadtest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestRun_NoGoroutineLeak is deliberately not parallel: goleak must see only
// this test's goroutines. It covers the three ways a run ends, and checks
// while the servers still run, since closing them would also end the
// client's connection goroutines and hide a leak in Run.
func TestRun_NoGoroutineLeak(t *testing.T) {
	fast := httptest.NewServer(&fakeGraphQL{latency: time.Millisecond})
	hanging := httptest.NewServer(&fakeGraphQL{latency: time.Minute})

	if _, err := Run(t.Context(), Config{URL: fast.URL, Queries: queries("a", "fail500"), Concurrency: 8, MaxRequests: 100}); err != nil {
		t.Fatalf("Run to MaxRequests: %v", err)
	}
	if _, err := Run(t.Context(), Config{URL: hanging.URL, Queries: queries("a"), Concurrency: 8, Duration: 100 * time.Millisecond}); err != nil {
		t.Fatalf("Run to its deadline: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := Run(ctx, Config{URL: fast.URL, Queries: queries("a"), Concurrency: 8, Duration: MaxDuration}); err == nil {
		t.Fatal("Run with a cancelled context: want an error")
	}

	goleak.VerifyNone(t,
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"),
	)
	fast.Close()
	hanging.Close()
	goleak.VerifyNone(t)
}
