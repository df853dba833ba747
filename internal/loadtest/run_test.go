package loadtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRun_Counts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		apiKey      string // required by the server when set
		queries     []Query
		concurrency int
		maxRequests int
		header      http.Header
		// want by query name: requests (-1: any, > 0) and errors (-1: same as requests)
		want       map[string][2]int
		wantErrors int
		wantFirst  string
	}{
		{
			name:        "RoundRobinOneWorker",
			queries:     queries("a", "b"),
			concurrency: 1,
			maxRequests: 20,
			want:        map[string][2]int{"a": {10, 0}, "b": {10, 0}},
		},
		{
			name:        "ManyWorkers",
			queries:     queries("a", "b", "c"),
			concurrency: 8,
			maxRequests: 90,
			want:        map[string][2]int{"a": {-1, 0}, "b": {-1, 0}, "c": {-1, 0}},
		},
		{
			name:        "Errors",
			queries:     queries("ok", "fail500", "gqlError", "notJSON"),
			concurrency: 1,
			maxRequests: 40,
			want:        map[string][2]int{"ok": {10, 0}, "fail500": {10, 10}, "gqlError": {10, 10}, "notJSON": {10, 10}},
			wantErrors:  30,
			wantFirst:   "query ",
		},
		{
			name:        "MissingAPIKey",
			apiKey:      "secret",
			queries:     queries("ok"),
			concurrency: 2,
			maxRequests: 6,
			want:        map[string][2]int{"ok": {6, 6}},
			wantErrors:  6,
			wantFirst:   "HTTP 401",
		},
		{
			name:        "APIKey",
			apiKey:      "secret",
			queries:     queries("ok"),
			concurrency: 2,
			maxRequests: 6,
			header:      http.Header{"X-Api-Key": {"secret"}},
			want:        map[string][2]int{"ok": {6, 0}},
		},
		{
			name: "SharedName",
			queries: []Query{
				{Name: "same", Query: "{ x }"},
				{Name: "same", Query: "{ gqlError }"},
				{Query: "{ unnamed }"},
			},
			concurrency: 1,
			maxRequests: 9,
			want:        map[string][2]int{"same": {6, 3}, "query#3": {3, 0}},
			wantErrors:  3,
			wantFirst:   "query same: GraphQL errors: [{\"message\":\"boom\"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeGraphQL{latency: time.Millisecond, apiKey: tt.apiKey}
			res, err := Run(t.Context(), Config{
				URL:         serve(t, fake),
				Queries:     tt.queries,
				Concurrency: tt.concurrency,
				MaxRequests: tt.maxRequests,
				Duration:    5 * time.Second,
				Header:      tt.header,
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Requests != tt.maxRequests {
				t.Errorf("Requests = %d, want %d", res.Requests, tt.maxRequests)
			}
			if got := fake.calls.Load(); got != int64(tt.maxRequests) {
				t.Errorf("server saw %d requests, want exactly %d", got, tt.maxRequests)
			}
			if res.Errors != tt.wantErrors {
				t.Errorf("Errors = %d, want %d (first: %s)", res.Errors, tt.wantErrors, res.FirstError)
			}
			if len(res.PerQuery) != len(tt.want) {
				t.Errorf("PerQuery has %d names, want %d: %v", len(res.PerQuery), len(tt.want), res.PerQuery)
			}
			sum := 0
			for name, want := range tt.want {
				got := res.PerQuery[name]
				sum += got.Requests
				if want[0] >= 0 && got.Requests != want[0] || want[0] < 0 && got.Requests == 0 {
					t.Errorf("PerQuery[%q].Requests = %d, want %d", name, got.Requests, want[0])
				}
				if got.Errors != want[1] {
					t.Errorf("PerQuery[%q].Errors = %d, want %d", name, got.Errors, want[1])
				}
			}
			if sum != res.Requests {
				t.Errorf("PerQuery requests add up to %d, want %d", sum, res.Requests)
			}
			if tt.wantFirst == "" && res.FirstError != "" || !strings.Contains(res.FirstError, tt.wantFirst) {
				t.Errorf("FirstError = %q, want it to contain %q", res.FirstError, tt.wantFirst)
			}
			if res.Elapsed <= 0 || res.Throughput <= 0 {
				t.Errorf("Elapsed = %s, Throughput = %f: want both > 0", res.Elapsed, res.Throughput)
			}
		})
	}
}

