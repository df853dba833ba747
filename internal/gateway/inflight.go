package gateway

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/accesslog"
)

// inflight knows the requests being served, so a shutdown whose drain ends
// before they do can say which ones it cuts.
type inflight struct {
	mu      sync.Mutex
	next    uint64
	flights map[uint64]*flight
}

// flight is one request being served.
type flight struct {
	start        time.Time
	method, path string
	requestID    string
	operation    atomic.Pointer[string]
}

type flightKey struct{}

func newInflight() *inflight { return &inflight{flights: map[uint64]*flight{}} }

// middleware registers each request for as long as its handler runs. It sits
// inside accesslog.Middleware, whose request id it records. A nil tracker
// registers nothing.
func (in *inflight) middleware(next http.Handler) http.Handler {
	if in == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := &flight{start: time.Now(), method: r.Method, path: r.URL.Path, requestID: accesslog.From(r.Context()).RequestID()}
		in.mu.Lock()
		in.next++
		id := in.next
		in.flights[id] = f
		in.mu.Unlock()
		defer func() {
			in.mu.Lock()
			delete(in.flights, id)
			in.mu.Unlock()
		}()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), flightKey{}, f)))
	})
}

// setOperation records the GraphQL operation a request runs.
func setFlightOperation(ctx context.Context, name string) {
	if f, ok := ctx.Value(flightKey{}).(*flight); ok {
		f.operation.Store(&name)
	}
}

// logRemaining logs every request still being served, oldest first, and
// returns how many there were.
func (in *inflight) logRemaining(log zerolog.Logger) int {
	in.mu.Lock()
	fs := make([]*flight, 0, len(in.flights))
	for _, f := range in.flights {
		fs = append(fs, f)
	}
	in.mu.Unlock()
	sort.Slice(fs, func(i, j int) bool { return fs[i].start.Before(fs[j].start) })
	for _, f := range fs {
		op := ""
		if p := f.operation.Load(); p != nil {
			op = *p
		}
		log.Warn().Str("request_id", f.requestID).Str("method", f.method).Str("path", f.path).
			Str("operation", op).Dur("age", time.Since(f.start)).
			Msg("shutdown: the drain ended with this request in flight; its connection is closed")
	}
	return len(fs)
}
