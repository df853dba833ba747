package sandbox

import (
	"net/http"
	"sync"
	"time"
)

// RecordedRequest is one request as the sandbox saw it.
type RecordedRequest struct {
	Method   string
	Route    string // route key as counted by Calls, "" when no route matched
	Path     string
	RawQuery string
	Status   int // 0 while the answer is pending, or when the connection was reset
	At       time.Time
}

// callLog counts and records requests for tests that assert upstream cost.
type callLog struct {
	mu      sync.Mutex
	counts  map[string]int
	total   int
	entries []*RecordedRequest
	max     int
}

func (l *callLog) init(max int) {
	l.counts = map[string]int{}
	l.max = max
}

// begin counts r and appends its record. Counting happens on arrival, not on
// completion: a client may read a large response before the handler returns,
// and a test asserting counts right after must already see its call.
func (l *callLog) begin(r *http.Request, route string, at time.Time) *RecordedRequest {
	e := &RecordedRequest{Method: r.Method, Route: route, Path: r.URL.Path, RawQuery: r.URL.RawQuery, At: at}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if route != "" {
		l.counts[route]++
	}
	l.entries = append(l.entries, e)
	// Trim in bulk once twice the cap is reached, so the cost is amortised.
	if len(l.entries) >= 2*l.max {
		l.entries = append([]*RecordedRequest(nil), l.entries[len(l.entries)-l.max:]...)
	}
	return e
}

func (l *callLog) setStatus(e *RecordedRequest, code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Status == 0 {
		e.Status = code
	}
}

// Calls returns how many requests reached the route since New or the last
// ResetCalls. Route keys are "METHOD pattern" as the upstream documents them,
// e.g. "GET /api/v4/contacts/{id}" or "GET /api/v4/{entity_type}/tags".
func (s *Sandbox) Calls(route string) int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return s.calls.counts[route]
}

// TotalCalls returns how many requests reached ServeHTTP since New or the
// last ResetCalls, whatever they were answered (401s and 429s included).
func (s *Sandbox) TotalCalls() int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return s.calls.total
}

// ResetCalls zeroes the call counters, the request log and Count429.
func (s *Sandbox) ResetCalls() {
	s.calls.mu.Lock()
	s.calls.counts = map[string]int{}
	s.calls.total = 0
	s.calls.entries = nil
	s.calls.mu.Unlock()
	s.faults.resetCount429()
}

// Requests returns the recorded requests in arrival order (at most the
// WithRequestLog cap, newest kept).
func (s *Sandbox) Requests() []RecordedRequest {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	entries := s.calls.entries
	if len(entries) > s.calls.max {
		entries = entries[len(entries)-s.calls.max:]
	}
	out := make([]RecordedRequest, len(entries))
	for i, e := range entries {
		out[i] = *e
	}
	return out
}

// statusWriter notes the status of a response in its RecordedRequest the
// moment the header is written, before any byte reaches the client.
type statusWriter struct {
	http.ResponseWriter
	log     *callLog
	entry   *RecordedRequest
	wrote   bool
	aborted bool // the connection was reset: no status at all
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		w.log.setStatus(w.entry, code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (for ResetConn).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish records the implicit 200 of a handler that wrote nothing.
func (w *statusWriter) finish() {
	if !w.wrote && !w.aborted {
		w.log.setStatus(w.entry, http.StatusOK)
	}
}
