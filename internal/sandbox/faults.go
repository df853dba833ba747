package sandbox

import (
	"bytes"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Faults are switches that make the sandbox misbehave like a troubled
// upstream, for resilience tests. They apply to /api/v4 calls only (not to
// the OAuth endpoint) and may be flipped at any time, concurrently with
// traffic.
type Faults struct {
	// Latency is added before every /api/v4 response.
	Latency time.Duration
	// Status, if non-zero, answers every /api/v4 call with this status:
	// 403 and 429 with an HTML body (as upstream's nginx does), 204 and 304
	// with none, anything else with problem+json. Values outside 200–599
	// are answered as 500.
	Status int
	// FailNext limits Status, MalformedJSON and ResetConn to the next N
	// calls; 0 means every call while they are set.
	FailNext int
	// MalformedJSON answers 200 with the first half of the real JSON body.
	// The call is executed: a write the client sees fail did happen.
	MalformedJSON bool
	// ResetConn closes the connection (with a TCP reset) without a response.
	// Note that net/http clients retry an idempotent request once when a
	// reused keep-alive connection dies this way.
	ResetConn bool
	// EnforceRPS, if > 0, answers 429 (HTML body, no Retry-After) to a call
	// that would make more than this many accepted calls with the same
	// bearer token within one second (sliding window; the fraction is
	// dropped, minimum 1). Rejected calls do not count towards the window.
	EnforceRPS float64
	// BlockAfter429s, if > 0, blocks the account after this many 429s
	// (counted from the last SetFaults or ClearFaults): every /api/v4 call
	// is then answered 403 with an HTML body until ClearFaults.
	BlockAfter429s int
	// PathStatus fails only the calls it names, so that one relation of a
	// query can fail while the others answer. A key is a path prefix
	// matched on whole segments ("/api/v4/customers" matches
	// /api/v4/customers and /api/v4/customers/1, not /api/v4/customersx),
	// optionally after a method ("PATCH /api/v4/contacts"). The longest
	// matching prefix wins, a key with a method over one without. The
	// answer is problem+json (a 403 too: it is how amoCRM refuses a method
	// the user has no rights to, unlike the account block's HTML), except
	// 429 (HTML, counted by Count429) and 204/304 (no body); values outside
	// 200–599 are answered as 500. PathStatus applies to every matching
	// call, ignoring FailNext, and takes precedence over Status.
	PathStatus map[string]int
}

// faultState is the live state behind the fault switches.
type faultState struct {
	mu       sync.Mutex
	base     time.Duration // WithLatency's value, restored by ClearFaults
	f        Faults
	failLeft int  // calls FailNext still allows to fail
	blocked  bool // BlockAfter429s tripped; only ClearFaults lifts it
	since429 int  // 429s since the last SetFaults / ClearFaults
	count429 int  // 429s since New / ResetCalls, reported by Count429
	windows  map[string][]time.Time
}

func (fs *faultState) init(latency time.Duration) {
	fs.base = latency
	fs.f = Faults{Latency: latency}
	fs.windows = map[string][]time.Time{}
}

func (fs *faultState) resetCount429() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.count429 = 0
}

// SetFaults replaces the fault switches. A block tripped by BlockAfter429s
// stays until ClearFaults, as upstream's stays until support lifts it.
func (s *Sandbox) SetFaults(f Faults) {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.Status = validStatus(f.Status)
	if f.PathStatus != nil {
		paths := make(map[string]int, len(f.PathStatus))
		for k, v := range f.PathStatus {
			paths[k] = validStatus(v)
		}
		f.PathStatus = paths // the caller may go on changing its map
	}
	fs.f = f
	fs.failLeft = f.FailNext
	fs.since429 = 0
	fs.windows = map[string][]time.Time{}
}

// ClearFaults turns every fault off, lifts the account block and restores
// the latency WithLatency set.
func (s *Sandbox) ClearFaults() {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = Faults{Latency: fs.base}
	fs.failLeft = 0
	fs.blocked = false
	fs.since429 = 0
	fs.windows = map[string][]time.Time{}
}

// validStatus maps a forced status outside 200–599 to 500; 0 stays 0.
func validStatus(status int) int {
	if status != 0 && (status < 200 || status > 599) {
		return http.StatusInternalServerError
	}
	return status
}

// Count429 returns how many 429 answers the sandbox gave since New or the
// last ResetCalls (rate limit and Status: 429 alike).
func (s *Sandbox) Count429() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.count429
}

// verdict is what the fault switches decide for one call.
type verdict int

const (
	pass verdict = iota
	blockedAccount
	rateLimited
	forcedStatus
	pathStatus
	resetConn
	malformedBody
)

