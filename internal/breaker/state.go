package breaker

import "time"

// ticket is a request's admission: the generation it was admitted in and
// whether it is the half-open probe.
type ticket struct {
	gen   uint64
	probe bool
}

// outcome is what a request says about the upstream's health.
type outcome int

const (
	success outcome = iota
	failure
	neutral // cancelled by the caller or never sent: no evidence either way
)

// allow admits a request or refuses it with an error wrapping ErrOpen.
func (b *Breaker) allow() (ticket, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.State() {
	case Open:
		left := b.coolDown - time.Since(b.openedAt)
		if left > 0 {
			return ticket{}, &openError{retryIn: left}
		}
		b.transition(HalfOpen)
		fallthrough
	case HalfOpen:
		if b.probing {
			return ticket{}, &openError{}
		}
		b.probing = true
		return ticket{gen: b.gen, probe: true}, nil
	default:
		return ticket{gen: b.gen}, nil
	}
}

// record applies a request's outcome. Outcomes of requests admitted before
// the last transition are stale and ignored: a slow failure from before the
// breaker opened must not re-open it after a successful probe.
func (b *Breaker) record(t ticket, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.gen != b.gen {
		return
	}
	switch {
	case t.probe && o == success:
		b.transition(Closed)
	case t.probe && o == failure:
		b.transition(Open)
	case t.probe: // neutral: let the next request probe instead
		b.probing = false
	case o == success:
		b.failures = 0
	case o == failure:
		if b.failures++; b.failures >= b.threshold {
			b.transition(Open)
		}
	}
}

// transition moves to state to and notifies. Call with b.mu held.
func (b *Breaker) transition(to State) {
	from := b.State()
	b.gen++
	b.failures = 0
	b.probing = false
	if to == Open {
		b.openedAt = time.Now()
	}
	b.state.Store(int32(to))
	if b.onChange != nil {
		b.onChange(from, to)
	}
}

// ProbeDue reports whether the breaker is not closed but would let a probe
// through now: open with its cool-down passed, or half-open with no probe
// in flight. A readiness check uses it to learn, without client traffic,
// that it is time to find out whether the upstream is back.
func (b *Breaker) ProbeDue() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.State() {
	case Open:
		return time.Since(b.openedAt) >= b.coolDown
	case HalfOpen:
		return !b.probing
	}
	return false
}
