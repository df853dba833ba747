// Package breaker stops sending requests to an upstream that keeps failing.
//
// When amoCRM is down or overloaded, every GraphQL query would otherwise wait
// out its timeouts and retries, piling up goroutines and connections and
// adding load to an upstream that is trying to recover. A circuit breaker
// turns that into an immediate, typed failure (ErrOpen) until a cool-down has
// passed, then lets a single probe find out whether the upstream is back.
//
//	closed --K consecutive failures--> open --cool-down--> half-open
//	half-open --probe succeeds--> closed
//	half-open --probe fails--> open
//
// A failure is a transport error or a 5xx answer. Any other answer (4xx and
// 429 included: the upstream is alive) is a success. A request cancelled by
// its caller, or refused by a layer below before it was sent, says nothing
// about the upstream and is not counted; nor does a request that ran out of
// its caller's time (its context's deadline) before the upstream had held
// it for the breaker's patience: an overloaded gateway whose calls wait long
// for their turn is not an outage of the upstream.
package breaker

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults suit an interactive gateway: five failures in a row is past
// coincidence, and ten seconds is long enough for a restart or failover.
const (
	DefaultThreshold = 5
	DefaultCoolDown  = 10 * time.Second
	// DefaultPatience: an upstream that has held a request a whole second
	// without answering before the caller's deadline passed is failing it.
	DefaultPatience = time.Second
)

// ErrOpen is matched (errors.Is) by the error of every request the Breaker
// refuses. Callers report it as the upstream being unavailable.
var ErrOpen = errors.New("breaker: circuit open")

// State is a Breaker's state.
type State int32

// The states of a Breaker.
const (
	// Closed lets every request through and counts consecutive failures.
	Closed State = iota
	// Open refuses every request with ErrOpen until the cool-down ends.
	Open
	// HalfOpen lets one probe through; everything else is refused.
	HalfOpen
)

// String returns "closed", "open" or "half-open", for logs and metric labels.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// A Breaker guards one upstream. Build it once with New and share it between
// all requests to that upstream. It is safe for concurrent use.
type Breaker struct {
	threshold int
	coolDown  time.Duration
	patience  time.Duration
	onChange  func(from, to State)

	state atomic.Int32 // written under mu; read without it by State

	mu       sync.Mutex
	failures int       // consecutive failures while closed
	openedAt time.Time // when the breaker last opened
	probing  bool      // a half-open probe is in flight
	gen      uint64    // bumped on every transition; outcomes of older requests are ignored
}

// An Option configures a Breaker in New.
type Option func(*Breaker)

// WithThreshold sets how many consecutive failures open the breaker. It must
// be at least 1. Default: 5.
func WithThreshold(k int) Option { return func(b *Breaker) { b.threshold = k } }

// WithCoolDown sets how long the breaker stays open before it lets a probe
// through. It must be positive. Default: 10 s.
func WithCoolDown(d time.Duration) Option { return func(b *Breaker) { b.coolDown = d } }

// WithPatience sets how long the upstream must have held a request (from
// when the transport began to connect for it, after any wait in layers
// below the breaker) for the request's context deadline to count as a
// failure. A deadline that passes sooner is the caller's time running out,
// not the upstream failing. It must be positive. Default: 1 s.
func WithPatience(d time.Duration) Option { return func(b *Breaker) { b.patience = d } }

// WithOnStateChange sets a function called on every transition, for metrics
// and logs. It is called synchronously, in transition order, while the
// Breaker's lock is held: it must be quick and must not send requests through
// the Breaker (State may be called).
func WithOnStateChange(fn func(from, to State)) Option {
	return func(b *Breaker) { b.onChange = fn }
}

// New returns a closed Breaker. It fails when an option has an invalid value.
func New(opts ...Option) (*Breaker, error) {
	b := &Breaker{threshold: DefaultThreshold, coolDown: DefaultCoolDown, patience: DefaultPatience}
	for _, opt := range opts {
		if opt != nil {
			opt(b)
		}
	}
	var errs []error
	if b.threshold < 1 {
		errs = append(errs, fmt.Errorf("breaker: threshold must be at least 1, got %d", b.threshold))
	}
	if b.coolDown <= 0 {
		errs = append(errs, fmt.Errorf("breaker: cool-down must be positive, got %s", b.coolDown))
	}
	if b.patience <= 0 {
		errs = append(errs, fmt.Errorf("breaker: patience must be positive, got %s", b.patience))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

// State reports the current state. An open breaker whose cool-down has
// passed reports Open until the next request turns it half-open.
func (b *Breaker) State() State { return State(b.state.Load()) }

// Wrap returns next behind the Breaker. A nil next means
// http.DefaultTransport.
func (b *Breaker) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{b: b, next: next}
}
