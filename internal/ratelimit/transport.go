package ratelimit

import (
	"net/http"
	"time"
)

// transport is the RoundTripper Wrap returns.
type transport struct {
	l    *Limiter
	next http.RoundTripper
}

// RoundTrip waits for the budget of the request's credential, sends the
// request, and pauses the credential when the upstream answers 429 anyway.
// A request that is refused is not sent and its body is closed: when its
// turn would come too late, or comes with too little time left for the
// upstream's usual answer time, the error is a *BudgetError.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	l := t.l
	if l.shared != nil {
		return t.roundTripShared(req)
	}
	c := l.acquire(l.keyFor(req))
	defer l.release(c)

	ctx := req.Context()
	start := time.Now()
	_, err := l.wait(ctx, c)
	var s slot
	if err == nil {
		l.mu.Lock()
		need := l.needLeft()
		l.mu.Unlock()
		if s, err = c.win.acquire(ctx, need); err == nil {
			l.mu.Lock()
			need = l.needLeft() // answers that came meanwhile taught more
			l.mu.Unlock()
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < need {
				// The window's wait ate the time the bucket left.
				c.win.abandon(s)
				err = &BudgetError{Wait: time.Since(start)}
			}
		}
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if l.observe != nil {
		l.observe(time.Since(start))
	}

	return t.send(req, windowSlot{c.win, s}, l.transitOf(c), func(d time.Duration) { l.pauseFor(c, d) })
}

// send sends req holding slot s and, when amoCRM answers 429 anyway, calls
// pause with how long the credential is to stop.
func (t *transport) send(req *http.Request, s slotKeeper, transit time.Duration, pause func(time.Duration)) (*http.Response, error) {
	l := t.l
	a := &arrival{s: s, transit: transit}
	sent := time.Now()
	resp, err := t.next.RoundTrip(a.trace(req))
	now := time.Now()
	a.finish(now)
	if err != nil {
		return nil, err
	}
	resp.Request = req
	l.observeLatency(now.Sub(sent))
	if resp.StatusCode == http.StatusTooManyRequests {
		d, ok := RetryAfter(resp.Header, now)
		if !ok || d <= 0 {
			d = l.pause
		}
		pause(min(d, l.maxPause))
	}
	return resp, nil
}
