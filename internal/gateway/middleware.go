package gateway

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"

	"github.com/amogql/amogql/internal/metrics"
)

// writeError answers a request refused before GraphQL execution with a
// GraphQL-shaped body, so clients read every refusal the same way.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// requireAPIKey refuses requests without one of keys in X-API-Key. Every key
// is compared in constant time, so response timing does not reveal how much
// of a guess was right. With no keys configured it lets everything through.
func requireAPIKey(keys []string, m *metrics.Metrics) func(http.Handler) http.Handler {
	encoded := make([][]byte, len(keys))
	for i, k := range keys {
		encoded[i] = []byte(k)
	}
	return func(next http.Handler) http.Handler {
		if len(keys) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			given := []byte(r.Header.Get("X-API-Key"))
			ok := 0
			for _, k := range encoded {
				ok |= subtle.ConstantTimeCompare(given, k)
			}
			if ok != 1 {
				refuseUnread(w)
				m.ObserveRejected("unauthenticated")
				w.Header().Set("WWW-Authenticate", `APIKey header="X-API-Key"`)
				writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing or invalid X-API-Key")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limitBody refuses a request whose declared length is over the limit
// before anything else reads it, and counts the refusal. Bodies without a
// declared length are held to the same limit while gqlhttp.POST reads them.
func limitBody(n int64, m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				refuseUnread(w)
				m.ObserveRejected("body_too_large")
				writeError(w, http.StatusRequestEntityTooLarge, "BAD_REQUEST", "request body too large")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// refuseUnread makes sure a refused request's body is never read: after a
// handler, net/http reads up to 256 KB of an unread body to keep the
// connection, and waits for it as long as the client takes, so a client
// without a key could hold a connection by trickling a body. An expired read
// deadline makes that read fail at once, and the connection is closed.
func refuseUnread(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// bodyDeadline bounds the time any route may spend receiving a request body
// (the body its handler reads, or the rest that net/http reads after it).
// gqlhttp.POST sets a deadline of its own and lifts it once the body is in.
// Requests without a body get none: net/http cancels a request's context
// when a read deadline passes, and a GET /query may run long.
func bodyDeadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength != 0 {
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limitCalls gives each request its budget of upstream calls.
func limitCalls(max int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b := &budget{max: int32(max)}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), budgetKey{}, b)))
		})
	}
}
