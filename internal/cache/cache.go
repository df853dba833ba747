// Package cache keeps amoCRM's answers to GET requests and serves them
// again without an upstream call until they may have changed. amoCRM allows
// an integration about 7 requests per second, shared by every client of the
// gateway, so a screen that many people reload must not cost a call each.
//
// A Cache is an http.RoundTripper layer (Wrap) for the amoCRM client. It
// keeps 200 and 204 answers per credential (amoCRM answers depend on the
// user's rights), request method and URL, for at most a TTL, and drops them
// as soon as it learns that what they show may have changed: from a change
// notice (Invalidate, e.g. for an amoCRM webhook) or from a write that goes
// through it. Concurrent misses for the same answer share one upstream call.
// With WithRedis, several gateway processes share one cache through Redis
// (see shared.go).
package cache

import (
	"container/list"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/amogql/amogql/internal/changes"
)

// Defaults of New.
const (
	// DefaultTTL is the longest an answer is served without a change notice.
	DefaultTTL = 5 * time.Minute
	// DefaultMaxEntries bounds the number of answers kept.
	DefaultMaxEntries = 10_000
	// DefaultMaxBytes bounds the memory the answers kept take.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxEntryBytes is the largest answer kept; larger ones are
	// served but not kept.
	DefaultMaxEntryBytes = 4 << 20
	// DefaultMaxResponseBytes is the largest answer body read for a shared
	// call: the amoCRM client's own default limit.
	DefaultMaxResponseBytes = 32 << 20
	// DefaultCallTimeout bounds an upstream call that several requests
	// share, since it outlives the request that started it.
	DefaultCallTimeout = 30 * time.Second
)

// Observer receives the cache's events, for metrics. resource is the
// amoCRM resource of the request ("contacts", "leads", ... or "other").
// Its methods must be quick and safe for concurrent use.
type Observer interface {
	// CacheHit: a GET was answered from the cache.
	CacheHit(resource string)
	// CacheMiss: a GET found no answer and made the upstream call (so the
	// misses count the upstream GETs the cache let through).
	CacheMiss(resource string)
	// CacheShared: a GET found no answer and waited for the upstream call
	// another GET had started for the same answer.
	CacheShared(resource string)
	// CacheInvalidated: what was read of an entity type (or sub-resource,
	// e.g. "contacts/tags") was dropped.
	CacheInvalidated(entity changes.Entity)
	// CacheStaleRefused: an answer was not kept because a change was
	// reported while it was being fetched.
	CacheStaleRefused(resource string)
}

// Cache keeps amoCRM answers. Build it with New; it is safe for concurrent
// use. Wrap puts it in front of a transport.
type Cache struct {
	ttl              time.Duration
	maxEntries       int
	maxBytes         int64
	maxEntryBytes    int64
	maxResponseBytes int64
	callTimeout      time.Duration
	now              func() time.Time
	obs              Observer

	salt [16]byte // scopes are salted hashes, so memory never holds a token

	topics topics
	shared *shared // nil unless WithRedis

	mu      sync.Mutex
	entries map[key]*list.Element // of *entry
	lru     list.List             // most recently used first
	bytes   int64
	flights map[flightKey]*flight
}

// An Option configures a Cache in New.
type Option func(*Cache)

// WithTTL sets the longest an answer is served without a change notice.
// Zero turns the cache off (Wrap returns its transport unchanged); it must
// not be negative. Default: 5 min.
func WithTTL(d time.Duration) Option { return func(c *Cache) { c.ttl = d } }

// WithMaxEntries bounds the number of answers kept; the least recently used
// goes first. It must be positive. Default: 10 000.
func WithMaxEntries(n int) Option { return func(c *Cache) { c.maxEntries = n } }

// WithMaxBytes bounds the memory the answers kept take (bodies, URLs and a
// fixed overhead each); the least recently used go first. It must be
// positive. Default: 64 MiB.
func WithMaxBytes(n int64) Option { return func(c *Cache) { c.maxBytes = n } }

// WithMaxEntryBytes sets the largest answer kept; larger ones are served
// but fetched again next time. It must be positive; it is lowered to the
// max bytes. Default: 4 MiB.
func WithMaxEntryBytes(n int64) Option { return func(c *Cache) { c.maxEntryBytes = n } }

// WithMaxResponseBytes sets the largest answer body read for a GET that may
// be shared; a larger one fails the call. Set it to the amoCRM client's
// response limit. It must be positive. Default: 32 MiB.
func WithMaxResponseBytes(n int64) Option { return func(c *Cache) { c.maxResponseBytes = n } }

