package ratelimit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sharing the budget between replicas.
//
// Replicas of one gateway behind a load balancer spend one amoCRM budget:
// each keeping its own would let N replicas send N times the limit and get
// the account blocked. With WithShared the budget of every credential lives
// in Redis, in budget.lua: the same spacing, one-second window of arrivals
// and pause after a 429 as in one process, decided atomically with Redis's
// clock.
//
// When Redis is unusable the Limiter falls back to a share of the budget
// in this process: Rate divided by the replicas alive when Redis was last
// seen (AssumedReplicas if it never was), so the replicas together stay
// within the budget without talking to each other. Each change of mode is
// followed by a quiet spell of a window plus the transit bound with no
// request of this Limiter, so the requests one mode sent have left every
// window before the other mode counts from zero.

// Health says whether the shared Redis is usable now. Report tells it that
// a Redis call failed, so every component that shares state goes to its
// degraded mode at once.
type Health interface {
	Up() bool
	Report(err error)
}

// AssumedReplicas is the replica count a Limiter divides its budget by when
// Redis is down and was never reached since the process started, so it
// never learnt how many replicas share the budget.
const AssumedReplicas = 3

// sharedPoll is how often a replica asks Redis again while unbounded
// requests (sent, not yet known to have arrived) fill the window: they
// settle within milliseconds of leaving.
const sharedPoll = 5 * time.Millisecond

//go:embed budget.lua
var budgetSrc string

var budgetScript = redis.NewScript(budgetSrc)

// WithShared shares the budget with every Limiter that uses the same Redis
// and prefix: see the package's section on sharing. replicas reports how
// many replicas are alive (0 when unknown); health says when to fall back.
// Nil rdb leaves the Limiter in-process.
func WithShared(rdb redis.Scripter, prefix string, health Health, replicas func() int) Option {
	return func(l *Limiter) {
		if rdb == nil {
			return
		}
		l.shared = &shared{rdb: rdb, prefix: prefix, health: health, replicas: replicas}
	}
}

// shared is the Redis side of a Limiter.
type shared struct {
	rdb      redis.Scripter
	prefix   string
	health   Health
	replicas func() int

	gatesMu sync.Mutex
	gates   map[credKey]*gate // one Redis poller per credential in this process

	mode       atomic.Int32 // modeUnset, modeShared, modeLocal
	quietUntil atomic.Int64 // unix nanos: no request before

	mu       sync.Mutex
	local    *Limiter // the fallback, for localN replicas
	localN   int
	fallback func(n int) (*Limiter, error)
}

const (
	modeUnset int32 = iota
	modeShared
	modeLocal
)

func (s *shared) up() bool { return s.health == nil || s.health.Up() }

func (s *shared) report(err error) {
	if s.health != nil {
		s.health.Report(err)
	}
}

// enter notes the mode this request uses and, when it differs from the
// last request's, starts a quiet spell.
func (s *shared) enter(mode int32, quiet time.Duration) {
	old := s.mode.Swap(mode)
	if old != modeUnset && old != mode {
		s.quietUntil.Store(time.Now().Add(quiet).UnixNano())
	}
}

// awaitQuiet waits out a quiet spell, or refuses when it would end too late.
func (s *shared) awaitQuiet(ctx context.Context, need time.Duration) error {
	until := time.Unix(0, s.quietUntil.Load())
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && until.Add(need).After(dl) {
		return &BudgetError{Wait: d}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return &waitError{err: ctx.Err()}
	}
}

