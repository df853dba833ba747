package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/breaker"
	"github.com/amogql/amogql/internal/oauth"
	"github.com/amogql/amogql/internal/ratelimit"
)

// ErrCallBudget is the refusal of an upstream call past the operation's
// budget; the gateway's transport wraps it.
var ErrCallBudget = errors.New("the query needs more amoCRM calls than one operation may make")

// The error codes clients can rely on, in extensions.code.
const (
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodePaymentRequired     = "PAYMENT_REQUIRED"
	CodeForbidden           = "FORBIDDEN"
	CodeBadUserInput        = "BAD_USER_INPUT"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	// CodeOutcomeUnknown: a write was sent but its answer was lost (a
	// timeout, a reset, a truncated body), so it may have been applied.
	// Read before retrying; UPSTREAM_UNAVAILABLE means it certainly was not.
	CodeOutcomeUnknown = "OUTCOME_UNKNOWN"
	CodeNotFound       = "NOT_FOUND"
	CodeInternal       = "INTERNAL"
)

// inputError is a resolver's refusal of its arguments, before any upstream call.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// ErrorPresenter maps every error a resolver returns to a GraphQL error with
// extensions.code, in this one table. Upstream errors keep amoCRM's status in
// extensions.upstreamStatus. Errors nobody anticipated are logged and hidden
// behind a fixed message.
func ErrorPresenter(log zerolog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		if _, ok := gerr.Extensions["code"]; ok {
			return gerr // parse and validation errors come coded from gqlgen
		}
		code, status, msg := classify(err)
		gerr.Extensions["code"] = code
		if status != 0 {
			gerr.Extensions["upstreamStatus"] = status
		}
		if details := validationDetails(err); details != nil {
			gerr.Extensions["validationErrors"] = details
		}
		if msg != "" {
			gerr.Message = msg
		}
		if code == CodeInternal {
			log.Error().Err(err).Str("path", gerr.Path.String()).Msg("internal error")
			gerr.Message = "internal error"
		}
		return gerr
	}
}

// classify returns the code, the upstream status (0 if none) and, where the
// raw error would read poorly, a clearer message.
func classify(err error) (code string, status int, msg string) {
	var (
		resp   *amocrm.ErrorResponse
		rate   *amocrm.RateLimitError
		arg    *amocrm.ArgumentError
		input  *inputError
		scal   *model.InputError
		budget *ratelimit.BudgetError
		token  *oauth.EndpointError
	)
	switch {
	case errors.As(err, &input), errors.As(err, &scal):
		return CodeBadUserInput, 0, ""
	case errors.As(err, &arg):
		return CodeBadUserInput, 0, arg.Error()
	case errors.Is(err, ErrCallBudget):
		return CodeQueryTooComplex, 0, err.Error()
	case errors.As(err, &budget):
		return CodeRateLimited, 0, fmt.Sprintf("the amoCRM request budget is spent; retry in %v", budget.Wait.Round(time.Millisecond))
	case errors.Is(err, breaker.ErrOpen):
		return CodeUpstreamUnavailable, 0, "amoCRM is failing; calls are paused for a moment"
	case errors.As(err, &token) && token.Status < 500:
		return CodeUnauthenticated, token.Status, "amoCRM refused the integration's refresh token: the integration must be authorised again"
	case errors.Is(err, oauth.ErrRefreshLost):
		return CodeUnauthenticated, 0, "a gateway replica stopped while refreshing the integration's token, and amoCRM's single-use refresh token may be spent: the integration must be authorised again"
	case errors.Is(err, oauth.ErrStoreUnavailable):
		return CodeUpstreamUnavailable, 0, "the access token expired while the replicas' shared store is down; the gateway refreshes it when Redis is back"
	case errors.Is(err, oauth.ErrUnavailable):
		return CodeUpstreamUnavailable, 0, "amoCRM's token endpoint is unavailable"
	case errors.As(err, &rate):
		return CodeRateLimited, http.StatusTooManyRequests, "amoCRM rate limit reached; retry later"
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		status := 0
		if errors.As(err, &resp) {
			status = resp.Status
		}
		return CodeOutcomeUnknown, status, "amoCRM may have applied this write, but its answer was lost (" + unavailableReason(err) + "); read the data before retrying it"
	case errors.As(err, &resp):
		return codeForStatus(resp.Status), resp.Status, upstreamMessage(resp)
	case errors.Is(err, amocrm.ErrNoCredentials):
		return CodeUnauthenticated, 0, "no amoCRM credentials: send Authorization: Bearer <amoCRM access token>"
	case errors.Is(err, amocrm.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return CodeUpstreamUnavailable, 0, "amoCRM is unavailable: " + unavailableReason(err)
	case errors.Is(err, context.Canceled):
		return CodeUpstreamUnavailable, 0, "request cancelled"
	}
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && gerr.Err == nil && gerr.Rule != "" {
		return CodeBadUserInput, 0, ""
	}
	return CodeInternal, 0, ""
}

// validationDetails lists amoCRM's validation errors of a 400 answer, so a
// client can see which filter or field amoCRM refused, as it could calling
// amoCRM itself; nil when there are none.
func validationDetails(err error) []map[string]any {
	var resp *amocrm.ErrorResponse
	if !errors.As(err, &resp) || resp.Status != http.StatusBadRequest {
		return nil
	}
	var out []map[string]any
	for _, ve := range resp.ValidationErrors {
		for _, fe := range ve.Errors {
			d := map[string]any{"code": fe.Code, "path": fe.Path, "detail": fe.Detail}
			if ve.RequestID != "" {
				d["requestId"] = ve.RequestID
			}
			out = append(out, d)
		}
	}
	return out
}

// unavailableReason says in a few words why amoCRM could not answer. The
// error itself names addresses and decoder positions: that stays in the
// gateway's log.
func unavailableReason(err error) string {
	var (
		netErr net.Error
		resp   *amocrm.ErrorResponse
	)
	switch {
	case errors.As(err, &resp):
		return fmt.Sprintf("it answered %d", resp.Status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "no answer in time"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "could not connect"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.EPIPE):
		return "the connection was cut"
	case errors.As(err, &netErr):
		return "a network error"
	}
	return "its answer could not be read"
}

func codeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return CodeUnauthenticated
	case status == http.StatusPaymentRequired:
		return CodePaymentRequired
	case status == http.StatusForbidden:
		return CodeForbidden
	case status == http.StatusTooManyRequests:
		return CodeRateLimited
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return CodeBadUserInput
	default:
		return CodeUpstreamUnavailable
	}
}

func upstreamMessage(e *amocrm.ErrorResponse) string {
	text := e.Detail
	if text == "" {
		text = e.Title
	}
	if text == "" {
		text = http.StatusText(e.Status)
	}
	return fmt.Sprintf("amoCRM answered %d: %s", e.Status, text)
}

// RecoverFunc turns a panic in a resolver into an INTERNAL error, so one bad
// field never takes the server down.
func RecoverFunc(log zerolog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.Error().Interface("panic", p).Str("path", graphql.GetPath(ctx).String()).Msg("resolver panic")
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": CodeInternal}}
	}
}
