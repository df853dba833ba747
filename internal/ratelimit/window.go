package ratelimit

import (
	"context"
	"sync"
	"time"
)

// window guarantees what the token bucket alone cannot: that amoCRM never
// sees more than n requests of one credential within any one second,
// however late a request arrives after it was let through (a stalled
// goroutine, a slow dial, a busy network).
//
// Each of n slots is held from the moment a request is sent until one second
// after its answer arrived. amoCRM counts a request on arrival, which falls
// between its sending and its answer; so the request that takes a slot next
// arrives at least a second after the slot's previous request did, and any
// one-second span holds at most n arrivals.
type window struct {
	mu      sync.Mutex
	free    []time.Time // per slot: when it may be used again; zero = now
	busy    []bool      // per slot: a request is in flight
	changed chan struct{}
}

// windowSpan is the span amoCRM's per-second limit is counted over.
const windowSpan = time.Second

func newWindow(n int) *window {
	n = max(n, 1)
	return &window{free: make([]time.Time, n), busy: make([]bool, n), changed: make(chan struct{})}
}

// acquire waits for a slot and returns it, or fails fast with *BudgetError
// when no slot frees before ctx's deadline.
func (w *window) acquire(ctx context.Context) (int, error) {
	for {
		w.mu.Lock()
		now := time.Now()
		var earliest time.Time
		for i, busy := range w.busy {
			if busy {
				continue
			}
			if !w.free[i].After(now) {
				w.busy[i] = true
				w.mu.Unlock()
				return i, nil
			}
			if earliest.IsZero() || w.free[i].Before(earliest) {
				earliest = w.free[i]
			}
		}
		changed := w.changed
		w.mu.Unlock()

		var t *time.Timer
		var timer <-chan time.Time
		if !earliest.IsZero() {
			if deadline, ok := ctx.Deadline(); ok && earliest.After(deadline) {
				return 0, &BudgetError{Wait: earliest.Sub(now)}
			}
			t = time.NewTimer(earliest.Sub(now))
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if err := ctx.Err(); err != nil {
			return 0, &waitError{err: err}
		}
	}
}

// release frees slot i a window after now, when the request's answer came.
func (w *window) release(i int) {
	w.mu.Lock()
	w.free[i] = time.Now().Add(windowSpan)
	w.busy[i] = false
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}
