package cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// A flight is one upstream GET that every concurrent miss of the same answer
// waits for. It is keyed by the generations too: a GET that starts after a
// change never joins a call that started before it.
//
// golang.org/x/sync/singleflight is not enough here: its shared call runs
// under the first caller's context, and it cannot end the call when every
// caller has stopped waiting.
type flight struct {
	done    chan struct{}
	ans     *answer // set before done is closed
	err     error
	waiters int // guarded by Cache.mu
	cancel  context.CancelFunc
}

type flightKey struct {
	key  key
	snap snapshot
}

// share answers req from the flight for (k, snap), starting one if none is
// under way. rk is the answer's key in Redis, when the cache is shared.
func (c *Cache) share(req *http.Request, next http.RoundTripper, p *plan, k key, snap snapshot, rk string) (*http.Response, error) {
	fk := flightKey{key: k, snap: snap}
	c.mu.Lock()
	f, joined := c.flights[fk]
	if joined {
		f.waiters++
	} else {
		// The call outlives any one caller's cancellation but keeps the
		// context's values (request id, call budget, access log entry).
		ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), c.callTimeout)
		f = &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
		c.flights[fk] = f
		go c.fly(f, fk, next, req.Clone(ctx), *p, rk)
	}
	c.mu.Unlock()
	if joined {
		c.obs.CacheShared(p.resource)
	} else {
		c.obs.CacheMiss(p.resource)
	}

	select {
	case <-f.done:
	case <-req.Context().Done():
		c.leave(fk, f)
		return nil, req.Context().Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.ans.response(req), nil
}

// leave stops waiting for f; the last waiter to leave ends the call, and a
// GET that comes later starts a new one.
func (c *Cache) leave(fk flightKey, f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	if c.flights[fk] == f {
		delete(c.flights, fk)
	}
	f.cancel()
}

// fly makes f's upstream call, keeps its answer when it may be kept, and
// hands it to the waiters.
func (c *Cache) fly(f *flight, fk flightKey, next http.RoundTripper, req *http.Request, p plan, rk string) {
	defer f.cancel()
	start := c.now()
	f.ans, f.err = c.fetch(next, req)
	if f.err == nil && keepable(f.ans.status) {
		// Keeping a stale answer would be harmless, since lookups compare
		// the generations too, but it would push out a good one.
		switch {
		case c.shared != nil:
			c.shared.keepFetched(req.Context(), fk, &p, rk, start, f.ans)
		case p.snapshot() == fk.snap:
			c.keep(fk.key, fk.snap, start, f.ans)
		default:
			c.obs.CacheStaleRefused(p.resource)
		}
	}
	c.mu.Lock()
	if c.flights[fk] == f {
		delete(c.flights, fk)
	}
	c.mu.Unlock()
	close(f.done)
}

// fetch makes the upstream call and reads its answer in full.
func (c *Cache) fetch(next http.RoundTripper, req *http.Request) (*answer, error) {
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cache: read GET %s: %w", req.URL.Path, err)
	}
	if int64(len(body)) > c.maxResponseBytes {
		return nil, fmt.Errorf("cache: GET %s: response body exceeds the limit of %d bytes", req.URL.Path, c.maxResponseBytes)
	}
	line := resp.Status
	if line == "" {
		line = statusLine(resp.StatusCode)
	}
	return &answer{status: resp.StatusCode, statusLine: line, header: resp.Header, body: body}, nil
}
