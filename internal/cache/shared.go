package cache

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// A cache shared by several gateway processes (replicas) through Redis.
//
// The generation counters (deps.go) live in Redis, so a change reported to any replica (Invalidate, or a write through its
// transport) is seen by the next read of every replica: each read takes its
// snapshot from Redis, in one round trip, before it serves or fetches
// anything. No message has to reach the other replicas, so none can be
// lost. Answers are kept in Redis under a key made of the request and the
// snapshot, so a replica can serve what another fetched, and in the local
// memory as a first tier, keyed by the snapshot too, so it is served only
// while the counters in Redis still match.
//
// The counters are fields of one Redis hash, "<field>:<topic>" (e.g.
// "b5:contacts"), beside its field "epoch", which every snapshot includes.
// One key, so Redis loses or evicts (under an allkeys-* maxmemory policy)
// the epoch whenever it loses a counter, and the scripts work on Redis
// Cluster too. Redis may lose what it held (restarted empty) or go back in time
// (restored from an older copy); either way its counters may return to
// values an answer was kept under although the data changed since, and a
// change reported while Redis was unreachable reached no other replica. So
// a replica that sees Redis fail stops using the cache (every request goes
// upstream; nothing is served or kept) until Redis is back, and before it
// uses the cache again it empties its memory tier and sets the epoch to a
// new random 63-bit value. Every answer kept before, in any replica's
// memory or in Redis, was kept under another epoch and is never served
// again. A new random value rather than an increment, since a restored copy
// holds an older epoch whose successor may already have been used. A Redis
// that lost the hash gets a new random epoch from the first read that
// misses it, whether or not any replica noticed the loss. The chance that
// a new epoch equals one seen before is 2^-63 per change of epoch.
//
// A replica that made no call while Redis was down learns of the outage
// only if its Health counts outages (OutageCounter); else, until the
// replica whose change was lost sets a new epoch (in the background, as
// soon as Redis is back), it may serve what that change made stale. What
// this cannot see at all: Redis going back to an older copy so quickly
// that no call and no health check failed meanwhile.

// Health says whether the shared Redis is usable now. Report tells it that a
// Redis call failed (a connection error or timeout, never redis.Nil), so every
// component goes degraded at once instead of each paying a timeout.
type Health interface {
	Up() bool
	Report(err error)
}

// OutageCounter may be implemented by a Health: Outages returns how many
// times Redis has gone down so far. A shared cache then starts afresh after
// every outage, even one during which it made no call of its own.
type OutageCounter interface {
	Outages() uint64
}

// WithRedis makes the cache shared by every gateway process given the same
// Redis and prefix: a change reported to, or written through, any of them
// is seen by every read that starts after it, and an answer fetched by one
// is served by all. Its keys are prefix+"cache:gens" (a hash: the epoch and
// the generation counters, without expiry) and prefix+"cache:a:<sha256>"
// (the answers, each expiring with its TTL). health (nil: always up) tells the cache when Redis is down: then, and
// after any Redis call fails, it is bypassed (every GET goes upstream,
// nothing is served from or kept in memory) until Redis is back, and then
// starts afresh (see the epoch in shared.go). A nil rdb leaves the cache
// local to the process. The replicas must share the TTL.
func WithRedis(rdb redis.UniversalClient, prefix string, health Health) Option {
	return func(c *Cache) {
		if rdb == nil {
			c.shared = nil
			return
		}
		outages, _ := health.(OutageCounter)
		s := &shared{
			c:            c,
			rdb:          rdb,
			health:       health,
			outages:      outages,
			gensKey:      prefix + "cache:gens",
			answerPrefix: prefix + "cache:a:",
		}
		if outages != nil {
			// Outages before the cache existed lost nothing of it.
			s.outagesAt.Store(outages.Outages())
		}
		c.shared = s
	}
}

// Bounds of the retries of an epoch change after a lost invalidation.
const (
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
)

// shared is the Redis side of a shared Cache.
type shared struct {
	c            *Cache
	rdb          redis.UniversalClient
	health       Health
	outages      OutageCounter // nil if health counts none
	gensKey      string
	answerPrefix string

	// failures counts the failures seen; afresh is its value when the
	// cache last started afresh. The cache is used only while they are
	// equal.
	failures  atomic.Uint64
	afresh    atomic.Uint64
	outagesAt atomic.Uint64 // the outages counted when last looked at
	restartMu sync.Mutex
	retrying  atomic.Bool
}

// snapshotScript reads the epoch and counters ARGV[2..] of the hash
// KEYS[1], setting the epoch to ARGV[1] when the hash has none (it was
// never set, or Redis lost it). It answers the values separated by spaces,
// a missing counter as 0.
var snapshotScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'epoch', unpack(ARGV, 2))
if not v[1] then
	v[1] = ARGV[1]
	redis.call('HSET', KEYS[1], 'epoch', ARGV[1])
