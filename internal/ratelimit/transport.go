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
// A request that is refused is not sent and its body is closed.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	l := t.l
	c := l.acquire(l.keyFor(req))
	defer l.release(c)

	start := time.Now()
	_, err := l.wait(req.Context(), c)
	slot := 0
	if err == nil {
		slot, err = c.win.acquire(req.Context())
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

	resp, err := t.next.RoundTrip(req)
	c.win.release(slot)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		d, ok := RetryAfter(resp.Header, time.Now())
		if !ok || d <= 0 {
			d = l.pause
		}
		l.pauseFor(c, min(d, l.maxPause))
	}
	return resp, err
}