func TestRun_Percentiles(t *testing.T) {
	t.Parallel()
	fast := Query{Name: "fast", Query: "{ x }", Variables: map[string]any{"sleepMs": 0}}
	slow := Query{Name: "slow", Query: "{ x }", Variables: map[string]any{"sleepMs": 15}}
	res, err := Run(t.Context(), Config{
		URL:         serve(t, &fakeGraphQL{}),
		Queries:     []Query{fast, fast, fast, slow},
		Concurrency: 4,
		MaxRequests: 80,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !(0 < res.P50 && res.P50 <= res.P95 && res.P95 <= res.P99 && res.P99 <= res.Max) {
		t.Errorf("want 0 < P50 ≤ P95 ≤ P99 ≤ Max, got %s %s %s %s", res.P50, res.P95, res.P99, res.Max)
	}
	if res.Mean <= 0 || res.Mean > res.Max {
		t.Errorf("Mean = %s, want in (0, Max=%s]", res.Mean, res.Max)
	}
	if res.Max < 15*time.Millisecond {
		t.Errorf("Max = %s, want at least the slow query's 15ms", res.Max)
	}
	f, s := res.PerQuery["fast"], res.PerQuery["slow"]
	if s.P50 < 15*time.Millisecond || f.P50 >= s.P50 {
		t.Errorf("fast P50 %s, slow P50 %s: want slow ≥ 15ms > fast", f.P50, s.P50)
	}
	for name, q := range res.PerQuery {
		if !(q.P50 <= q.P95 && q.P95 <= q.P99) {
			t.Errorf("%s: want P50 ≤ P95 ≤ P99, got %s %s %s", name, q.P50, q.P95, q.P99)
		}
	}
}

func TestRun_DurationBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		latency time.Duration
		// counted: whether any request can complete inside the window
		counted bool
	}{
		{name: "FastServer", latency: 2 * time.Millisecond, counted: true},
		// Requests still in flight at the deadline are cut off, and they
		// count neither as requests nor as errors.
		{name: "HangingServer", latency: time.Minute, counted: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const window = 300 * time.Millisecond
			fake := &fakeGraphQL{latency: tt.latency}
			start := time.Now()
			res, err := Run(t.Context(), Config{URL: serve(t, fake), Queries: queries("a"), Concurrency: 4, Duration: window})
			took := time.Since(start)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if took < window || took > window+time.Second {
				t.Errorf("Run took %s, want about %s", took, window)
			}
			if res.Elapsed > window || res.Elapsed < window-50*time.Millisecond {
				t.Errorf("Elapsed = %s, want about %s and never more", res.Elapsed, window)
			}
			if res.Errors != 0 {
				t.Errorf("Errors = %d, want 0 (first: %s)", res.Errors, res.FirstError)
			}
			if tt.counted != (res.Requests > 0) {
				t.Errorf("Requests = %d, want counted = %t", res.Requests, tt.counted)
			}
			if fake.calls.Load() < int64(res.Requests) {
				t.Errorf("server saw %d requests, fewer than the %d counted", fake.calls.Load(), res.Requests)
			}
		})
	}
}

func TestRun_WarmupNotCounted(t *testing.T) {
	t.Parallel()
	fake := &fakeGraphQL{latency: 2 * time.Millisecond}
	start := time.Now()
	res, err := Run(t.Context(), Config{
		URL:      serve(t, fake),
		Queries:  queries("a"),
		Warmup:   200 * time.Millisecond,
		Duration: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("Run took %s, want warm-up + duration = 400ms", took)
	}
	if res.Requests == 0 || fake.calls.Load() <= int64(res.Requests)+int64(DefaultConcurrency) {
		t.Errorf("server saw %d requests, counted %d: want warm-up traffic left uncounted", fake.calls.Load(), res.Requests)
	}
	if res.Elapsed > 200*time.Millisecond {
		t.Errorf("Elapsed = %s, want only the 200ms measured window", res.Elapsed)
	}
}

func TestRun_ContextCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		latency time.Duration
		warmup  time.Duration
	}{
		{name: "WhileMeasuring", latency: 5 * time.Millisecond},
		{name: "WhileWarmingUp", latency: 5 * time.Millisecond, warmup: time.Minute},
		{name: "WhileWaitingForAnswers", latency: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeoutCause(t.Context(), 150*time.Millisecond, errors.New("operator pressed ctrl-c"))
			defer cancel()
			start := time.Now()
			res, err := Run(ctx, Config{
				URL:      serve(t, &fakeGraphQL{latency: tt.latency}),
				Queries:  queries("a"),
				Duration: MaxDuration,
				Warmup:   tt.warmup,
			})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Run took %s after cancellation at 150ms", took)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap the context's error", err)
			}
			if res == nil {
				t.Fatal("want the partial result with the error, got nil")
			}
			if res.Errors != 0 {
				t.Errorf("Errors = %d, want cut-off requests not counted (first: %s)", res.Errors, res.FirstError)
			}
			if res.Elapsed > 200*time.Millisecond {
				t.Errorf("Elapsed = %s, want it to stop at cancellation", res.Elapsed)
			}
		})
	}
}

func TestRun_CancelledBeforeStart(t *testing.T) {
	t.Parallel()
	fake := &fakeGraphQL{}
	url := serve(t, fake)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := Run(ctx, Config{URL: url, Queries: queries("a")})
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("Run = %v, %v; want nil, context.Canceled", res, err)
	}
	if n := fake.calls.Load(); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestRun_RedirectNotFollowed(t *testing.T) {
	t.Parallel()
	// Were the redirect followed, the dial guard would refuse it before
	// connecting; either way nothing reaches 10.0.0.1.
	fake := &fakeGraphQL{redirectTo: "http://10.0.0.1/query"}
	res, err := Run(t.Context(), Config{URL: serve(t, fake), Queries: queries("redirect"), Concurrency: 1, MaxRequests: 3})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Errors != 3 || !strings.Contains(res.FirstError, "HTTP 307") {
		t.Errorf("Errors = %d, FirstError = %q; want 3 errors reporting HTTP 307", res.Errors, res.FirstError)
	}
}
