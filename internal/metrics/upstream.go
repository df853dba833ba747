package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// breakerStates are the states amogql_upstream_breaker_state reports, as
// breaker.State.String spells them.
var breakerStates = []string{"closed", "open", "half-open"}

// ObserveUpstream records one HTTP attempt to amoCRM. Its signature matches
// amocrm.Observer, so it can be passed to amocrm.WithObserver as is. status
// is 0 when no response came (err is then set).
func (m *Metrics) ObserveUpstream(req *http.Request, status int, dur time.Duration, err error) {
	if m == nil {
		return
	}
	r := m.routes.admit(route(req))
	m.upstream.WithLabelValues(r, strconv.Itoa(status)).Inc()
	m.upstreamDur.WithLabelValues(r).Observe(dur.Seconds())
}

// route names the endpoint a request went to, without the ids and query that
// would make every call its own series: "GET /api/v4/contacts/{id}".
func route(req *http.Request) string {
	if req == nil || req.URL == nil {
		return "unknown"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet // as net/http reads an empty Method
	}
	path := req.URL.Path
	if path == "" {
		path = "/"
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if isNumeric(s) {
			segs[i] = "{id}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ObserveLimiterWait records how long an upstream call waited for the rate
// limiter; its signature matches ratelimit.Observer.
func (m *Metrics) ObserveLimiterWait(d time.Duration) {
	if m == nil {
		return
	}
	m.limiterWait.Observe(max(d, 0).Seconds())
}

// ObserveBatch records the number of ids one dataloader batch fetched for an
// entity: "contact", "lead", "company", "customer", "chat_link" or
// "catalog_element".
func (m *Metrics) ObserveBatch(entity string, size int) {
	if m == nil {
		return
	}
	m.batchSize.WithLabelValues(m.entities.admit(entity)).Observe(float64(size))
}

// SetBreakerState reports the circuit breaker's current state: "closed",
// "open" or "half-open" (breaker.State.String). The gauge starts at closed,
// as the breaker does; a call that changes the state also counts a
// transition, so repeating the current state is harmless. Other values are
// ignored rather than invented as new states.
func (m *Metrics) SetBreakerState(state string) {
	if m == nil || !slices.Contains(breakerStates, state) {
		return
	}
	m.breakerMu.Lock()
	defer m.breakerMu.Unlock()
	if state == m.breakerNow {
		return
	}
	for _, s := range breakerStates {
		v := 0.0
		if s == state {
			v = 1
		}
		m.breakerState.WithLabelValues(s).Set(v)
	}
	m.breakerMoves.WithLabelValues(state).Inc()
	m.breakerNow = state
}
