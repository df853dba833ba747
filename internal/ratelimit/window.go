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
// amoCRM counts a request when it arrives. Each request holds one of n
// slots from the moment it is let through until the latest time it can
// have arrived (see arrival.go); the slot is then free again a window
// later. So the request that takes a slot next arrives at least a second
// after the slot's previous request did, and any one-second span holds at
// most n arrivals. Closing the slot at the arrival bound rather than at
// the answer is what lets a slow or hung upstream keep the full budget: a
// request that waits a second for its answer costs the slot a second plus
// its transit, not two seconds.
type window struct {
	mu      sync.Mutex
	free    []time.Time // per slot: when it may be used again; zero = now
	busy    []bool      // per slot: taken, and its request's arrival not yet bounded
	gen     []uint64    // per slot: bumped when taken, so news of an older request is ignored
	changed chan struct{}
}

// windowSpan is the span amoCRM's per-second limit is counted over.
const windowSpan = time.Second

func newWindow(n int) *window {
	n = max(n, 1)
	return &window{
		free: make([]time.Time, n), busy: make([]bool, n), gen: make([]uint64, n),
		changed: make(chan struct{}),
	}
}

// slot names one use of one slot.
type slot struct {
	i   int
	gen uint64
}

// acquire waits for a slot and returns it. It fails fast with *BudgetError
// when no slot frees at least need before ctx's deadline, and with a
// *waitError when ctx ends while waiting.
func (w *window) acquire(ctx context.Context, need time.Duration) (slot, error) {
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
				w.gen[i]++
				s := slot{i: i, gen: w.gen[i]}
				w.mu.Unlock()
				return s, nil
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
			if deadline, ok := ctx.Deadline(); ok && earliest.Add(need).After(deadline) {
				return slot{}, &BudgetError{Wait: earliest.Sub(now)}
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
			return slot{}, &waitError{err: err}
		}
	}
}

// settle records that s's request arrived at amoCRM no later than end: the
// slot is free again a window after end. It may be called again with a
// better bound (earlier or later) while the slot has not been taken anew.
func (w *window) settle(s slot, end time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gen[s.i] != s.gen {
		return
	}
	w.free[s.i] = end.Add(windowSpan)
	w.wake(s.i)
}

// abandon frees s at once: its request never left, so amoCRM counted
// nothing. The slot keeps the time its previous request set.
func (w *window) abandon(s slot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gen[s.i] != s.gen {
		return
	}
	w.wake(s.i)
}

// wake ends slot i's busy spell and tells waiters. Call with w.mu held.
func (w *window) wake(i int) {
	w.busy[i] = false
	close(w.changed)
	w.changed = make(chan struct{})
}
