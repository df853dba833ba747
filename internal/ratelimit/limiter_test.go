package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/ratelimit"
)

func TestLimiter_ConcurrentClientsStayWithinUpstreamBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		rps         int
		credentials int
		goroutines  int
		perRoutine  int
	}{
		// amoCRM's real budget; ten credentials keep the test short.
		{name: "7rps/10credentials", rps: 7, credentials: 10, goroutines: 50, perRoutine: 2},
		// One credential under the whole crowd, at a higher rate to stay fast.
		{name: "100rps/1credential", rps: 100, credentials: 1, goroutines: 50, perRoutine: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, tt.rps)
			var admitted atomic.Int64
			var maxWait atomic.Int64
			lim := newLimiter(t, ratelimit.WithRate(float64(tt.rps)), ratelimit.WithObserver(func(w time.Duration) {
				admitted.Add(1)
				for {
					cur := maxWait.Load()
					if int64(w) <= cur || maxWait.CompareAndSwap(cur, int64(w)) {
						return
					}
				}
			}))
			client := newClient(t, lim)

			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, tt.goroutines*tt.perRoutine)
			for g := range tt.goroutines {
				wg.Go(func() {
					token := fmt.Sprintf("token-%d", g%tt.credentials)
					for range tt.perRoutine {
						status, err := get(t.Context(), client, up.srv.URL, token)
						if err == nil && status != http.StatusOK {
							err = fmt.Errorf("status %d", status)
						}
						if err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			elapsed := time.Since(start)
			for err := range errs {
				t.Errorf("request failed: %v", err)
			}

			want := tt.goroutines * tt.perRoutine
			ok, tooMany := up.counts()
			if tooMany != 0 {
				t.Errorf("upstream answered 429 %d times, want 0", tooMany)
			}
			if ok != want || up.total() != want {
				t.Errorf("upstream served %d OK of %d received, want %d (no request lost or duplicated)", ok, up.total(), want)
			}
			if got := admitted.Load(); got != int64(want) {
				t.Errorf("observer saw %d admitted requests, want %d", got, want)
			}
			perCredential := want / tt.credentials
			ideal := time.Duration(float64(perCredential-1) / float64(tt.rps) * 1.05 * float64(time.Second))
			if elapsed < ideal*9/10 || elapsed > 2*ideal+time.Second {
				t.Errorf("took %s for %d requests per credential, want about %s", elapsed, perCredential, ideal)
			}
			t.Logf("%d requests, %d credentials: %s (ideal %s), 429s %d, max wait %s",
				want, tt.credentials, elapsed.Round(time.Millisecond), ideal.Round(time.Millisecond), tooMany,
				time.Duration(maxWait.Load()).Round(time.Millisecond))
		})
	}
}

func TestLimiter_DeadlineFailsFast(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	lim := newLimiter(t, ratelimit.WithRate(1), ratelimit.WithMargin(0))
	client := newClient(t, lim)

	first := time.Now()
	if _, err := get(t.Context(), client, up.srv.URL, "a"); err != nil {
		t.Fatalf("first request: %v", err)
	}

	t.Run("BudgetError", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := get(ctx, client, up.srv.URL, "a")
		var be *ratelimit.BudgetError
		if !errors.As(err, &be) {
			t.Fatalf("error = %v, want *ratelimit.BudgetError", err)
		}
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Errorf("refusal took %s, want it at once", took)
		}
		if be.Wait < 600*time.Millisecond || be.Wait > time.Second {
			t.Errorf("Wait = %s, want about 1s minus the time since the first request", be.Wait)
		}
		if strings.Contains(err.Error(), "Bearer") {
			t.Errorf("error mentions the credential: %v", err)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := get(ctx, client, up.srv.URL, "a")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
	if n := up.total(); n != 1 {
		t.Fatalf("upstream received %d requests, want 1: refused requests must not be sent", n)
	}

	// Refused requests gave their slots back: the next one goes one interval
	// after the first, not one per refusal later.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if _, err := get(ctx, client, up.srv.URL, "a"); err != nil {
		t.Fatalf("request after refusals: %v", err)
	}
	if gap := time.Since(first); gap < 900*time.Millisecond || gap > 1500*time.Millisecond {
		t.Errorf("next request went %s after the first, want about 1s", gap)
	}
}

