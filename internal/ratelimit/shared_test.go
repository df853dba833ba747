package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/amogql/amogql/internal/ratelimit"
)

// health is a ratelimit.Health the test turns on and off.
type health struct {
	down    atomic.Bool
	reports atomic.Int32
}

func (h *health) Up() bool { return !h.down.Load() }
func (h *health) Report(err error) {
	if err != nil {
		h.reports.Add(1)
		h.down.Store(true)
	}
}

func newRedis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return mr, rdb
}

// replica is one gateway process's Limiter on the shared Redis.
func replica(t *testing.T, rdb *redis.Client, h ratelimit.Health, replicas int, opts ...ratelimit.Option) *http.Client {
	t.Helper()
	opts = append(opts, ratelimit.WithShared(rdb, "test:", h, func() int { return replicas }))
	return newClient(t, newLimiter(t, opts...))
}

// maxPerSecond is the most arrivals within any one-second span.
func maxPerSecond(at []time.Time) int {
	most := 0
	for i := range at {
		n := 0
		for _, b := range at[i:] {
			if b.Sub(at[i]) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func TestShared_ReplicasSpendOneBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		shared bool
	}{
		{"shared through Redis", true},
		// The control: each replica keeping its own budget overspends,
		// so the test can tell the two apart.
		{"each replica on its own", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, 7)
			_, rdb := newRedis(t)
			var clients []*http.Client
			for range 3 {
				if tt.shared {
					clients = append(clients, replica(t, rdb, nil, 3))
				} else {
					clients = append(clients, newClient(t, newLimiter(t)))
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
			defer cancel()
			var wg sync.WaitGroup
			for _, c := range clients {
				for range 10 {
					wg.Go(func() {
						for ctx.Err() == nil {
							rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
							_, _ = get(rctx, c, up.srv.URL, "shared")
							rcancel()
						}
					})
				}
			}
			wg.Wait()
			ok, tooMany := up.counts()
			most := maxPerSecond(up.times("shared"))
			t.Logf("3 replicas × 10 clients for 2.5 s: %d answered, %d × 429, at most %d in a second", ok, tooMany, most)
			if overspent := tooMany != 0 || most > 7; overspent != !tt.shared {
				t.Fatalf("%d × 429, %d in one second: overspent %v, want %v", tooMany, most, overspent, !tt.shared)
			}
			if ok < 12 {
				t.Fatalf("only %d requests in 2.5 s: the budget starves", ok)
			}
		})
	}
}

func TestShared_A429PausesEveryReplica(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	up.first = func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	_, rdb := newRedis(t)
	a, b := replica(t, rdb, nil, 2), replica(t, rdb, nil, 2)
	ctx := context.Background()
	if code, err := get(ctx, a, up.srv.URL, "x"); err != nil || code != http.StatusTooManyRequests {
		t.Fatalf("first request: %d %v", code, err)
	}
	start := time.Now()
	if code, err := get(ctx, b, up.srv.URL, "x"); err != nil || code != http.StatusOK {
		t.Fatalf("second request: %d %v", code, err)
	}
	if waited := time.Since(start); waited < 1500*time.Millisecond {
		t.Fatalf("the other replica went after %s, within amoCRM's Retry-After of 2 s", waited)
	}
}

func TestShared_RefusesAWaitPastTheDeadline(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	up.first = func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	_, rdb := newRedis(t)
	a, b := replica(t, rdb, nil, 2), replica(t, rdb, nil, 2)
	if _, err := get(context.Background(), a, up.srv.URL, "y"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := get(ctx, b, up.srv.URL, "y")
	var be *ratelimit.BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("err %v, want *BudgetError", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("refused after %s: it should not wait for a turn it cannot use", d)
	}
}

func TestShared_RedisDownFallsBackToALocalShare(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 7)
	mr, rdb := newRedis(t)
	h := new(health)
	c := replica(t, rdb, h, 3)
	ctx := context.Background()
	if _, err := get(ctx, c, up.srv.URL, "z"); err != nil {
		t.Fatal(err)
	}
	mr.Close() // Redis dies; the Limiter learns it from its own call

	start := time.Now()
	if code, err := get(ctx, c, up.srv.URL, "z"); err != nil || code != http.StatusOK {
		t.Fatalf("request while Redis is down: %d %v", code, err)
	}
	if h.reports.Load() == 0 {
		t.Fatal("the failed Redis call was not reported")
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("first request after the switch went after %s, before the quiet spell of a window", waited)
	}

	// A third of the budget: 7/3 rps, at most 2 in a second.
	before := len(up.times("z"))
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				_, _ = get(rctx, c, up.srv.URL, "z")
				cancel()
			}
		})
	}
	wg.Wait()
	at := up.times("z")[before:]
	if most := maxPerSecond(at); most > 2 || len(at) == 0 {
		t.Fatalf("%d requests, at most %d in a second, want 1..2 (a third of 7)", len(at), most)
	}

	// Redis returns: the Limiter goes back to the shared budget, quietly first.
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	h.down.Store(false)
	callsBefore := mr.CommandCount()
	if code, err := get(ctx, c, up.srv.URL, "z"); err != nil || code != http.StatusOK {
		t.Fatalf("after recovery: %d %v", code, err)
	}
	if mr.CommandCount() == callsBefore {
		t.Fatal("after recovery the request did not go through the shared budget")
	}
}
