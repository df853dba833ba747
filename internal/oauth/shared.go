package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// With Config.Redis set, the pair lives in Redis and every replica of the
// gateway works from it. A replica uses its own copy until it is due, then
// looks at Redis first: when another replica already rotated, it adopts that
// pair without a request. Otherwise one replica takes the refresh lock and
// spends the refresh token while the others wait for the pair it writes.
// A refresh token is handed to the endpoint at most once: the lock holder
// marks it as being spent before sending, and a token found marked with no
// newer pair and no live holder is never spent again (ErrRefreshLost).

// decideFunc says whether t, obtained at obtainedAt, must be replaced by a
// refresh; an error ends the attempt with t.
type decideFunc func(t tokens, obtainedAt time.Time) (bool, error)

// sharedToken is Token with a shared store.
func (ts *TokenSource) sharedToken(ctx context.Context) (string, error) {
	up := ts.shared.up()
	ts.mu.Lock()
	if !up {
		ts.resync = true // the store may come back empty or older
	}
	cur, resync := ts.tok, ts.resync
	ts.mu.Unlock()

	now := time.Now()
	if !ts.refreshDue(cur, now) && !(up && resync) {
		return cur.access, nil
	}
	valid := cur.access != "" && now.Before(cur.expiresAt)
	tok, err := ts.sharedFlight(ctx, true, func(t tokens, _ time.Time) (bool, error) {
		return ts.refreshDue(t, time.Now()), nil
	})
	if err != nil && valid && ctx.Err() == nil {
		return cur.access, nil
	}
	return tok, err
}

// sharedRefresh is Refresh with a shared store. Redis is read before the
// MinRefreshInterval check: a token rotated by another replica is adopted
// however recently this one obtained its own.
func (ts *TokenSource) sharedRefresh(ctx context.Context, stale string) (string, error) {
	ts.mu.Lock()
	cur := ts.tok
	ts.mu.Unlock()
	if cur.access != "" && cur.access != stale {
		return cur.access, nil
	}
	return ts.sharedFlight(ctx, false, func(t tokens, obtainedAt time.Time) (bool, error) {
		if t.access != "" && t.access != stale {
			return false, nil
		}
		if !obtainedAt.IsZero() && time.Since(obtainedAt) < ts.cfg.MinRefreshInterval {
			return false, ErrTooSoon
		}
		return true, nil
	})
}

// sharedFlight runs coordinate once for all concurrent callers of this
// replica. Like refresh, the flight is not tied to the first caller's
// context; it gives up waiting for another replica after twice the lock's
// lifetime.
func (ts *TokenSource) sharedFlight(ctx context.Context, serveValid bool, decide decideFunc) (string, error) {
	ch := ts.flight.DoChan("refresh", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*lockTTL)
		defer cancel()
		tok, err := ts.coordinate(fctx, serveValid, decide)
		ts.saveIfDirty()
		if err != nil {
			return "", err
		}
		return tok.access, nil
	})
	return awaitRefresh(ctx, ch)
}

// coordinate brings this replica's pair up to date with Redis and, when
// decide still wants a refresh, refreshes under the shared lock or waits
// for the replica that holds it. While Redis is down it refreshes nothing:
// two replicas could then spend the same refresh token.
func (ts *TokenSource) coordinate(ctx context.Context, serveValid bool, decide decideFunc) (tokens, error) {
	s := ts.shared
	ts.mu.Lock()
	local, unmark := ts.tok, ts.unmark
	ts.mu.Unlock()
	if !s.up() {
		ts.setResync()
		return local, fmt.Errorf("oauth: refresh: %w: %w", ErrStoreUnavailable, ErrUnavailable)
	}
	cur, err := ts.syncShared(ctx, local, unmark)
	if err != nil {
		return local, err
	}
	resyncs := 0
	for {
		ts.mu.Lock()
		obtainedAt, failedAt, failErr := ts.obtainedAt, ts.failedAt, ts.failErr
		ts.mu.Unlock()
		need, err := decide(cur, obtainedAt)
		if err != nil || !need {
			return cur, err
		}
		if failErr != nil && time.Since(failedAt) < failedRefreshPause {
			return cur, failErr
		}
		code, stored, present, err := s.acquire(ctx, cur.version)
		if err != nil {
			ts.storeFailed(err)
			return cur, err
		}
		switch {
		case code > 0:
			return ts.spend(ctx, cur, code)
		case code == acqLost:
			ts.fail(ErrRefreshLost)
			return cur, ErrRefreshLost
		case code == acqBusy:
			if serveValid && cur.access != "" && time.Now().Before(cur.expiresAt) {
				return cur, nil // still good: no need to wait for the holder
			}
			select {
			case <-time.After(pollInterval):
			case <-ctx.Done():
				return cur, fmt.Errorf("oauth: waiting for another replica's refresh: %w: %w", ErrUnavailable, ctx.Err())
			}
		case present && stored.version > cur.version:
			cur = ts.adopt(stored)
		default: // absent, or older than ours: Redis lost data
			if resyncs++; resyncs > 3 {
				err := fmt.Errorf("oauth: the token pair in Redis keeps disappearing: %w", ErrUnavailable)
				ts.storeFailed(err)
				return cur, err
			}
			ts.mu.Lock()
			local = ts.tok
			ts.mu.Unlock()
			if cur, err = ts.syncShared(ctx, local, 0); err != nil {
				return local, err
			}
		}
	}
}