// decide picks the verdict for call r arriving at now.
func (fs *faultState) decide(r *http.Request, now time.Time) (verdict, int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.f
	if fs.blocked {
		return blockedAccount, http.StatusForbidden
	}
	if f.EnforceRPS > 0 && !fs.admit(bearerToken(r), now, max(1, int(f.EnforceRPS))) {
		fs.note429()
		return rateLimited, http.StatusTooManyRequests
	}
	if status := matchPath(f.PathStatus, r.Method, r.URL.Path); status != 0 {
		if status == http.StatusTooManyRequests {
			fs.note429()
		}
		return pathStatus, status
	}
	if !(f.ResetConn || f.Status != 0 || f.MalformedJSON) || (f.FailNext > 0 && fs.failLeft == 0) {
		return pass, 0
	}
	if f.FailNext > 0 {
		fs.failLeft--
	}
	switch {
	case f.ResetConn:
		return resetConn, 0
	case f.Status != 0:
		if f.Status == http.StatusTooManyRequests {
			fs.note429()
		}
		return forcedStatus, f.Status
	}
	return malformedBody, 0
}

// matchPath returns the status of the PathStatus key that best matches
// method and path, 0 when none does.
func matchPath(keys map[string]int, method, path string) int {
	best, status := -1, 0
	for key, st := range keys {
		m, prefix, hasMethod := strings.Cut(key, " ")
		if !hasMethod {
			m, prefix = "", key
		} else if m != method {
			continue
		}
		if !strings.HasPrefix(path, prefix) ||
			(len(path) > len(prefix) && !strings.HasSuffix(prefix, "/") && path[len(prefix)] != '/') {
			continue
		}
		score := 2 * len(prefix)
		if hasMethod {
			score++
		}
		if score > best {
			best, status = score, st
		}
	}
	return status
}

// admit records a call in its token's one-second window unless the window
// already holds limit calls. The caller holds fs.mu.
func (fs *faultState) admit(token string, now time.Time, limit int) bool {
	window := fs.windows[token]
	cut := 0
	for cut < len(window) && !window[cut].After(now.Add(-time.Second)) {
		cut++
	}
	window = window[cut:]
	if len(window) >= limit {
		fs.windows[token] = window
		return false
	}
	// Calls are decided in about the order they arrived, not exactly: keep
	// the window sorted by arrival.
	i, _ := slices.BinarySearchFunc(window, now, time.Time.Compare)
	fs.windows[token] = slices.Insert(window, i, now)
	return true
}

// note429 counts a 429 and trips the block when BlockAfter429s is reached.
// The caller holds fs.mu.
func (fs *faultState) note429() {
	fs.count429++
	fs.since429++
	if fs.f.BlockAfter429s > 0 && fs.since429 >= fs.f.BlockAfter429s {
		fs.blocked = true
	}
}

func (fs *faultState) latency() time.Duration {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f.Latency
}

// gate applies the fault switches to one /api/v4 call. It reports whether
// the call may proceed and whether its body must be mangled.
func (s *Sandbox) gate(w *statusWriter, r *http.Request) (proceed, malformed bool) {
	// The verdict is taken on arrival, as amoCRM counts a call against
	// its rate limit when the call arrives, not when it is answered;
	// the latency comes after. Arrival is the time the call was recorded
	// at, so the limit and the request log agree even when this handler
	// gets the CPU late.
	v, status := s.faults.decide(r, w.entry.At)
	if d := s.faults.latency(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			w.aborted = true // the client is gone; nobody reads an answer
			return false, false
		}
	}
	switch v {
	case blockedAccount, rateLimited:
		writeHTML(w, status)
	case forcedStatus:
		writeFault(w, status)
	case pathStatus:
		writePathFault(w, status)
	case resetConn:
		abort(w)
	case malformedBody:
		return true, true
	default:
		return true, false
	}
	return false, false
}

// writeFault answers a forced status the way upstream answers it.
func writeFault(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusForbidden, http.StatusTooManyRequests:
		writeHTML(w, status)
	case http.StatusNoContent, http.StatusNotModified:
		w.WriteHeader(status)
	default:
		writeProblem(w, status, "Injected fault")
	}
}

// writePathFault answers a PathStatus fault: like writeFault, except that
// a 403 is upstream's JSON refusal of one method rather than the HTML page
// of a blocked account.
func writePathFault(w http.ResponseWriter, status int) {
	if status == http.StatusForbidden {
		writeProblem(w, status, "Injected fault: access denied")
		return
	}
	writeFault(w, status)
}

// abort drops the connection without an answer, with a TCP reset where
// possible. Connections that cannot be hijacked (HTTP/2) are aborted with
// http.ErrAbortHandler, which net/http handles silently.
func abort(w *statusWriter) {
	w.aborted = true
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// serveMalformed serves the call, then answers 200 with the first half of
// the body it produced (a fixed fragment when it produced too little).
func (s *Sandbox) serveMalformed(w *statusWriter, r *http.Request) {
	bw := &bufferWriter{header: http.Header{}}
	s.mux.ServeHTTP(bw, r)
	body := bw.body.Bytes()
	if len(body) < 4 {
		body = []byte(`{"_embedded":{"items":[{"id":`)
	} else {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", contentHAL)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// bufferWriter captures a handler's answer for serveMalformed.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferWriter) WriteHeader(int)             {}
