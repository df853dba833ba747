package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amogql/amogql/internal/changes"
)

// lagBuckets cover a webhook's lag, from amoCRM's change to the gateway
// receiving it: amoCRM stamps changes in whole seconds, so the lower
// buckets mostly measure that rounding.
var lagBuckets = []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300}

// live holds the collectors of the read cache, webhooks and subscriptions.
type live struct {
	cache         *prometheus.CounterVec
	invalidations *prometheus.CounterVec
	staleRefused  prometheus.Counter
	webhooks      *prometheus.CounterVec
	webhookLag    prometheus.Histogram
	changes       *prometheus.CounterVec

	resources *labelSet
	statuses  *labelSet
}

func newLive() *live {
	return &live{
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_cache_requests_total",
			Help: "Upstream GETs seen by the read cache, by resource and result: hit (answered from the cache), miss (sent upstream), shared (waited for another request's upstream call).",
		}, []string{"resource", "result"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_cache_invalidations_total",
			Help: "Times what the cache kept of an entity type was dropped, by entity: by a webhook or by the gateway's own write.",
		}, []string{"entity"}),
		staleRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amogql_cache_stale_refused_total",
			Help: "Upstream answers not kept because a change was reported while they were fetched.",
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_webhook_deliveries_total",
			Help: "amoCRM webhook deliveries received, by the status answered.",
		}, []string{"status"}),
		webhookLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "amogql_webhook_lag_seconds",
			Help:    "From the time amoCRM gives a change to the gateway receiving its webhook.",
			Buckets: lagBuckets,
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amogql_changes_total",
			Help: "Entity changes received by webhook, by entity and action.",
		}, []string{"entity", "action"}),
		resources: newLabelSet(maxSmallSets),
		statuses:  newLabelSet(maxSmallSets),
	}
}

func (l *live) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.cache, l.invalidations, l.staleRefused, l.webhooks, l.webhookLag, l.changes}
}

// CacheHit counts a GET answered from the read cache.
func (m *Metrics) CacheHit(resource string) { m.cacheResult(resource, "hit") }

// CacheMiss counts a GET the read cache sent upstream.
func (m *Metrics) CacheMiss(resource string) { m.cacheResult(resource, "miss") }

// CacheShared counts a GET that waited for another's upstream call.
func (m *Metrics) CacheShared(resource string) { m.cacheResult(resource, "shared") }

func (m *Metrics) cacheResult(resource, result string) {
	if m == nil {
		return
	}
	m.live.cache.WithLabelValues(m.live.resources.admit(resource), result).Inc()
}

// CacheInvalidated counts a drop of what the cache kept of an entity type.
func (m *Metrics) CacheInvalidated(entity changes.Entity) {
	if m == nil {
		return
	}
	m.live.invalidations.WithLabelValues(m.entities.admit(string(entity))).Inc()
}

// CacheStaleRefused counts an answer not kept because it may be stale.
func (m *Metrics) CacheStaleRefused(string) {
	if m == nil {
		return
	}
	m.live.staleRefused.Inc()
}

// ObserveWebhook records one webhook delivery: the status answered and, for
// an accepted one, each change's lag (receipt minus amoCRM's time).
func (m *Metrics) ObserveWebhook(status int, cs []changes.Change) {
	if m == nil {
		return
	}
	m.live.webhooks.WithLabelValues(m.live.statuses.admit(statusLabel(status))).Inc()
	for _, c := range cs {
		m.live.changes.WithLabelValues(m.entities.admit(string(c.Entity)), m.live.statuses.admit(string(c.Action))).Inc()
		if !c.At.IsZero() && !c.Received.IsZero() {
			m.live.webhookLag.Observe(max(c.Received.Sub(c.At), time.Duration(0)).Seconds())
		}
	}
}

func statusLabel(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 400 && status < 500:
		return "4xx"
	default:
		return "5xx"
	}
}

// WatchSubscriptions publishes n, the number of open subscriptions, as the
// gauge amogql_subscriptions. Call it once.
func (m *Metrics) WatchSubscriptions(n func() int) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "amogql_subscriptions",
		Help: "Open GraphQL subscriptions on this process.",
	}, func() float64 { return float64(n()) }))
}
