// Package accesslog writes one wide log line per HTTP request: its id, the
// GraphQL operation, the status, the duration and what the request cost
// upstream. Deep code adds to the line through the request context; the line
// is written once, when the request ends.
package accesslog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// HeaderRequestID is the header that carries a request id in and out.
const HeaderRequestID = "X-Request-Id"

// Entry collects the facts of one request. Safe for concurrent use: resolvers
// of one query run in parallel.
type Entry struct {
	mu            sync.Mutex
	requestID     string
	operation     string
	upstreamCalls int
	upstreamTime  time.Duration
	upstreamError int
}

type ctxKey struct{}

// From returns the request's entry, or nil outside a logged request; every
// method of a nil *Entry does nothing.
func From(ctx context.Context) *Entry {
	e, _ := ctx.Value(ctxKey{}).(*Entry)
	return e
}

// RequestID returns the request's id, or "" outside a logged request.
func (e *Entry) RequestID() string {
	if e == nil {
		return ""
	}
	return e.requestID
}

// SetOperation records the GraphQL operation's name.
func (e *Entry) SetOperation(name string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.operation = name
	e.mu.Unlock()
}

// AddUpstream records one upstream call and its status (0 when it failed
// before an answer).
func (e *Entry) AddUpstream(status int, d time.Duration) {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.upstreamCalls++
	e.upstreamTime += d
	if status == 0 || status >= 400 {
		e.upstreamError++
	}
	e.mu.Unlock()
}

// UpstreamCalls returns how many upstream calls the request has made so far.
func (e *Entry) UpstreamCalls() int {
	if e == nil {
		return 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.upstreamCalls
}

// Option configures Middleware.
type Option func(*options)

type options struct{ redact func(path string) string }

// WithPathRedactor logs each request's path as redact gives it back, for
// routes whose path holds a secret (the webhook route's).
func WithPathRedactor(redact func(path string) string) Option {
	return func(o *options) { o.redact = redact }
}

// Middleware assigns each request an id (the client's X-Request-Id when it is
// a sane token, a new one otherwise), echoes it in the response and logs the
// request when it ends.
func Middleware(log zerolog.Logger, opts ...Option) func(http.Handler) http.Handler {
	o := options{redact: func(p string) string { return p }}
	for _, opt := range opts {
		opt(&o)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			e := &Entry{requestID: requestID(r.Header.Get(HeaderRequestID))}
			w.Header().Set(HeaderRequestID, e.requestID)
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, e)))

			e.mu.Lock()
			defer e.mu.Unlock()
			ev := log.Info()
			if sw.status >= 500 {
				ev = log.Warn()
			}
			ev.Str("request_id", e.requestID).
				Str("method", r.Method).
				Str("path", o.redact(r.URL.Path)).
				Int("status", sw.status).
				Dur("duration", time.Since(start)).
				Str("operation", e.operation).
				Int("upstream_calls", e.upstreamCalls).
				Dur("upstream_time", e.upstreamTime).
				Int("upstream_errors", e.upstreamError).
				Msg("request")
		})
	}
}

// requestID keeps a client's id only if it is short and printable, so a
// hostile header cannot forge log lines.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= 64 {
		ok := true
		for _, c := range given {
			if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
