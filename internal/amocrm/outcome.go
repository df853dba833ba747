package amocrm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
)

// isWrite reports whether a call may change data at amoCRM, so that a lost
// answer leaves its outcome unknown.
func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// sendTrace follows one write through the transport to tell "certainly not
// sent" from "may have reached amoCRM". A request counts as possibly sent
// from the moment the transport hands it a connection (httptrace GotConn):
// bytes may leave from then on, and the writing goroutine can still be
// flushing after a timeout has returned. Only a request that never got a
// connection (dial failure, a layer that refused it) is certainly unsent.
// GetConn starts each attempt afresh, so a replay after an answered 401, or
// net/http's own retry of a request that wrote nothing, is judged by its
// last attempt.
type sendTrace struct{ conn atomic.Bool }

// trace returns req with the hooks installed.
func (s *sendTrace) trace(req *http.Request) *http.Request {
	ct := &httptrace.ClientTrace{
		GetConn: func(string) { s.conn.Store(false) },
		GotConn: func(httptrace.GotConnInfo) { s.conn.Store(true) },
	}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), ct))
}

// mayHaveLeft reports whether the request may have reached amoCRM. A nil
// sendTrace (a read) never did anything that matters.
func (s *sendTrace) mayHaveLeft() bool { return s != nil && s.conn.Load() }

// outcomeUnknown wraps err, the failure of a write that may have been
// applied, so that it matches ErrOutcomeUnknown and, unless the caller
// cancelled, ErrUnavailable.
func outcomeUnknown(ctx context.Context, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // ue.URL carries the query string, which may hold personal data
	}
	switch ctxErr := ctx.Err(); {
	case errors.Is(ctxErr, context.Canceled):
		return fmt.Errorf("amocrm: %s: %w: %w", op, ErrOutcomeUnknown, ctxErr)
	case ctxErr != nil:
		return fmt.Errorf("amocrm: %s: %w: %w: %w", op, ErrOutcomeUnknown, ErrUnavailable, ctxErr)
	case errors.Is(err, ErrUnavailable):
		return fmt.Errorf("amocrm: %s: %w: %w", op, ErrOutcomeUnknown, err)
	default:
		return fmt.Errorf("amocrm: %s: %w: %w: %w", op, ErrOutcomeUnknown, ErrUnavailable, err)
	}
}
