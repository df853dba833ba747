package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/apq"
	"github.com/amogql/amogql/internal/changes"
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

// newAPQStore keeps persisted queries in this process, and with a Cluster
// in Redis too: a client registers its query through one replica and may
// send only the hash to the next.
func newAPQStore(cfg Config) graphql.Cache[string] {
	c := apq.Config{Size: cfg.APQCacheSize}
	if cl := cfg.Cluster; cl != nil {
		c.Redis, c.Prefix, c.Health = cl.Client(), cl.Prefix(), cl
	}
	s, err := apq.New(c)
	if err != nil { // only for a size withDefaults never leaves
		return lru.New[string](max(cfg.APQCacheSize, 1))
	}
	return s
}

// startRelay carries changes between the replicas' hubs through Redis
// until ctx ends: a webhook reaches one replica, subscribers sit on all.
func startRelay(ctx context.Context, cfg Config, log zerolog.Logger) (*changes.Relay, error) {
	cl := cfg.Cluster
	r, err := changes.NewRelay(changes.RelayConfig{
		Hub: cfg.Changes, Redis: cl.Client(), Prefix: cl.Prefix(), Health: cl, Log: log,
	})
	if err != nil {
		return nil, err
	}
	go r.Run(ctx)
	return r, nil
}

// publish hands webhook changes to every replica, or to this one's hub.
func publish(cfg Config, cs []changes.Change) {
	if cfg.relay != nil {
		cfg.relay.Publish(context.Background(), cs...)
		return
	}
	cfg.Changes.Publish(cs...)
}
