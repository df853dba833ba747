package sandbox

import (
	"net/http"
	"time"
)

// Faults are switches that make the sandbox misbehave like a troubled
// upstream. Phase 1 only carries the latency set by WithLatency; the other
// switches follow.
type Faults struct {
	Latency time.Duration // added to every /api/v4 response
}

// faultState holds the current fault switches.
type faultState struct{ faults Faults }

func (f *faultState) init(latency time.Duration) { f.faults.Latency = latency }
func (f *faultState) resetCount429()             {}

// gate applies the fault switches to one /api/v4 call and reports whether
// it may proceed and whether its body must be mangled.
func (s *Sandbox) gate(w *statusWriter, r *http.Request) (proceed, malformed bool) {
	return true, false
}

// serveMalformed serves a call whose body must be mangled.
func (s *Sandbox) serveMalformed(w *statusWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
