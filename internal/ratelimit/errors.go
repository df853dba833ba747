package ratelimit

import (
	"fmt"
	"time"
)

// BudgetError is returned, without sending the request, when waiting for the
// credential's budget would outlast the request's context deadline, or leave
// it less time than the upstream's usual answer time (WithMinTimeLeft).
// Failing at once leaves the caller its remaining time instead of spending
// it in a queue that cannot end in time, and keeps requests that could only
// time out from reaching amoCRM. Callers report it as RATE_LIMITED.
type BudgetError struct {
	// Wait is how long the request would have had to wait for its slot.
	Wait time.Duration
}

// Error says how far away the next slot is; it never names the credential.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("ratelimit: upstream budget exhausted: the next slot is %s away, too late for the request deadline",
		e.Wait.Round(time.Millisecond))
}

// NotSent reports that the request never reached the upstream, so a retry
// layer should not try again (the wait only grows) and a circuit breaker
// should not count it against the upstream's health.
func (e *BudgetError) NotSent() bool { return true }

// waitError is returned, without sending the request, when the request's
// context ends while it waits for its budget. errors.Is matches the
// context's error through it.
type waitError struct{ err error }

func (e *waitError) Error() string {
	return "ratelimit: waiting for the upstream budget: " + e.err.Error()
}
func (e *waitError) Unwrap() error { return e.err }

// NotSent reports that the request never reached the upstream: a breaker
// must not blame the upstream for a deadline spent in our own queue.
func (e *waitError) NotSent() bool { return true }
