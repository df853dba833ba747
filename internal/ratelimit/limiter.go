// Package ratelimit keeps amogql inside amoCRM's request budget.
//
// amoCRM allows an integration 7 requests per second; beyond that it answers
// 429 with an HTML page, and repeated overruns get the whole account's API
// blocked (403 on every call) until support lifts it. A gateway that merely
// reacts to 429s therefore takes the account down, so this package spaces
// requests before they leave: one token bucket per upstream credential,
// waits that queue within each request's deadline, and a pause of the whole
// credential after any 429 the upstream still sends.
package ratelimit

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults match amoCRM's documented budget
// (https://developers.kommo.com/docs/limitations).
const (
	// DefaultRate is amoCRM's documented budget per integration.
	DefaultRate = 7.0
	// DefaultBurst of 1 spaces requests evenly instead of letting a burst
	// through at the start of each second, which amoCRM may count as an overrun.
	DefaultBurst = 1
	// DefaultMargin stretches every one-second window by 50 ms so that
	// scheduling and network jitter cannot squeeze Rate+1 requests into one
	// upstream second. The effective default rate is 7/1.05 ≈ 6.67 rps.
	DefaultMargin = 50 * time.Millisecond
	// DefaultPause is how long a credential waits after a 429 without a
	// Retry-After header (amoCRM does not promise one).
	DefaultPause = time.Second
	// DefaultMaxPause bounds a Retry-After header, so a bogus value cannot
	// freeze a credential for hours.
	DefaultMaxPause = time.Minute
	// DefaultIdleTimeout is how long an unused credential's state is kept.
	DefaultIdleTimeout = 5 * time.Minute
)

// Observer receives, once per request the Limiter lets through, how long the
// request waited for its credential's budget (0 when it went at once). It is
// meant for metrics; it must be quick and safe for concurrent use.
type Observer func(wait time.Duration)

// A Limiter holds one token bucket per upstream credential. Build it once
// with New and share it: every client of the same amoCRM integration must
// draw from the same Limiter or the budget is spent twice.
type Limiter struct {
	rps      float64
	burst    int
	margin   time.Duration
	pause    time.Duration
	maxPause time.Duration
	idle     time.Duration
	observe  Observer
	keyOf    func(*http.Request) string
	minLeft  time.Duration
	transit  time.Duration

	salt [16]byte // keys are salted hashes, so memory never holds a token

	mu        sync.Mutex
	creds     map[credKey]*credential
	lastSweep time.Time
	lat       latency // the upstream's answer time, across credentials

	shared *shared // nil: the budget lives in this process only
}

// An Option configures a Limiter in New.
type Option func(*Limiter)

// WithRate sets the budget in requests per second per credential. It must be
// positive. Default: 7 (DefaultRate).
func WithRate(rps float64) Option { return func(l *Limiter) { l.rps = rps } }

// WithBurst sets how many requests may go back to back after an idle spell.
// It must be at least 1. Default: 1.
func WithBurst(n int) Option { return func(l *Limiter) { l.burst = n } }

// WithMargin sets how much each one-second window is stretched to absorb
// jitter: Rate requests are spread over 1 s + d. Zero spaces requests at
// exactly 1/Rate, which a strict upstream window can see as an overrun.
// Default: 50 ms. Overruns are prevented by the sliding window (window.go)
// whatever the margin; the margin only smooths the spacing.
func WithMargin(d time.Duration) Option { return func(l *Limiter) { l.margin = d } }

// WithDefaultPause sets how long a credential stops after a 429 that carries
// no Retry-After header. It must be positive. Default: 1 s.
func WithDefaultPause(d time.Duration) Option { return func(l *Limiter) { l.pause = d } }

// WithMaxPause caps the pause a Retry-After header can ask for. It must be
// positive. Default: 1 min.
func WithMaxPause(d time.Duration) Option { return func(l *Limiter) { l.maxPause = d } }

// WithIdleTimeout sets after how long without requests a credential's state
// is dropped, so pass-through tokens cannot grow memory without bound. It
// must be positive; it is raised to the time the bucket needs to refill, so
// dropping state never grants extra requests. Default: 5 min.
func WithIdleTimeout(d time.Duration) Option { return func(l *Limiter) { l.idle = d } }

// WithMinTimeLeft sets the floor of the time a request must have left
// before its context's deadline to be sent: a request that, after waiting
// for its slot, has less than this plus the upstream's usual answer time
// (estimated from the answers so far) is refused with *BudgetError instead
// of being sent to time out. It must not be negative. Default: 100 ms.
func WithMinTimeLeft(d time.Duration) Option { return func(l *Limiter) { l.minLeft = d } }