// localLimiter is the in-process fallback for the replica count now.
func (s *shared) localLimiter() (*Limiter, error) {
	n := AssumedReplicas
	if s.replicas != nil {
		if r := s.replicas(); r > 0 {
			n = r
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local != nil && s.localN == n {
		return s.local, nil
	}
	l, err := s.fallback(n)
	if err != nil {
		return nil, err
	}
	s.local, s.localN = l, n
	return l, nil
}

// keysFor names the Redis keys of a credential. The name hashes the
// Limiter's key without the process's salt, since every replica must find
// the same keys; the hash keeps tokens out of Redis's key space.
func (s *shared) keysFor(credential string) []string {
	sum := sha256.Sum256([]byte("amogql ratelimit\x00" + credential))
	tag := "{" + s.prefix + "rl:" + hex.EncodeToString(sum[:12]) + "}"
	return []string{tag + ":slots", tag + ":busy", tag + ":state"}
}

// gate is a credential's queue in this process: only its head asks
// Redis, so waiting requests cost Redis one poll per replica, not one each.
// Channel waiters are served in order. A gate lives while requests use it,
// so pass-through tokens cannot grow the map without bound.
type gate struct {
	ch    chan struct{}
	users int // guarded by shared.gatesMu
}

func (s *shared) enterGate(k credKey) *gate {
	s.gatesMu.Lock()
	defer s.gatesMu.Unlock()
	if s.gates == nil {
		s.gates = map[credKey]*gate{}
	}
	g := s.gates[k]
	if g == nil {
		g = &gate{ch: make(chan struct{}, 1)}
		s.gates[k] = g
	}
	g.users++
	return g
}

func (s *shared) leaveGate(k credKey, g *gate) {
	s.gatesMu.Lock()
	defer s.gatesMu.Unlock()
	if g.users--; g.users == 0 {
		delete(s.gates, k)
	}
}

// sharedSlot is a request's busy slot in Redis.
type sharedSlot struct {
	s    *shared
	keys []string
	id   string
	ttl  time.Duration
}

func (ss sharedSlot) settle(end time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := budgetScript.Run(ctx, ss.s.rdb, ss.keys, "settle", ss.id,
		time.Until(end).Microseconds(), windowSpan.Microseconds(), ss.ttl.Milliseconds()).Err()
	if err != nil {
		// The busy slot stays until its hold ends: slower, never over.
		ss.s.report(err)
	}
}

func (ss sharedSlot) abandon() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := budgetScript.Run(ctx, ss.s.rdb, ss.keys, "abandon", ss.id).Err(); err != nil {
		ss.s.report(err)
	}
}

// errSharedDown means Redis failed while a request waited: it falls back.
var errSharedDown = errors.New("ratelimit: shared budget unavailable")

// take waits, within ctx, until Redis lets one request of the credential
// go, and returns its busy slot.
func (s *shared) take(ctx context.Context, l *Limiter, k credKey, credential string, need func() time.Duration) (sharedSlot, error) {
	gt := s.enterGate(k)
	defer s.leaveGate(k, gt)
	g := gt.ch
	refuse := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		refuse = time.Until(dl) - need()
	}
	var refuseC <-chan time.Time
	if refuse >= 0 {
		t := time.NewTimer(refuse)
		defer t.Stop()
		refuseC = t.C
	} else if _, ok := ctx.Deadline(); ok {
		return sharedSlot{}, &BudgetError{}
	}
	start := time.Now()
	select {
	case g <- struct{}{}:
	case <-refuseC:
		return sharedSlot{}, &BudgetError{Wait: time.Since(start)}
	case <-ctx.Done():
		return sharedSlot{}, &waitError{err: ctx.Err()}
	}
	defer func() { <-g }()

	ss := sharedSlot{s: s, keys: s.keysFor(credential), id: requestID(), ttl: l.sharedTTL()}
	hold := l.sharedHold(ctx)
	interval := time.Duration(float64(time.Second+l.margin) / l.rps)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		res, err := budgetScript.Run(rctx, s.rdb, ss.keys, "take", ss.id, int(l.rps),
			interval.Microseconds(), hold.Microseconds(), ss.ttl.Milliseconds()).Int64Slice()
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return sharedSlot{}, &waitError{err: ctx.Err()}
			}
			s.report(err)
			return sharedSlot{}, fmt.Errorf("%w: %w", errSharedDown, err)
		}
		if len(res) != 3 {
			return sharedSlot{}, fmt.Errorf("%w: budget.lua answered %v", errSharedDown, res)
		}
		if res[0] == 1 {
			return ss, nil
		}
		wait, busy := time.Duration(res[1])*time.Microsecond, res[2] > 0
		if dl, ok := ctx.Deadline(); ok && !busy && time.Now().Add(wait+need()).After(dl) {
			return sharedSlot{}, &BudgetError{Wait: wait}
		}
		if busy && (wait <= 0 || wait > sharedPoll) {
			wait = sharedPoll
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-refuseC:
			t.Stop()
			return sharedSlot{}, &BudgetError{Wait: time.Since(start)}
		case <-ctx.Done():
			t.Stop()
			return sharedSlot{}, &waitError{err: ctx.Err()}
		}
		if !s.up() {
			return sharedSlot{}, errSharedDown
		}
	}
}

