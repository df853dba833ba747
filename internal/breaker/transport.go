package breaker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	resp, err := t.next.RoundTrip(req)
	t.b.record(tk, classify(req.Context(), resp, err))
	return resp, err
}

// classify tells what an attempt says about the upstream.
func classify(ctx context.Context, resp *http.Response, err error) outcome {
	if err != nil {
		var ns interface{ NotSent() bool }
		switch {
		case errors.As(err, &ns) && ns.NotSent():
			return neutral // refused by a layer below (rate budget, ...)
		case errors.Is(ctx.Err(), context.Canceled):
			return neutral // the caller went away
		}
		// Dial and read failures, resets, and timeouts: a deadline that
		// passed while the upstream was answering counts against it.
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