// WithTransitBound sets the longest a written request is assumed to take to
// reach amoCRM; see DefaultTransitBound. It must not be negative.
// Default: 50 ms.
func WithTransitBound(d time.Duration) Option { return func(l *Limiter) { l.transit = d } }

// WithObserver sets a metrics hook called with each admitted request's wait.
func WithObserver(o Observer) Option { return func(l *Limiter) { l.observe = o } }

// WithKeyFunc sets what identifies a budget. amoCRM counts its limit per
// integration, so when several credentials belong to one integration (e.g.
// pass-through tokens of users of the same integration) they should share a
// budget: key them by that integration. The returned value is hashed before
// it is kept. Default: IntegrationKey (the integration and account a JWT
// access token names, else the Authorization header).
func WithKeyFunc(fn func(*http.Request) string) Option {
	return func(l *Limiter) {
		if fn != nil {
			l.keyOf = fn
		}
	}
}

// New returns a Limiter. It fails when an option has an invalid value.
func New(opts ...Option) (*Limiter, error) {
	l := &Limiter{
		rps:      DefaultRate,
		burst:    DefaultBurst,
		margin:   DefaultMargin,
		pause:    DefaultPause,
		maxPause: DefaultMaxPause,
		idle:     DefaultIdleTimeout,
		minLeft:  DefaultMinTimeLeft,
		transit:  DefaultTransitBound,
		keyOf:    IntegrationKey,
		creds:    map[credKey]*credential{},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(l)
		}
	}
	var errs []error
	if !(l.rps > 0) {
		errs = append(errs, fmt.Errorf("ratelimit: rate must be positive, got %v", l.rps))
	}
	if l.burst < 1 {
		errs = append(errs, fmt.Errorf("ratelimit: burst must be at least 1, got %d", l.burst))
	}
	if l.margin < 0 {
		errs = append(errs, fmt.Errorf("ratelimit: margin must not be negative, got %s", l.margin))
	}
	if l.pause <= 0 {
		errs = append(errs, fmt.Errorf("ratelimit: default pause must be positive, got %s", l.pause))
	}
	if l.maxPause <= 0 {
		errs = append(errs, fmt.Errorf("ratelimit: max pause must be positive, got %s", l.maxPause))
	}
	if l.minLeft < 0 {
		errs = append(errs, fmt.Errorf("ratelimit: min time left must not be negative, got %s", l.minLeft))
	}
	if l.transit < 0 {
		errs = append(errs, fmt.Errorf("ratelimit: transit bound must not be negative, got %s", l.transit))
	}
	if l.idle <= 0 {
		errs = append(errs, fmt.Errorf("ratelimit: idle timeout must be positive, got %s", l.idle))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if refill := l.refillTime(); l.idle < refill {
		l.idle = refill
	}
	if _, err := rand.Read(l.salt[:]); err != nil {
		return nil, fmt.Errorf("ratelimit: salt: %w", err)
	}
	if l.shared != nil {
		// The fallback: this Limiter's settings, the budget divided by n.
		rps := l.rps
		l.shared.fallback = func(n int) (*Limiter, error) {
			return New(append(slices.Clone(opts), WithRate(rps/float64(n)), inProcess())...)
		}
	}
	return l, nil
}

// limit is the token rate handed to x/time/rate: Rate tokens per 1 s + margin.
func (l *Limiter) limit() rate.Limit {
	window := time.Second + l.margin
	return rate.Limit(l.rps / window.Seconds())
}

// refillTime is how long an idle bucket takes to become full again.
func (l *Limiter) refillTime() time.Duration {
	return time.Duration(float64(l.burst) / float64(l.limit()) * float64(time.Second))
}

// Len reports how many credentials the Limiter currently tracks, for metrics
// and tests of eviction.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.creds)
}

// Wrap returns next behind the Limiter: each request waits for its
// credential's budget (keyed by IntegrationKey, or WithKeyFunc)
// before it is sent.
// A nil next means http.DefaultTransport.
func (l *Limiter) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{l: l, next: next}
}

type credKey [sha256.Size]byte

func (l *Limiter) keyFor(req *http.Request) credKey {
	h := sha256.New()
	h.Write(l.salt[:])
	h.Write([]byte(l.keyOf(req)))
	var k credKey
	h.Sum(k[:0])
	return k
}
