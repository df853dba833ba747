package metrics

import "net/http"

// statusWriter remembers the status a handler answered with. It implements
// http.Flusher because gqlgen's streaming transports assert it directly, and
// Unwrap so http.ResponseController and websocket upgrades reach the
// connection underneath.
type statusWriter struct {
	http.ResponseWriter
	code int
}

// WriteHeader records the final status; informational 1xx answers are not
// final, except 101, after which the connection changes protocol.
func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends buffered data; like Write, it commits a 200 if nothing else was set.
func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is what the client got: net/http answers 200 for a handler that
// wrote nothing.
func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
