// Package retry re-sends safe upstream requests whose failure is likely to
// pass: transport errors, 5xx answers and 429s.
//
// Only GET and HEAD are retried: amoCRM's POST and PATCH batch writes are not
// idempotent (a replayed create makes duplicates), and a retry of a write
// that did reach the upstream cannot be told apart from a new one. Waits are
// jittered and exponential, so a crowd of gateways does not retry in step,
// and they never run past the request's context deadline: when the next
// attempt could not start in time, the last answer is returned as it is.
package retry

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// Defaults: three attempts spread over at most a few hundred milliseconds,
// short enough for an interactive GraphQL query.
const (
	DefaultBase        = 100 * time.Millisecond
	DefaultCap         = 2 * time.Second
	DefaultMaxAttempts = 3
)

// A Policy decides which requests are retried and how long to wait between
// attempts. It holds no per-request state and is safe for concurrent use.
type Policy struct {
	base, cap   time.Duration
	maxAttempts int
}

// An Option configures a Policy in New.
type Option func(*Policy)

// WithBackoff sets the wait before the second attempt (base) and the largest
// wait (cap); each further wait doubles until the cap, and each is drawn at
// random from its upper half. Both must be positive and base <= cap.
// Default: 100 ms and 2 s.
func WithBackoff(base, cap time.Duration) Option {
	return func(p *Policy) { p.base, p.cap = base, cap }
}

// WithMaxAttempts sets how many times a request is sent at most, the first
// attempt included. It must be at least 1 (1 disables retries). Default: 3.
func WithMaxAttempts(n int) Option { return func(p *Policy) { p.maxAttempts = n } }

// New returns a Policy. It fails when an option has an invalid value.
func New(opts ...Option) (*Policy, error) {
	p := &Policy{base: DefaultBase, cap: DefaultCap, maxAttempts: DefaultMaxAttempts}
	for _, opt := range opts {
		if opt != nil {
			opt(p)
		}
	}
	var errs []error
	if p.base <= 0 || p.cap <= 0 || p.base > p.cap {
		errs = append(errs, fmt.Errorf("retry: backoff needs 0 < base <= cap, got base %s, cap %s", p.base, p.cap))
	}
	if p.maxAttempts < 1 {
		errs = append(errs, fmt.Errorf("retry: max attempts must be at least 1, got %d", p.maxAttempts))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// Wrap returns next behind the Policy. Layers that must see every attempt —
// the rate limiter above all, so retries spend the same budget — go inside
// it, i.e. are given to Wrap as next. A nil next means http.DefaultTransport.
func (p *Policy) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{p: p, next: next}
}

// backoff returns the wait after the given failed attempt (1-based):
// base·2^(attempt-1) capped at cap, with "equal jitter" — a random duration
// in its upper half, so waits still grow while spreading out retries.
func (p *Policy) backoff(attempt int) time.Duration {
	d := p.base
	for i := 1; i < attempt && d < p.cap; i++ {
		d *= 2
	}
	d = min(d, p.cap)
	half := d / 2
	return half + rand.N(d-half+1)
}
