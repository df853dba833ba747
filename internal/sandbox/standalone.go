package sandbox

import (
	"encoding/json"
	"net/http"
)

// CallsPath is where Standalone answers GET with the sandbox's call count,
// {"total": N}: TotalCalls for a client in another process. It lies outside
// /api/v4, so no amoCRM client can mistake it for the API.
const CallsPath = "/_sandbox/calls"

// CallsReport is the body of GET CallsPath.
type CallsReport struct {
	// Total is TotalCalls: every request that reached the emulator since
	// New or the last ResetCalls. Requests to CallsPath are not counted.
	Total int `json:"total"`
}

// Standalone is the handler for a sandbox in a process of its own: the
// emulator, plus GET CallsPath for whoever measures its calls from outside.
// The counter is read-only, so a client takes a difference rather than
// resetting it, and needs no token: it reveals no account data.
func (s *Sandbox) Standalone() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CallsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentJSON)
		_ = json.NewEncoder(w).Encode(CallsReport{Total: s.TotalCalls()})
	})
	// Everything else, including other methods on CallsPath, is the
	// emulator's and is counted as before.
	mux.Handle("/", s)
	return mux
}
