package gateway

import (
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/cluster"
)

// Replicas. With REDIS_URL set, this process is one of several replicas
// behind a load balancer, and what must be one for the whole gateway lives
// in that Redis:
//
//   - the upstream rate budget of each credential (amoCRM counts about 7
//     requests per second per integration and account, whichever replica
//     sends them);
//   - the OAuth token pair and its refresh lock (a refresh token works
//     once: two replicas refreshing it log each other out);
//   - the read cache's change counters and answers (a webhook or a
//     mutation through one replica is seen by a read through any other);
//   - persisted queries (a client registers one through one replica and
//     sends its hash to another);
//   - change events (a webhook reaches one replica; subscribers sit on
//     all of them).
//
// When Redis is down each replica degrades on its own and says so on
// /readyz: the budget falls back to a share per replica, the cache is
// bypassed, subscriptions hear only the webhooks their replica receives.
// It recovers by itself when Redis answers again.

// openCluster connects to REDIS_URL and logs each change of its health.
func openCluster(cfg Config, log zerolog.Logger) (*cluster.Cluster, error) {
	cl, err := cluster.Open(cfg.RedisURL, cluster.Options{
		OnTurn: func(up bool, err error) {
			if up {
				log.Info().Msg("redis up: replicas share state again")
				return
			}
			log.Warn().Err(err).Msg("redis down: degraded (local share of the rate budget, no read cache, subscriptions of this replica's webhooks only)")
		},
	})
	if err != nil {
		return nil, err
	}
	cfg.Metrics.WatchRedis(cl.Up, cl.Replicas)
	return cl, nil
}