func TestLimiter_PausesCredentialAfter429(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter func() string
		opts       []ratelimit.Option
		min, max   time.Duration
	}{
		{name: "RetryAfterSeconds", retryAfter: func() string { return "1" },
			min: time.Second, max: 1400 * time.Millisecond},
		{name: "RetryAfterHTTPDate", retryAfter: func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) },
			min: 900 * time.Millisecond, max: 2400 * time.Millisecond},
		{name: "NoRetryAfter", opts: []ratelimit.Option{ratelimit.WithDefaultPause(300 * time.Millisecond)},
			min: 300 * time.Millisecond, max: 700 * time.Millisecond},
		{name: "RetryAfterCapped", retryAfter: func() string { return "3600" },
			opts: []ratelimit.Option{ratelimit.WithMaxPause(200 * time.Millisecond)},
			min:  200 * time.Millisecond, max: 600 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, 0)
			up.first = func(w http.ResponseWriter) {
				if tt.retryAfter != nil {
					w.Header().Set("Retry-After", tt.retryAfter())
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte("<html>429</html>"))
			}
			lim := newLimiter(t, append([]ratelimit.Option{ratelimit.WithRate(20)}, tt.opts...)...)
			client := newClient(t, lim)

			if status, err := get(t.Context(), client, up.srv.URL, "a"); err != nil || status != http.StatusTooManyRequests {
				t.Fatalf("first request: status %d, err %v; want the 429", status, err)
			}
			// Three more requests of the paused credential and one of another.
			var wg sync.WaitGroup
			for _, token := range []string{"a", "a", "a", "b"} {
				wg.Go(func() {
					if _, err := get(t.Context(), client, up.srv.URL, token); err != nil {
						t.Errorf("request with %s: %v", token, err)
					}
				})
			}
			wg.Wait()

			a := up.times("a")
			if len(a) != 4 {
				t.Fatalf("upstream received %d requests of credential a, want 4", len(a))
			}
			for i, at := range a[1:] {
				if gap := at.Sub(a[0]); gap < tt.min || gap > tt.max+time.Duration(i)*60*time.Millisecond {
					t.Errorf("request %d of a went %s after the 429, want between %s and %s", i+2, gap, tt.min, tt.max)
				}
			}
			if b := up.times("b"); len(b) != 1 || b[0].Sub(a[0]) > 200*time.Millisecond {
				t.Errorf("credential b was held back by a's pause: arrivals %v after a's 429", b)
			}
		})
	}
}

func TestLimiter_CredentialsHaveSeparateBudgets(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 5)
	lim := newLimiter(t, ratelimit.WithRate(5), ratelimit.WithMargin(0))
	client := newClient(t, lim)

	start := time.Now()
	var wg sync.WaitGroup
	for _, token := range []string{"a", "b"} {
		wg.Go(func() {
			for range 3 {
				if _, err := get(t.Context(), client, up.srv.URL, token); err != nil {
					t.Errorf("%s: %v", token, err)
				}
			}
		})
	}
	wg.Wait()
	// Each credential needs two intervals of 200 ms; a shared budget would
	// need five.
	if took := time.Since(start); took < 380*time.Millisecond || took > 800*time.Millisecond {
		t.Errorf("two credentials × 3 requests at 5 rps took %s, want about 400ms", took)
	}
	if _, tooMany := up.counts(); tooMany != 0 {
		t.Errorf("upstream answered 429 %d times", tooMany)
	}
}

func TestLimiter_KeyFuncSharesBudgetAcrossCredentials(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	lim := newLimiter(t, ratelimit.WithRate(5), ratelimit.WithMargin(0),
		ratelimit.WithKeyFunc(func(r *http.Request) string { return "one integration" }))
	client := newClient(t, lim)
	start := time.Now()
	var wg sync.WaitGroup
	for _, token := range []string{"user-a", "user-b", "user-c"} {
		wg.Go(func() {
			if _, err := get(t.Context(), client, up.srv.URL, token); err != nil {
				t.Errorf("%s: %v", token, err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took < 380*time.Millisecond {
		t.Errorf("three tokens of one key took %s at 5 rps, want about 400ms (one shared budget)", took)
	}
}

func TestLimiter_EvictsIdleCredentials(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	lim := newLimiter(t, ratelimit.WithRate(1000), ratelimit.WithIdleTimeout(50*time.Millisecond))
	client := newClient(t, lim)

	for i := range 100 {
		if _, err := get(t.Context(), client, up.srv.URL, fmt.Sprintf("pass-through-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := lim.Len(); n < 2 {
		t.Fatalf("Len() = %d after 100 credentials, want them tracked", n)
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := get(t.Context(), client, up.srv.URL, "fresh"); err != nil {
		t.Fatal(err)
	}
	if n := lim.Len(); n != 1 {
		t.Errorf("Len() = %d after the idle timeout, want 1 (only the fresh credential)", n)
	}
}

func TestNew_RejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  ratelimit.Option
	}{
		{"ZeroRate", ratelimit.WithRate(0)},
		{"NegativeRate", ratelimit.WithRate(-7)},
		{"ZeroBurst", ratelimit.WithBurst(0)},
		{"NegativeMargin", ratelimit.WithMargin(-time.Millisecond)},
		{"ZeroPause", ratelimit.WithDefaultPause(0)},
		{"ZeroMaxPause", ratelimit.WithMaxPause(0)},
		{"ZeroIdle", ratelimit.WithIdleTimeout(0)},
		{"NegativeMinTimeLeft", ratelimit.WithMinTimeLeft(-time.Millisecond)},
		{"NegativeTransitBound", ratelimit.WithTransitBound(-time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ratelimit.New(tt.opt); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{"Absent", "", 0, false},
		{"Seconds", "3", 3 * time.Second, true},
		{"Zero", "0", 0, true},
		{"Negative", "-1", 0, false},
		{"Garbage", "soon", 0, false},
		{"FutureDate", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"PastDate", now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Huge", "99999999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := ratelimit.RetryAfter(h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("RetryAfter(%q) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