// WithCallTimeout bounds an upstream GET that several requests share: it is
// detached from the request that started it, so that request's end does not
// fail the others, and ends when this passes or when no request waits for
// it any more. Set it to the upstream timeout. It must be positive.
// Default: 30 s.
func WithCallTimeout(d time.Duration) Option { return func(c *Cache) { c.callTimeout = d } }

// WithClock sets the clock the TTL is measured with (for tests). Default:
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *Cache) {
		if now != nil {
			c.now = now
		}
	}
}

// WithObserver sets the metrics hooks.
func WithObserver(o Observer) Option { return func(c *Cache) { c.obs = o } }

// New returns a Cache. It fails when an option has an invalid value.
func New(opts ...Option) (*Cache, error) {
	c := &Cache{
		ttl:              DefaultTTL,
		maxEntries:       DefaultMaxEntries,
		maxBytes:         DefaultMaxBytes,
		maxEntryBytes:    DefaultMaxEntryBytes,
		maxResponseBytes: DefaultMaxResponseBytes,
		callTimeout:      DefaultCallTimeout,
		now:              time.Now,
		obs:              nopObserver{},
		topics:           topics{m: map[string]*topic{}},
		entries:          map[key]*list.Element{},
		flights:          map[flightKey]*flight{},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(c)
		}
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	var errs []error
	if c.ttl < 0 {
		errs = append(errs, fmt.Errorf("cache: TTL must not be negative, got %s", c.ttl))
	}
	if c.maxEntries <= 0 {
		errs = append(errs, fmt.Errorf("cache: max entries must be positive, got %d", c.maxEntries))
	}
	if c.maxBytes <= 0 {
		errs = append(errs, fmt.Errorf("cache: max bytes must be positive, got %d", c.maxBytes))
	}
	if c.maxEntryBytes <= 0 {
		errs = append(errs, fmt.Errorf("cache: max entry bytes must be positive, got %d", c.maxEntryBytes))
	}
	if c.maxResponseBytes <= 0 {
		errs = append(errs, fmt.Errorf("cache: max response bytes must be positive, got %d", c.maxResponseBytes))
	}
	if c.callTimeout <= 0 {
		errs = append(errs, fmt.Errorf("cache: call timeout must be positive, got %s", c.callTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.maxEntryBytes = min(c.maxEntryBytes, c.maxBytes)
	c.topics.shared = c.shared != nil
	if _, err := rand.Read(c.salt[:]); err != nil {
		return nil, fmt.Errorf("cache: salt: %w", err)
	}
	return c, nil
}

// Invalidate drops what was read of an entity type: every list and embed
// of it, and the entities of the given ids (every entity when no id is
// given, or when an id is zero, i.e. unknown). Call it when amoCRM reports a change (a webhook), before
// acknowledging the report: no read that starts after Invalidate returns
// sees an answer fetched before it. entity is a changes.Entity
// ("contacts", "leads", "companies", "customers") or another resource named
// by its REST path without ids ("catalogs", "contacts/tags"). It costs the
// same whatever the number of entries. A shared cache (WithRedis) records
// the change in Redis, for every replica, in one round trip.
func (c *Cache) Invalidate(entity changes.Entity, ids ...int) {
	fields := c.topics.get(string(entity)).bump(ids)
	if c.shared != nil {
		c.shared.bump(context.Background(), []bumped{{name: string(entity), fields: fields}})
	}
	c.obs.CacheInvalidated(entity)
}

// Len returns the number of answers kept, stale ones not yet evicted
// included.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Bytes returns the memory the answers kept take, as bounded by
// WithMaxBytes.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

type bypassKey struct{}

// Bypass returns a copy of ctx whose GETs skip the cache: they are neither
// answered from it nor kept, for a read that must reach amoCRM whatever was
// kept. (Reads of the account, the webhook registrations and the event log
// are never kept anyway.) Writes under it still drop what they change.
func Bypass(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey{}, true)
}

func bypassed(ctx context.Context) bool {
	b, _ := ctx.Value(bypassKey{}).(bool)
	return b
}

type nopObserver struct{}

func (nopObserver) CacheHit(string)                 {}
func (nopObserver) CacheMiss(string)                {}
func (nopObserver) CacheShared(string)              {}
func (nopObserver) CacheInvalidated(changes.Entity) {}
func (nopObserver) CacheStaleRefused(string)        {}