end
for i = 2, #v do
	v[i] = v[i] or '0'
end
return table.concat(v, ' ')
`)

// bumpScript adds one to the counters ARGV of the hash KEYS[1].
var bumpScript = redis.NewScript(`
for i = 1, #ARGV do
	redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
end
return #ARGV
`)

// counterField names the counter f of the topic name in the hash. Field
// names have no colon, so no two pairs share a name; nor does "epoch".
func counterField(f field, name string) string { return fieldNames[f] + ":" + name }

func newEpoch() string { return strconv.FormatUint(rand.Uint64()>>1, 10) }

// usable reports whether the cache may use Redis now: Redis is up, and the
// cache has started afresh since the last failure it saw.
func (s *shared) usable(ctx context.Context) bool {
	if s.health != nil && !s.health.Up() {
		s.failures.Add(1)
		return false
	}
	if s.outages != nil {
		if n := s.outages.Outages(); s.outagesAt.Swap(n) != n {
			s.failures.Add(1)
		}
	}
	return s.failures.Load() == s.afresh.Load() || s.restart(ctx)
}

// restart empties the memory tier and sets a new epoch, after a failure.
// Meanwhile other requests bypass the cache.
func (s *shared) restart(ctx context.Context) bool {
	if !s.restartMu.TryLock() {
		return false
	}
	defer s.restartMu.Unlock()
	seen := s.failures.Load()
	if seen == s.afresh.Load() {
		return true
	}
	s.c.clear()
	if err := s.rdb.HSet(ctx, s.gensKey, "epoch", newEpoch()).Err(); err != nil {
		s.fail(ctx, err)
		return false
	}
	s.afresh.Store(seen)
	return true
}

// fail records a failed Redis call: the cache is bypassed until it starts
// afresh. A call that failed because its caller gave up says nothing of
// Redis, and is not reported.
func (s *shared) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	s.failures.Add(1)
	if s.health != nil {
		s.health.Report(err)
	}
}

// snapshot reads p's counters and the epoch from Redis; false when Redis
// is not usable.
func (s *shared) snapshot(ctx context.Context, p *plan) (snapshot, bool) {
	if !s.usable(ctx) {
		return snapshot{}, false
	}
	args := make([]any, p.n+1)
	args[0] = newEpoch()
	for i := range p.n {
		args[i+1] = counterField(p.fields[i], p.topics[i].name)
	}
	reply, err := snapshotScript.Run(ctx, s.rdb, []string{s.gensKey}, args...).Text()
	if err != nil {
		s.fail(ctx, err)
		return snapshot{}, false
	}
	// A malformed reply (someone else's value in a counter) is no failure
	// of Redis: that read goes upstream.
	return parseSnapshot(reply, p.n)
}

func parseSnapshot(reply string, n int) (snapshot, bool) {
	snap := snapshot{n: n}
	for i := -1; i < n; i++ {
		word, rest, _ := strings.Cut(reply, " ")
		v, err := strconv.ParseUint(word, 10, 64)
		if err != nil {
			return snapshot{}, false
		}
		if i < 0 {
			snap.epoch = v
		} else {
			snap.v[i] = v
		}
		reply = rest
	}
	return snap, reply == ""
}

// bump records changes in Redis. A change that cannot reach Redis reaches
// no other replica, so it makes the cache start afresh (a new epoch) as
// soon as Redis is back, retried in the background if no request comes.
func (s *shared) bump(ctx context.Context, changes []bumped) {
	if s.health != nil && !s.health.Up() {
		s.lost()
		return
	}
	var args []any
	for _, ch := range changes {
		for _, f := range ch.fields {
			args = append(args, counterField(f, ch.name))
		}
	}
	if len(args) == 0 {
		return
	}
	if err := bumpScript.Run(ctx, s.rdb, []string{s.gensKey}, args...).Err(); err != nil {
		s.fail(context.WithoutCancel(ctx), err)
		s.lost()
	}
}

// lost records a change that reached no other replica. Until an epoch
// change, the others may serve what it made stale: that is tried again
// until it succeeds, or for a TTL, after which all they kept before it has
// expired anyway.
func (s *shared) lost() {
	s.failures.Add(1)
	if s.retrying.CompareAndSwap(false, true) {
		go s.retry(time.Now().Add(s.c.ttl))
	}
}

func (s *shared) retry(deadline time.Time) {
	for wait := retryMin; ; wait = min(2*wait, retryMax) {
		if time.Now().After(deadline) {
			s.retrying.Store(false)
			return
		}
		time.Sleep(wait)
		if s.health != nil && !s.health.Up() {
			continue
		}
		if !s.restart(context.Background()) {
			continue
		}
		s.retrying.Store(false)
		// A change lost after the restart read the failures needs a
		// retry of its own, and its lost() saw this one still running.
		if s.failures.Load() == s.afresh.Load() || !s.retrying.CompareAndSwap(false, true) {
			return
		}
	}
}
