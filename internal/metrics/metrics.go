package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label caps. Every label value that comes from a caller's string goes through
// a labelSet, so a bug or a hostile client cannot grow the series count
// without bound; values past the cap are reported as "other".
const (
	maxOperations = 200 // distinct operation names on amogql_requests_total
	maxOutcomes   = 50  // distinct outcomes: ok, error, http_<status>, error codes
	maxRoutes     = 100 // distinct upstream routes: our client knows about 20
	maxSmallSets  = 20  // batch entities and rejection reasons, fixed in code
)

// requestBuckets cover a GraphQL request from a cached 5 ms answer to a
// 10 s query that waited on the 7 rps upstream budget.
var requestBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// upstreamBuckets cover one amoCRM call up to the client's 20 s timeout.
var upstreamBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20}

// waitBuckets cover the rate limiter's wait: zero for most calls, then
// fractions of the 1/7 s interval, then seconds when a burst queues up.
var waitBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// batchBuckets follow the loaders' batch sizes up to the 250-id upstream
// limit and beyond it, where a loader splits the batch.
var batchBuckets = []float64{1, 2, 5, 10, 25, 50, 100, 250, 500}

// Metrics holds the gateway's Prometheus collectors on a private registry, so
// tests can build as many as they like and nothing else in the process can
// add series to /metrics. A nil *Metrics is valid: every method does nothing,
// so code can take one without caring whether metrics are enabled.
type Metrics struct {
	handler http.Handler

	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	inflight     prometheus.Gauge
	rejected     *prometheus.CounterVec
	upstream     *prometheus.CounterVec
	upstreamDur  *prometheus.HistogramVec
	limiterWait  prometheus.Histogram
	batchSize    *prometheus.HistogramVec
	breakerState *prometheus.GaugeVec
	breakerMoves *prometheus.CounterVec

	operations *labelSet
	outcomes   *labelSet
	routes     *labelSet
	entities   *labelSet
	reasons    *labelSet

	breakerMu  sync.Mutex
	breakerNow string

	live *live // the read cache, webhooks and subscriptions (live.go)
	reg  *prometheus.Registry
}

// New builds the collectors, registers them with the Go runtime and process
// collectors on a fresh registry, and returns the Metrics that feed them.
func New() *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_requests_total",
			Help: "GraphQL requests served at /query, by operation name (anonymous for unnamed operations, unknown when the request never reached the executor, other past 200 names) and outcome (ok, error when the response carries GraphQL errors, an error code such as RATE_LIMITED, or http_<status> for a non-2xx answer).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "amogql_request_duration_seconds",
			Help:    "Time from receiving a GraphQL request to finishing its response, upstream calls and rate-limit waits included, by operation name.",
			Buckets: requestBuckets,
		}, []string{"operation"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amogql_inflight_requests",
			Help: "GraphQL requests being served right now; a steady climb means requests are queuing on the upstream budget.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_requests_rejected_total",
			Help: "Requests refused before execution and so never sent upstream, by reason: unauthenticated, too_complex, too_deep, body_too_large, rate_limited.",
		}, []string{"reason"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_upstream_requests_total",
			Help: "HTTP attempts sent to amoCRM (each retry counts), by route (method and path, numeric ids as {id}) and status (0 when no answer came: timeout, connection error).",
		}, []string{"route", "status"}),
		upstreamDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "amogql_upstream_request_duration_seconds",
			Help:    "Time of one HTTP attempt to amoCRM, from sending to the response headers or failure, by route.",
			Buckets: upstreamBuckets,
		}, []string{"route"}),
		limiterWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "amogql_limiter_wait_seconds",
			Help:    "Time an upstream call waited for the per-credential rate limiter (amoCRM allows 7 requests per second); long waits mean clients ask for more than the budget allows.",
			Buckets: waitBuckets,
		}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "amogql_loader_batch_size",
			Help:    "Ids fetched per dataloader batch, by entity; batches of 1 mean queries are not being batched into one upstream call.",
			Buckets: batchBuckets,
		}, []string{"entity"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "amogql_upstream_breaker_state",
			Help: "Circuit breaker in front of amoCRM: 1 for the current state (closed: calls flow; open: calls fail fast after repeated upstream failures; half-open: one probe call is testing recovery), 0 for the others.",
		}, []string{"state"}),
		breakerMoves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_upstream_breaker_transitions_total",
			Help: "Circuit breaker state changes, by the state entered; a rising to=\"open\" count means amoCRM keeps failing.",
		}, []string{"to"}),

		operations: newLabelSet(maxOperations),
		outcomes:   newLabelSet(maxOutcomes),
		routes:     newLabelSet(maxRoutes),
		entities:   newLabelSet(maxSmallSets),
		reasons:    newLabelSet(maxSmallSets),
		live:       newLive(),
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inflight, m.rejected,
		m.upstream, m.upstreamDur, m.limiterWait, m.batchSize,
		m.breakerState, m.breakerMoves,
	)
	reg.MustRegister(m.live.collectors()...)
	m.reg = reg
	m.initSeries()
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:      reg, // counts its own scrape errors
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m
}

// initSeries creates the series an alert is likely to watch with zero values,
// so rate() and absent() work before the first event.
func (m *Metrics) initSeries() {
	for _, r := range []string{"unauthenticated", "too_complex", "too_deep", "body_too_large", "rate_limited"} {
		m.rejected.WithLabelValues(m.reasons.admit(r))
	}
	for _, s := range breakerStates {
		m.breakerState.WithLabelValues(s)
		m.breakerMoves.WithLabelValues(s)
	}
	// The breaker starts closed; until it reports a change, say so.
	m.breakerNow = "closed"
	m.breakerState.WithLabelValues("closed").Set(1)
}

// Handler serves the registry in the Prometheus exposition format, for
// mounting at /metrics. On a nil *Metrics it answers 404.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return m.handler
}
