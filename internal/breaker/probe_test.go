package breaker_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/breaker"
)

func TestBreaker_ProbeDue(t *testing.T) {
	t.Parallel()
	up := newFlappy(t)
	b := newBreaker(t, breaker.WithThreshold(1), breaker.WithCoolDown(100*time.Millisecond))
	c := newClient(t, b)
	if b.ProbeDue() {
		t.Error("closed breaker: ProbeDue() = true, want false")
	}
	up.failing.Store(true)
	if status, _ := get(t.Context(), c, up.srv.URL); status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the 503", status)
	}
	if b.State() != breaker.Open || b.ProbeDue() {
		t.Errorf("just opened: state %s, ProbeDue() = %v; want open, false", b.State(), b.ProbeDue())
	}
	time.Sleep(120 * time.Millisecond)
	if !b.ProbeDue() {
		t.Error("cool-down passed: ProbeDue() = false, want true")
	}
	up.failing.Store(false)
	if _, err := get(t.Context(), c, up.srv.URL); err != nil || b.State() != breaker.Closed || b.ProbeDue() {
		t.Errorf("after a good probe: err %v, state %s, ProbeDue() = %v; want closed, false", err, b.State(), b.ProbeDue())
	}
}