// syncShared seeds or pushes local and adopts what Redis holds.
func (ts *TokenSource) syncShared(ctx context.Context, local tokens, unmark int64) (tokens, error) {
	stored, present, err := ts.shared.sync(ctx, local, unmark)
	if err != nil {
		ts.storeFailed(err)
		return local, err
	}
	ts.mu.Lock()
	ts.resync = false
	if ts.unmark == unmark {
		ts.unmark = 0
	}
	ts.mu.Unlock()
	if !present {
		return local, nil
	}
	return ts.adopt(stored), nil
}

// spend exchanges cur's refresh token, which acquire marked for fence, and
// writes the new pair to Redis before releasing the lock. The new pair is
// this replica's first, so a failed write to Redis still leaves it served
// (and in StorePath) and pushed once Redis answers again.
func (ts *TokenSource) spend(ctx context.Context, cur tokens, fence int64) (tokens, error) {
	s := ts.shared
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultHTTPTimeout)
	next, mayHaveLeft, err := ts.exchange(xctx, cur.refresh)
	cancel()
	if err != nil {
		// The mark stays unless the token certainly was not spent: never
		// sent, or answered by a server error, after which the answer is
		// lost to everyone and a later attempt races with nothing.
		var ee *EndpointError
		clear := !mayHaveLeft || (errors.As(err, &ee) && ee.Status >= 500)
		if rerr := s.release(ctx, fence, clear); rerr != nil {
			ts.storeFailed(rerr)
			if clear {
				ts.mu.Lock()
				ts.unmark = fence // cleared by the next sync
				ts.mu.Unlock()
			}
		}
		ts.fail(err)
		return cur, err
	}
	next.version = cur.version + 1
	ts.mu.Lock()
	ts.tok, ts.obtainedAt, ts.failErr, ts.dirty = next, time.Now(), nil, true
	ts.mu.Unlock()
	ts.saveIfDirty()
	wrote, stored, present, err := s.finish(ctx, next, fence)
	if err != nil {
		ts.storeFailed(err)
		return next, nil
	}
	if !wrote && present {
		return ts.adopt(stored), nil
	}
	return next, nil
}

// adopt makes stored this replica's pair when it is newer (Redis wins a
// tie) and returns the pair now current.
func (ts *TokenSource) adopt(stored tokens) tokens {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	cur := ts.tok
	same := stored.access == cur.access && stored.refresh == cur.refresh
	if stored.version < cur.version || (same && stored.version == cur.version) {
		return cur
	}
	if !same {
		ts.obtainedAt = stored.issuedAt // zero when unknown, as for a loaded pair
		ts.failErr = nil
	}
	ts.tok, ts.dirty = stored, true
	return stored
}

// fail records a failed refresh and reports it.
func (ts *TokenSource) fail(err error) {
	ts.mu.Lock()
	ts.failedAt, ts.failErr = time.Now(), err
	ts.mu.Unlock()
	ts.report(err)
}

// storeFailed records a failed Redis call: the pair is pushed again once
// Redis answers, in case it came back empty or older.
func (ts *TokenSource) storeFailed(err error) {
	ts.setResync()
	ts.report(err)
}

func (ts *TokenSource) setResync() {
	ts.mu.Lock()
	ts.resync = true
	ts.mu.Unlock()
}
