package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxOperationLen bounds an operation name used as a label value; longer
// names are counted as "other" instead of being stored 200 times over.
const maxOperationLen = 128

// Operation labels for requests that carry no usable name.
const (
	anonymousOperation = "anonymous" // executed, but the operation has no name
	unknownOperation   = "unknown"   // never reached the executor: refused, malformed
)

// request is the per-request state that Middleware puts in the context, so
// the gqlgen hook and error presenter can label the request they are part
// of. Resolvers of one query run in parallel, hence the mutex.
type request struct {
	mu        sync.Mutex
	operation string
	outcome   string
}

type ctxKey struct{}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(ctxKey{}).(*request)
	return r
}

// Middleware counts and times every request that reaches next, labelled by
// the operation and outcome set through SetOperation and SetOutcome while it
// ran, and tracks how many are in flight. A request that panics is counted
// with outcome "panic" and the panic goes on up the stack.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &request{}
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		returned := false
		m.inflight.Inc()
		defer func() {
			m.inflight.Dec()
			m.finish(st, sw.status(), returned, time.Since(start))
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
		returned = true
	})
}

// finish records one request once its handler is done.
func (m *Metrics) finish(st *request, status int, returned bool, d time.Duration) {
	st.mu.Lock()
	op, outcome := st.operation, st.outcome
	st.mu.Unlock()

	switch {
	case op == "":
		op = unknownOperation
	case len(op) > maxOperationLen:
		op = overflowLabel
	}
	op = m.operations.admit(op)

	switch {
	case !returned:
		outcome = "panic"
	case outcome != "": // set by SetOutcome
	case status < 300: // 2xx, or 101 for a protocol switch
		outcome = "ok"
	default:
		outcome = "http_" + strconv.Itoa(status)
	}
	outcome = m.outcomes.admit(outcome)

	m.requests.WithLabelValues(op, outcome).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
}

// SetOperation names the GraphQL operation of the request in ctx; "" stands
// for an unnamed operation and is recorded as "anonymous". It is meant for a
// gqlgen AroundOperations hook. Only the first 200 distinct names get their
// own series; later ones are counted as "other", since clients choose them.
func (m *Metrics) SetOperation(ctx context.Context, name string) {
	st := m.state(ctx)
	if st == nil {
		return
	}
	if name == "" {
		name = anonymousOperation
	}
	st.mu.Lock()
	st.operation = name
	st.mu.Unlock()
}

// SetOutcome labels how the request in ctx ended: "ok", "error" when the
// response carries GraphQL errors, or an error code such as "RATE_LIMITED".
// A later call replaces an earlier one, except that "ok" never replaces a
// failure, so a hook that reports success last cannot hide an error. Without
// a call, the outcome is "ok" for a 2xx response and "http_<status>" otherwise.
func (m *Metrics) SetOutcome(ctx context.Context, outcome string) {
	st := m.state(ctx)
	if st == nil || outcome == "" {
		return
	}
	st.mu.Lock()
	if outcome != "ok" || st.outcome == "" {
		st.outcome = outcome
	}
	st.mu.Unlock()
}

// ObserveRejected counts a request refused before execution, by reason:
// "unauthenticated", "too_complex", "too_deep", "body_too_large" or
// "rate_limited".
func (m *Metrics) ObserveRejected(reason string) {
	if m == nil {
		return
	}
	m.rejected.WithLabelValues(m.reasons.admit(reason)).Inc()
}

// state returns the request state in ctx, or nil on a nil *Metrics or
// outside Middleware.
func (m *Metrics) state(ctx context.Context) *request {
	if m == nil || ctx == nil {
		return nil
	}
	return requestFrom(ctx)
}
