package metrics

import "github.com/prometheus/client_golang/prometheus"

// WatchRedis publishes the shared Redis's health as amogql_redis_up (1 or
// 0) and the replicas it counts as amogql_replicas, read at each scrape.
// Call it once, when the gateway runs as a replica.
func (m *Metrics) WatchRedis(up func() bool, replicas func() int) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "amogql_redis_up",
			Help: "Whether the Redis the replicas share is usable (1) or this replica runs degraded without it (0).",
		}, func() float64 {
			if up() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "amogql_replicas",
			Help: "Replicas alive at the last check of the shared Redis, this one included; 0 if it was never reached.",
		}, func() float64 { return float64(replicas()) }),
	)
}