// pause stops the credential on every replica for d.
func (s *shared) pause(credential string, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := budgetScript.Run(ctx, s.rdb, s.keysFor(credential), "pause", d.Microseconds(), (d + time.Minute).Milliseconds()).Err()
	if err != nil {
		s.report(err)
	}
}

// maxSharedHold bounds how long a busy slot is kept when its sender never
// says when the request arrived (it died).
const maxSharedHold = time.Minute

// sharedHold is how long a busy slot of a request with ctx is kept if its
// sender dies: past the latest the request can arrive, its deadline plus
// the transit bound.
func (l *Limiter) sharedHold(ctx context.Context) time.Duration {
	hold := maxSharedHold
	if dl, ok := ctx.Deadline(); ok {
		hold = min(hold, time.Until(dl))
	}
	return hold + l.transit
}

// sharedTTL keeps an idle credential's state in Redis no longer than needed.
func (l *Limiter) sharedTTL() time.Duration { return maxSharedHold + l.maxPause + windowSpan }

// inProcess undoes WithShared, for the fallback Limiter.
func inProcess() Option { return func(l *Limiter) { l.shared = nil } }

// requestID names one request's slot: unique across replicas.
func requestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// roundTripShared is RoundTrip with a shared budget: through Redis while
// it is up, else by the in-process share.
func (t *transport) roundTripShared(req *http.Request) (*http.Response, error) {
	l, s := t.l, t.l.shared
	ctx := req.Context()
	need := func() time.Duration {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.needLeft()
	}
	for {
		if s.up() {
			s.enter(modeShared, windowSpan+l.transit+SwitchSkew)
			if err := s.awaitQuiet(ctx, need()); err != nil {
				closeBody(req)
				return nil, err
			}
			credential := l.keyOf(req)
			start := time.Now()
			ss, err := s.take(ctx, l, l.keyFor(req), credential, need)
			if err == nil {
				if l.observe != nil {
					l.observe(time.Since(start))
				}
				return t.send(req, ss, l.transit, func(d time.Duration) { s.pause(credential, d) })
			}
			if !errors.Is(err, errSharedDown) {
				closeBody(req)
				return nil, err
			}
		}
		s.enter(modeLocal, windowSpan+l.transit)
		if err := s.awaitQuiet(ctx, need()); err != nil {
			closeBody(req)
			return nil, err
		}
		local, err := s.localLimiter()
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := (&transport{l: local, next: reroute{s: s, next: t.next}}).RoundTrip(req)
		if !errors.Is(err, errReroute) {
			return resp, err
		}
	}
}

// SwitchSkew is how much later than another replica a replica may notice
// that Redis is back (the cluster checks it every half second). A replica
// going back to the shared budget first waits a window, the transit bound
// and this, so that the requests another replica still sends by its local
// share have left every window the shared budget counts.
const SwitchSkew = time.Second

// errReroute: Redis came back while a request queued for the local share;
// it goes by the shared budget instead. The request was not sent.
var errReroute = errors.New("ratelimit: redis is back: take the shared budget")

// reroute sends a request admitted by the local share unless Redis is up
// again: a local queue that kept sending after the switch would spend
// budget the shared one does not know of.
type reroute struct {
	s    *shared
	next http.RoundTripper
}

func (r reroute) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.s.up() {
		return nil, errReroute
	}
	return r.next.RoundTrip(req)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
