package breaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/breaker"
)

// A request that runs out of its caller's time is not the upstream's
// failure, unless the upstream had it for the breaker's patience: short
// deadlines against a slow but healthy upstream leave the circuit closed,
// while an upstream that sits on requests longer than the patience opens it.
func TestBreaker_DeadlinesCountOnlyAfterPatience(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		patience time.Duration
		deadline time.Duration
		want     breaker.State
	}{
		{name: "CallersShortDeadline", patience: time.Second, deadline: 50 * time.Millisecond, want: breaker.Closed},
		{name: "UpstreamSatOnIt", patience: 50 * time.Millisecond, deadline: 100 * time.Millisecond, want: breaker.Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newFlappy(t)
			up.delay.Store(int64(300 * time.Millisecond))
			b := newBreaker(t, breaker.WithThreshold(3), breaker.WithPatience(tt.patience))
			c := newClient(t, b)
			for range 5 {
				ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
				_, _ = get(ctx, c, up.srv.URL)
				cancel()
			}
			if got := b.State(); got != tt.want {
				t.Errorf("state after 5 deadlines of %s against a 300 ms upstream, patience %s: %s, want %s",
					tt.deadline, tt.patience, got, tt.want)
			}
		})
	}
}
