package ratelimit

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// credential is the budget of one upstream credential. Its fields are
// guarded by Limiter.mu.
type credential struct {
	lim *rate.Limiter
	// pausedUntil only ever grows, so the times handed to lim (the later of
	// now and pausedUntil, always taken under Limiter.mu) never go back:
	// x/time/rate mis-counts tokens when they do.
	pausedUntil time.Time
	inflight    int // requests waiting or being sent
	lastUsed    time.Time
	win         *window
	// transit is this credential's transit bound (arrival.go): the
	// Limiter's, doubled after each 429 amoCRM still sends, since a 429
	// that the window should have prevented suggests requests reached
	// amoCRM later than the bound assumed (or that another client spends
	// the same budget: either way, fewer requests per second is the cure).
	// It halves back towards the Limiter's after each transitDecay without
	// a 429.
	transit   time.Duration
	widenedAt time.Time
}

// transitDecay is how long a widened transit bound lasts before it halves.
const transitDecay = time.Minute

// maxTransitBound caps how far 429s widen a credential's transit bound: at a
// second the window holds each slot for two seconds after sending, which
// no network delay of a live connection approaches.
const maxTransitBound = time.Second

// acquire returns the credential for key, creating it, and marks one request
// in flight. It drops idle credentials at most once per idle timeout.
func (l *Limiter) acquire(key credKey) *credential {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.lastSweep) >= l.idle {
		l.lastSweep = now
		for k, c := range l.creds {
			if c.inflight == 0 && now.Sub(c.lastUsed) >= l.idle && !now.Before(c.pausedUntil) {
				delete(l.creds, k)
			}
		}
	}
	c := l.creds[key]
	if c == nil {
		c = &credential{lim: rate.NewLimiter(l.limit(), l.burst), win: newWindow(int(l.rps)), transit: l.transit}
		l.creds[key] = c
	}
	c.inflight++
	c.lastUsed = now
	return c
}

// release marks a request of c done.
func (l *Limiter) release(c *credential) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.inflight--
	c.lastUsed = time.Now()
}

// pauseFor stops every request of c for d from now, after amoCRM answered
// a 429, and widens c's transit bound. A shorter pause never shortens a
// longer one already in force.
func (l *Limiter) pauseFor(c *credential, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.transit = min(max(2*c.transit, 10*time.Millisecond), maxTransitBound)
	c.widenedAt = time.Now()
}

// transitOf is c's transit bound now.
func (l *Limiter) transitOf(c *credential) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.transit > l.transit && time.Since(c.widenedAt) >= transitDecay {
		c.transit = max(c.transit/2, l.transit)
		c.widenedAt = time.Now()
	}
	return c.transit
}

// clock is the time handed to c's bucket: now, or the end of a pause, so a
// request reserved during a pause is scheduled after it. Call with l.mu held.
func (c *credential) clock(now time.Time) time.Time {
	if c.pausedUntil.After(now) {
		return c.pausedUntil
	}
	return now
}

// wait blocks until c's budget admits one request and returns how long that
// took. It fails at once with *BudgetError when the request, once its turn
// comes, would have less than needLeft before ctx's deadline, and with
// ctx's error when ctx ends while waiting; either way the reserved slot is
// given back.
func (l *Limiter) wait(ctx context.Context, c *credential) (time.Duration, error) {
	start := time.Now()
	for {
		l.mu.Lock()
		now := time.Now()
		r := c.lim.ReserveN(c.clock(now), 1) // burst >= 1, so always OK
		delay := r.DelayFrom(now)
		if dl, ok := ctx.Deadline(); ok && dl.Sub(now.Add(delay)) < l.needLeft() {
			r.CancelAt(c.clock(now))
			l.mu.Unlock()
			return 0, &BudgetError{Wait: delay}
		}
		l.mu.Unlock()

		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				l.mu.Lock()
				r.CancelAt(c.clock(time.Now()))
				l.mu.Unlock()
				return time.Since(start), &waitError{err: ctx.Err()}
			}
		}

		// A 429 may have paused the credential while this request slept on
		// a slot from before the pause: that slot is void, queue again.
		l.mu.Lock()
		paused := time.Now().Before(c.pausedUntil)
		l.mu.Unlock()
		if !paused {
			return time.Since(start), nil
		}
	}
}
