package changes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Replicas behind a load balancer each hold their own Hub, but amoCRM sends
// a webhook to one of them. A Relay carries every published batch through a
// Redis Stream, read by every replica (the origin too) with plain XREAD
// rather than a consumer group, which would hand each entry to one replica
// only. While Redis is up the stream is the only way into the local Hub, so
// each subscriber hears a change once; when it is not, changes stay on the
// replica that learnt of them rather than being lost.

// Health says whether the shared Redis is usable now. Report tells it that a
// Redis call failed (a connection error or timeout, never redis.Nil), so every
// component goes degraded at once instead of each paying a timeout.
type Health interface {
	Up() bool
	Report(err error)
}

// Relay defaults.
const (
	// DefaultStreamMaxLen bounds the stream (approximately: Redis trims
	// whole nodes). A replica away for longer than the stream holds misses
	// the changes trimmed meanwhile; entries are one webhook each, so
	// 10 000 is minutes of a busy account's traffic at a few MB.
	DefaultStreamMaxLen = 10000
	// DefaultBlock is how long one XREAD waits for news. It costs nothing
	// when changes flow (XREAD returns as soon as one is added); it bounds
	// how long Run takes to notice its context has ended, since go-redis
	// does not interrupt a blocked read.
	DefaultBlock = 2 * time.Second
)

// Backoff between failed reads: short, so a replica hears changes again
// soon after Redis returns, and capped, so a long outage costs one call a
// second.
const (
	minBackoff = 25 * time.Millisecond
	maxBackoff = time.Second
)

// readCount bounds the entries one XREAD returns.
const readCount = 256

// entryField names the stream entry's one field: a JSON array of changes.
const entryField = "c"

// RelayConfig is what NewRelay needs.
type RelayConfig struct {
	// Hub receives every change published on any replica. Required.
	Hub *Hub
	// Redis is the shared Redis; nil relays nothing (every change goes to
	// Hub directly), as without REDIS_URL.
	Redis redis.UniversalClient
	// Prefix starts the stream's key, "<Prefix>changes".
	Prefix string
	// Health, if set, is asked before each XADD and told of failed calls.
	// Nil means Redis is always considered up.
	Health Health
	// MaxLen bounds the stream; default DefaultStreamMaxLen.
	MaxLen int64
	// Block is how long one XREAD waits; default DefaultBlock.
	Block time.Duration
	// Log receives a line when the stream turns out to have gone back in
	// time (Redis restarted empty or restored) and per unreadable entry.
	Log zerolog.Logger
}

// Relay publishes changes to every replica's Hub through a Redis Stream.
// Publish is safe for concurrent use; run one Run per Relay.
type Relay struct {
	hub    *Hub
	rdb    redis.UniversalClient
	key    string
	health Health
	maxLen int64
	block  time.Duration
	log    zerolog.Logger

	// live is true while Run reads the stream from a position resolved
	// before the check: a change added to the stream then will reach the
	// local Hub through it. Otherwise Publish also delivers locally.
	live atomic.Bool
}

// NewRelay returns a Relay into cfg.Hub.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Hub == nil {
		return nil, errors.New("changes: relay needs a hub")
	}
	r := &Relay{hub: cfg.Hub, rdb: cfg.Redis, key: cfg.Prefix + "changes", health: cfg.Health,
		maxLen: cfg.MaxLen, block: cfg.Block, log: cfg.Log}
	if r.maxLen <= 0 {
		r.maxLen = DefaultStreamMaxLen
	}
	if r.block <= 0 {
		r.block = DefaultBlock
	}
	return r, nil
}

// Publish sends cs to the subscribers of every replica. With Redis up, it
// adds one stream entry and the local Hub hears cs from Run like the
// others. With Redis down, or when the entry cannot be added, only this
// replica's subscribers hear cs, at once; a failed call is reported to
// Health. It never panics and returns once the entry is added or refused
// (within the Redis client's timeouts). ctx's values are kept but not its
// end: a webhook's request may end as soon as amoCRM has its answer, and
// the change must still reach the other replicas.
func (r *Relay) Publish(ctx context.Context, cs ...Change) {
	if len(cs) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if r.rdb == nil || !r.up() {
		r.hub.Publish(cs...)
		return
	}
	// Read before adding: if Run was live then, its position precedes the
	// entry, so it will deliver it.
	live := r.live.Load()
	if err := r.add(ctx, cs); err != nil {
		r.report(err)
		r.hub.Publish(cs...)
		return
	}
	if !live {
		// Run may resume before or after the entry; if it delivers it
		// too, the Hub drops the repeat.
		r.hub.Publish(cs...)
	}
}

// add appends cs to the stream as one entry.
func (r *Relay) add(ctx context.Context, cs []Change) error {
	b, err := json.Marshal(toWire(cs))
	if err != nil {
		return fmt.Errorf("changes: encode: %w", err)
	}
	err = r.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: r.key, MaxLen: r.maxLen, Approx: true, Values: []string{entryField, string(b)},
	}).Err()
	if err != nil {
		return fmt.Errorf("changes: XADD %s: %w", r.key, err)
	}
	return nil
}

