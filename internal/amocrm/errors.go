package amocrm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxErrorBodySize bounds how much of a non-2xx body CheckResponse reads.
const maxErrorBodySize = 1 << 20

var (
	// ErrUnavailable is matched (errors.Is) by every error that means the
	// upstream could not answer usefully: transport failures (dial, timeout,
	// reset), 5xx answers, malformed JSON and oversize bodies in a 2xx answer,
	// and a passed context deadline.
	ErrUnavailable = errors.New("amocrm: upstream unavailable")

	// ErrOutcomeUnknown is matched by the error of a write (any method but
	// GET, HEAD, OPTIONS and TRACE: amoCRM's POST and PATCH batches, a
	// DELETE) that may have reached amoCRM but whose answer was not read in
	// full, so the write may or may not have been applied: the connection
	// was reset or timed out after the request was handed to it, the
	// context's deadline passed while amoCRM was answering, the 2xx body
	// was truncated, malformed or oversize, or the answer was a 502 or 504.
	// A 502 or 504 comes from a proxy in front of amoCRM, not from amoCRM:
	// the write may have been applied behind it. A 500 or 503 is amoCRM's
	// own refusal and is not an unknown outcome.
	//
	// Such an error also matches ErrUnavailable (the upstream did not
	// answer usefully), so a caller that tells the two apart tests
	// ErrOutcomeUnknown first; and, after a cancellation, context.Canceled.
	// A write that certainly never left — refused by a layer before sending
	// (an error with a NotSent() bool method reporting true: rate budget,
	// open circuit, call budget), or failed before a connection to amoCRM
	// was obtained (dial failure) — never matches ErrOutcomeUnknown.
	// Reading the entities back (e.g. by request_id or name) is the only way
	// to learn what happened; replaying the write may duplicate it.
	ErrOutcomeUnknown = errors.New("amocrm: outcome unknown: the write may have been applied")

	// ErrNoCredentials is matched by the error of a call made without any
	// token: no WithToken, no WithTokenSource and no ContextWithBearer. No HTTP
	// request is sent.
	ErrNoCredentials = errors.New("amocrm: no credentials")
)

// CheckResponse returns nil for a 2xx response and the typed error for any
// other: *RateLimitError for 429 (whose body is HTML), *ErrorResponse
// otherwise, decoded from application/problem+json when the body is JSON.
// It is the only place a non-2xx answer becomes an error. The body is read
// through an io.LimitReader (1 MiB) and put back on r for later reading.
func CheckResponse(r *http.Response) error {
	if c := r.StatusCode; 200 <= c && c <= 299 {
		return nil
	}
	var data []byte
	if r.Body != nil {
		data, _ = io.ReadAll(io.LimitReader(r.Body, maxErrorBodySize))
		r.Body = io.NopCloser(bytes.NewReader(data))
	}
	if r.StatusCode == http.StatusTooManyRequests {
		return &RateLimitError{Response: r, RetryAfter: parseRetryAfter(r.Header.Get("Retry-After"), time.Now())}
	}
	e := &ErrorResponse{}
	if len(bytes.TrimSpace(data)) > 0 && json.Unmarshal(data, e) != nil {
		e = &ErrorResponse{} // not problem+json (an HTML page): keep only the status
	}
	e.Response = r
	e.Status = r.StatusCode
	return e
}

// ErrorResponse is a non-2xx amoCRM answer other than 429, usually
// application/problem+json. Status is always the HTTP status code. A 5xx
// ErrorResponse also matches errors.Is(err, ErrUnavailable).
type ErrorResponse struct {
	Response *http.Response `json:"-"`
	Status   int            `json:"status"`
	Title    string         `json:"title"`
	Type     string         `json:"type"`
	Detail   string         `json:"detail"`
	// Hint is set by OAuth errors, e.g. "Token has been revoked".
	Hint string `json:"hint"`
	// ValidationErrors come with 400 answers to batch writes, one per
	// failing element of the batch.
	ValidationErrors []ValidationError `json:"validation-errors"`
}

// ValidationError lists the problems of one element of a batch write.
type ValidationError struct {
	// RequestID names the failing element: the request_id it was sent with,
	// or its index in the batch ("0", "1", ...).
	RequestID string       `json:"request_id"`
	Errors    []FieldError `json:"errors"`
}

// FieldError is one problem inside a batch element.
type FieldError struct {
	// Code, e.g. "NotSupportedChoice", "FieldNotExpected".
	Code string `json:"code"`
	// Path is dotted into the element, e.g. "custom_fields_values.0.field_id".
	Path   string `json:"path"`
	Detail string `json:"detail"`
}

func (e *ErrorResponse) Error() string {
	var b strings.Builder
	b.WriteString("amocrm: ")
	writeRequest(&b, e.Response)
	fmt.Fprintf(&b, "%d ", e.Status)
	if e.Title != "" {
		b.WriteString(e.Title)
	} else {
		b.WriteString(http.StatusText(e.Status))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	for _, v := range e.ValidationErrors {
		for _, f := range v.Errors {
			fmt.Fprintf(&b, "; request_id %q: %s: %s: %s", v.RequestID, f.Path, f.Code, f.Detail)
		}
	}
	writeRequestID(&b, e.Response)
	return b.String()
}

// Is makes a 5xx ErrorResponse match ErrUnavailable, and a 502 or 504
// answer to a write match ErrOutcomeUnknown.
func (e *ErrorResponse) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return e.Status >= 500
	case ErrOutcomeUnknown:
		return (e.Status == http.StatusBadGateway || e.Status == http.StatusGatewayTimeout) &&
			e.Response != nil && e.Response.Request != nil && isWrite(e.Response.Request.Method)
	}
	return false
}

// RateLimitError is a 429 answer: the integration went over amoCRM's budget
// (7 requests per second). Its body is an HTML page, not JSON. Repeated
// violations get the whole account's API blocked (403 on every request).
type RateLimitError struct {
	Response *http.Response
	// RetryAfter is the Retry-After header (seconds or an HTTP date), 0 when
	// absent: amoCRM does not promise one.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	var b strings.Builder
	b.WriteString("amocrm: ")
	writeRequest(&b, e.Response)
	b.WriteString("429 Too Many Requests")
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	writeRequestID(&b, e.Response)
	return b.String()
}

// ArgumentError is a call refused by the client before any HTTP request:
// limit above 250, a non-positive id, an empty batch, an unknown entity type.
type ArgumentError struct {
	Arg    string
	Reason string
}

func (e *ArgumentError) Error() string {
	return "amocrm: invalid argument " + e.Arg + ": " + e.Reason
}

// credentialsError marks a failure to obtain a token in the auth layer, so
// that Do reports it as is instead of as ErrUnavailable.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// writeRequest writes "METHOD /path: " of the request behind r, without the
// query (whose values may be personal data) and without any header.
func writeRequest(b *strings.Builder, r *http.Response) {
	if r == nil || r.Request == nil || r.Request.URL == nil {
		return
	}
	b.WriteString(r.Request.Method + " " + r.Request.URL.Path + ": ")
}

func writeRequestID(b *strings.Builder, r *http.Response) {
	if r == nil {
		return
	}
	if id := r.Header.Get("X-Request-Id"); id != "" {
		fmt.Fprintf(b, " [request id %s]", id)
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
