package breaker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// transport is the RoundTripper Wrap returns.
type transport struct {
	b    *Breaker
	next http.RoundTripper
}

// RoundTrip sends req unless the breaker is open, then records whether the
// upstream answered usefully. A refused request is not sent, its body is
// closed, and the error wraps ErrOpen.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tk, err := t.b.allow()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	held := &heldSince{since: time.Now()}
	resp, err := t.next.RoundTrip(held.trace(req))
	t.b.record(tk, t.b.classify(req.Context(), resp, err, held.duration()))
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// classify tells what an attempt says about the upstream, which held it
// for held.
func (b *Breaker) classify(ctx context.Context, resp *http.Response, err error, held time.Duration) outcome {
	if err != nil {
		var ns interface{ NotSent() bool }
		switch {
		case errors.As(err, &ns) && ns.NotSent():
			return neutral // refused by a layer below (rate budget, ...)
		case errors.Is(ctx.Err(), context.Canceled):
			return neutral // the caller went away
		case ctx.Err() != nil && held < b.patience:
			return neutral // the caller's time ran out, not the upstream's patience
		}
		// Dial and read failures, resets, and deadlines that passed after
		// the upstream held the request for the patience: its failures.
		return failure
	}
	if resp.StatusCode >= http.StatusInternalServerError {
		return failure
	}
	return success
}

// openError is the error of a refused request.
type openError struct {
	retryIn time.Duration // 0 while a probe is in flight
}

// Error says when the next probe may go, so logs explain the refusal.
func (e *openError) Error() string {
	if e.retryIn > 0 {
		return fmt.Sprintf("%s: upstream failing, next probe in %s", ErrOpen, e.retryIn.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: upstream failing, probe in flight", ErrOpen)
}

// Unwrap makes errors.Is(err, ErrOpen) hold.
func (e *openError) Unwrap() error { return ErrOpen }

// NotSent reports that the request never reached the upstream, so a retry
// layer above does not try again during the cool-down.
func (e *openError) NotSent() bool { return true }

// heldSince measures how long the upstream held a request: from the first
// connection attempt the transport reports (httptrace GetConn), so that
// time spent waiting in layers below the breaker (the rate limiter) is not
// blamed on the upstream; from the hand-off when the transport reports
// nothing.
type heldSince struct {
	mu    sync.Mutex
	since time.Time
	seen  bool
}

func (h *heldSince) trace(req *http.Request) *http.Request {
	return req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GetConn: func(string) {
			h.mu.Lock()
			defer h.mu.Unlock()
			if !h.seen {
				h.seen, h.since = true, time.Now()
			}
		},
	}))
}

func (h *heldSince) duration() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Since(h.since)
}
