package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/amogql/amogql/internal/ratelimit"
)

// maxDrain bounds how much of a discarded body is read so that its
// connection can be reused; a longer body costs a new connection instead.
const maxDrain = 64 << 10

// transport is the RoundTripper Wrap returns.
type transport struct {
	p    *Policy
	next http.RoundTripper
}

// RoundTrip sends req and, for GET and HEAD, sends it again after a
// transport error, a 5xx or a 429, at most Policy.maxAttempts times in all.
// It returns the last answer: a response (whose body is the caller's to
// close) or an error. Discarded responses are drained and closed.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !idempotent(req.Method) || !replayable(req) {
		return t.next.RoundTrip(req)
	}
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, fmt.Errorf("retry: %s %s: attempt %d: rewind body: %w", req.Method, req.URL.Path, attempt, err)
			}
		}
		resp, err := t.next.RoundTrip(r)
		if attempt >= t.p.maxAttempts || !retryable(ctx, resp, err) {
			return resp, err
		}
		wait := t.p.backoff(attempt)
		if resp != nil {
			// A 429 or 503 that names a longer wait than the backoff is
			// honoured: retrying sooner would be refused again, or, at
			// amoCRM, count as another overrun.
			if ra, ok := ratelimit.RetryAfter(resp.Header, time.Now()); ok && ra > wait {
				wait = ra
			}
		}
		if dl, ok := ctx.Deadline(); ok && !time.Now().Add(wait).Before(dl) {
			return resp, err // the next attempt could not start in time
		}
		discard(resp)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("retry: %s %s: stopped after attempt %d (%s): %w",
				req.Method, req.URL.Path, attempt, outcome(resp, err), ctx.Err())
		}
	}
}

// idempotent reports whether a method may be sent twice without effect:
// amoCRM's writes (POST, PATCH) may not.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// replayable reports whether req's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewind returns a copy of req ready to be sent again, with a fresh body.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// retryable reports whether an attempt's outcome is worth another attempt.
func retryable(ctx context.Context, resp *http.Response, err error) bool {
	if err != nil {
		var ns interface{ NotSent() bool }
		switch {
		case ctx.Err() != nil:
			return false // the caller gave up, or its deadline passed
		case errors.As(err, &ns) && ns.NotSent():
			// A layer below refused without sending (open circuit breaker,
			// rate budget past the deadline): trying again cannot help.
			return false
		}
		return true
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests,
		http.StatusInternalServerError,
		http.StatusBadGateway,
		http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return true
	}
	return false
}

// discard drains a little of resp's body, so its connection can be reused,
// and closes it.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
}

// outcome names an attempt's result for an error message, without any
// header or body.
func outcome(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}
