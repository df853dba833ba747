package cache

import (
	"context"
	"net/http"

	"github.com/amogql/amogql/internal/changes"
)

// Wrap returns a transport that answers GETs from the cache and sends the
// rest to next. Put it outside the retry, breaker and rate-limit layers, so
// an answer from the cache spends nothing of them. With a TTL of zero the
// cache is off and Wrap returns next.
//
// A GET of the amoCRM API (a path under /api/v4/) is answered from the
// cache when an answer for the same credential and URL was kept since the
// last change of anything it shows; else it makes the upstream call, shared
// with every concurrent GET of the same answer, and keeps a 200 or 204.
// Any other method to the API (a write) drops what it may change both
// before it is sent and after it returns, so a read racing it cannot keep
// the answer from before it: a read that starts after the write returns
// sees it. With WithRedis, this holds across replicas: the reads of every
// one of them see the writes of all.
func (c *Cache) Wrap(next http.RoundTripper) http.RoundTripper {
	if c.ttl == 0 {
		return next
	}
	return &transport{c: c, next: next}
}

type transport struct {
	c    *Cache
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, api := apiPath(req.URL.Path)
	switch {
	case !api:
		return t.next.RoundTrip(req)
	case req.Method == http.MethodGet:
		return t.get(req, rest)
	case req.Method == http.MethodHead || req.Method == http.MethodOptions:
		return t.next.RoundTrip(req)
	}
	t.invalidateWrite(req.Context(), rest)
	resp, err := t.next.RoundTrip(req)
	t.invalidateWrite(req.Context(), rest)
	return resp, err
}

func (t *transport) invalidateWrite(ctx context.Context, rest string) {
	done := t.c.topics.invalidateWrite(rest)
	if t.c.shared != nil {
		// A write the caller gave up on may still be applied upstream.
		t.c.shared.bump(context.WithoutCancel(ctx), done)
	}
	for _, b := range done {
		t.c.obs.CacheInvalidated(changes.Entity(b.name))
	}
}

func (t *transport) get(req *http.Request, rest string) (*http.Response, error) {
	c := t.c
	if req.Body != nil && req.Body != http.NoBody || bypassed(req.Context()) {
		return t.next.RoundTrip(req)
	}
	query, with, ok := readQuery(req.URL.RawQuery)
	if !ok {
		return t.next.RoundTrip(req)
	}
	p, ok := c.topics.readPlan(rest, with)
	if !ok {
		return t.next.RoundTrip(req)
	}
	k := key{scope: c.scopeOf(req), method: req.Method, host: req.URL.Host, path: req.URL.EscapedPath(), query: query}
	if c.shared != nil {
		return t.getShared(req, &p, k)
	}

	// The generations are read before the upstream call, so a change
	// reported during the call makes its answer stale at once.
	snap := p.snapshot()
	if a, ok := c.lookup(k, snap); ok {
		c.obs.CacheHit(p.resource)
		return a.response(req), nil
	}
	return c.share(req, t.next, &p, k, snap, "")
}

// getShared is get for a shared cache: the generations are read from
// Redis, and a miss in memory looks in Redis before going upstream. While
// Redis is not usable, GETs go upstream.
func (t *transport) getShared(req *http.Request, p *plan, k key) (*http.Response, error) {
	c, s, ctx := t.c, t.c.shared, req.Context()
	snap, ok := s.snapshot(ctx, p)
	if !ok {
		return t.next.RoundTrip(req)
	}
	if a, ok := c.lookup(k, snap); ok {
		c.obs.CacheHit(p.resource)
		return a.response(req), nil
	}
	rk := s.answerKey(req, k, p, snap)
	a, ttl, found, ok := s.load(ctx, rk)
	switch {
	case !ok:
		return t.next.RoundTrip(req)
	case found:
		c.keepKept(k, snap, c.now().Add(ttl), a)
		c.obs.CacheHit(p.resource)
		return a.response(req), nil
	}
	return c.share(req, t.next, p, k, snap, rk)
}