// Run reads the stream into the local Hub until ctx ends, from the entries
// added after it starts. After a failed read it waits a little, reports the
// failure, and resumes after the last entry it delivered, so entries added
// meanwhile still arrive if the stream kept them. If the stream went back
// in time (Redis restarted empty, or restored from an older copy), it
// carries on from the stream's current end instead of waiting for ids it
// will never reach. It returns within Block of ctx's end (go-redis does
// not interrupt a blocked read); with no Redis, at once.
func (r *Relay) Run(ctx context.Context) {
	if r.rdb == nil {
		return
	}
	defer r.live.Store(false)
	var (
		pos      streamID
		resolved bool // pos is known
		check    = true
		backoff  time.Duration
	)
	for ctx.Err() == nil {
		if check {
			r.live.Store(false)
			next, err := r.resync(ctx, pos, resolved)
			if err != nil {
				backoff = r.fail(ctx, err, backoff)
				continue
			}
			pos, resolved, check = next, true, false
		}
		r.live.Store(true)
		streams, err := r.rdb.XRead(ctx, &redis.XReadArgs{
			Streams: []string{r.key, pos.String()}, Count: readCount, Block: r.block,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			// Idle: a cheap moment to look for a stream gone back in time.
			check = true
			continue
		case err != nil:
			r.live.Store(false)
			check = true
			backoff = r.fail(ctx, fmt.Errorf("changes: XREAD %s: %w", r.key, err), backoff)
			continue
		}
		backoff = 0
		for _, s := range streams {
			for _, m := range s.Messages {
				pos = r.deliver(m, pos)
			}
		}
	}
}

// deliver publishes m's changes to the local Hub and returns m's id, the
// new position (pos if m's id is unreadable).
func (r *Relay) deliver(m redis.XMessage, pos streamID) streamID {
	id, err := parseStreamID(m.ID)
	if err != nil {
		r.log.Warn().Err(err).Str("id", m.ID).Msg("changes: skipped a stream entry with a malformed id")
		return pos
	}
	s, _ := m.Values[entryField].(string)
	var w []wireChange
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		r.log.Warn().Err(err).Str("id", m.ID).Msg("changes: skipped an unreadable stream entry")
		return id
	}
	r.hub.Publish(fromWire(w)...)
	return id
}

// resync returns where to read from. First (resolved false), the stream's
// current end. Afterwards pos, unless the stream's last entry precedes pos:
// then the stream is not the one pos was read from, and ids after pos may
// never come. Carry on from its end: if it is empty (Redis came back
// empty), that is its start and every entry it gets is news; if not (Redis
// restored from an older copy), its entries are most likely ones already
// delivered, and redelivering up to MaxLen old changes would flood
// subscribers. Entries a restarted Redis with a clock behind ours added
// before this check are lost to this replica.
func (r *Relay) resync(ctx context.Context, pos streamID, resolved bool) (streamID, error) {
	last, err := r.rdb.XRevRangeN(ctx, r.key, "+", "-", 1).Result()
	if err != nil {
		return pos, fmt.Errorf("changes: XREVRANGE %s: %w", r.key, err)
	}
	var end streamID
	if len(last) > 0 {
		if end, err = parseStreamID(last[0].ID); err != nil {
			return pos, fmt.Errorf("changes: stream %s: %w", r.key, err)
		}
	}
	switch {
	case !resolved:
		return end, nil
	case end.less(pos):
		r.log.Warn().Str("stream", r.key).Str("was", pos.String()).Str("now", end.String()).
			Msg("changes: the stream went back in time (Redis restarted or restored); reading on from its end")
		return end, nil
	}
	return pos, nil
}

// fail reports err, waits out the next backoff (or until ctx ends) and
// returns it.
func (r *Relay) fail(ctx context.Context, err error, backoff time.Duration) time.Duration {
	if ctx.Err() != nil {
		return backoff
	}
	r.report(err)
	backoff = min(max(2*backoff, minBackoff), maxBackoff)
	// Jitter, so replicas do not return to a recovering Redis in step.
	t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return backoff
}

func (r *Relay) up() bool { return r.health == nil || r.health.Up() }

func (r *Relay) report(err error) {
	if r.health != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, context.Canceled) {
		r.health.Report(err)
	}
}

// streamID is a Redis stream entry id, "<ms>-<seq>".
type streamID struct{ ms, seq uint64 }

func parseStreamID(s string) (streamID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return streamID{}, fmt.Errorf("stream id %q: want <ms>-<seq>", s)
	}
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return streamID{}, fmt.Errorf("stream id %q: %w", s, err)
	}
	return streamID{a, b}, nil
}

func (id streamID) String() string { return fmt.Sprintf("%d-%d", id.ms, id.seq) }

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || id.ms == o.ms && id.seq < o.seq
}

// wireChange is a Change in a stream entry: short keys, as every entry
// carries them.
type wireChange struct {
	Entity   Entity    `json:"e"`
	Action   Action    `json:"a"`
	ID       int       `json:"id"`
	At       time.Time `json:"at,omitzero"`
	Received time.Time `json:"r,omitzero"`
}

func toWire(cs []Change) []wireChange {
	w := make([]wireChange, len(cs))
	for i, c := range cs {
		w[i] = wireChange(c)
	}
	return w
}

func fromWire(w []wireChange) []Change {
	cs := make([]Change, len(w))
	for i, c := range w {
		cs[i] = Change(c)
	}
	return cs
}
