// Package apq stores automatic persisted queries
// (https://www.apollographql.com/docs/apollo-server/performance/apq) for
// every replica of the gateway at once.
//
// A client registers a query by sending it with its SHA-256 once, then
// sends only the hash. Behind a load balancer the next request may reach
// another replica; with a store per replica, that replica answers
// PersistedQueryNotFound and the client must send the query again, once
// per replica. A Store keeps each query in a local LRU in front of Redis,
// so a query registered through one replica is found by all.
//
// Queries are addressed by their own hash, and a Store checks the hash of
// what Redis returns, so an entry can never be stale or wrong: a Redis
// that comes back empty or older only costs clients a re-registration.
package apq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/redis/go-redis/v9"
)

// Health says whether the shared Redis is usable now. Report tells it that a
// Redis call failed (a connection error or timeout, never redis.Nil), so every
// component goes degraded at once instead of each paying a timeout.
type Health interface {
	Up() bool
	Report(err error)
}

// Defaults and limits.
const (
	// DefaultTTL is how long Redis keeps a query no replica has read from
	// it since: clients re-register a query that expired.
	DefaultTTL = 24 * time.Hour
	// MaxQueryBytes is the largest query a Store keeps. Requests are
	// bounded before they get here; a Store does not rely on it.
	MaxQueryBytes = 1 << 20
)

// Config is what New needs.
type Config struct {
	// Size is how many queries the local LRU holds; it must be positive.
	Size int
	// Redis is the shared Redis; nil keeps queries locally only, as
	// without REDIS_URL.
	Redis redis.UniversalClient
	// Prefix starts every key, "<Prefix>apq:<sha256>".
	Prefix string
	// TTL: default DefaultTTL.
	TTL time.Duration
	// Health, if set, is asked before each Redis call and told of failed
	// ones. Nil means Redis is always considered up.
	Health Health
}

// Store is a graphql.Cache[string] for gqlgen's
// extension.AutomaticPersistedQuery, keyed by the query's SHA-256 in hex.
// It is safe for concurrent use.
type Store struct {
	local  *lru.LRU[string]
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	health Health
}

var _ graphql.Cache[string] = (*Store)(nil)

// New returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Size <= 0 {
		return nil, fmt.Errorf("apq: size %d, want > 0", cfg.Size)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	return &Store{local: lru.New[string](cfg.Size), rdb: cfg.Redis, prefix: cfg.Prefix + "apq:",
		ttl: cfg.TTL, health: cfg.Health}, nil
}

// Get returns the query whose hash is key: from the local LRU, else from
// Redis (refreshing its TTL). With Redis down, a query only another replica
// knows is a miss: the client then sends it again.
func (s *Store) Get(ctx context.Context, key string) (string, bool) {
	if q, ok := s.local.Get(ctx, key); ok {
		return q, true
	}
	// The key comes from the client, unchecked; only a hash can be stored.
	if !isHash(key) || !s.redisUp() {
		return "", false
	}
	q, err := s.rdb.GetEx(ctx, s.prefix+key, s.ttl).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			s.report(fmt.Errorf("apq: GETEX: %w", err))
		}
		return "", false
	}
	// What Redis holds is shared with every replica and any program with
	// access to it: use it only if it is what the client hashed.
	if len(q) > MaxQueryBytes || hash(q) != key {
		return "", false
	}
	s.local.Add(ctx, key, q)
	return q, true
}

// Add stores query under key, its hash (gqlgen checks that before calling
// Add), locally and in Redis. The next request may reach another replica
// at once, so Add returns after Redis has it (or refused it). A query
// larger than MaxQueryBytes is not stored.
func (s *Store) Add(ctx context.Context, key, query string) {
	if len(query) > MaxQueryBytes || !isHash(key) {
		return
	}
	s.local.Add(ctx, key, query)
	if !s.redisUp() {
		return
	}
	// Set again even when Redis may have it already: a client registers a
	// query only after some replica did not find it.
	if err := s.rdb.Set(ctx, s.prefix+key, query, s.ttl).Err(); err != nil {
		s.report(fmt.Errorf("apq: SET: %w", err))
	}
}

func (s *Store) redisUp() bool {
	return s.rdb != nil && (s.health == nil || s.health.Up())
}

func (s *Store) report(err error) {
	if s.health != nil && !errors.Is(err, context.Canceled) {
		s.health.Report(err)
	}
}

// isHash reports whether key is a SHA-256 in lower-case hex, the only keys
// gqlgen adds.
func isHash(key string) bool {
	if len(key) != 2*sha256.Size {
		return false
	}
	for i := range len(key) {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func hash(q string) string {
	h := sha256.Sum256([]byte(q))
	return hex.EncodeToString(h[:])
}
