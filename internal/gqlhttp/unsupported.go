package gqlhttp

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql"
)

// Unsupported answers every request no transport before it claimed, with a
// coded error instead of gqlgen's bare "transport not supported": 415 for a
// POST whose body is not application/json (a missing Content-Type, text/plain,
// a form, multipart), 405 with an Allow header for any other method. Add it
// last: it supports every request.
type Unsupported struct{}

// Supports claims every request.
func (Unsupported) Supports(*http.Request) bool { return true }

// Do refuses the request.
func (Unsupported) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	mt, ok := negotiate(r.Header["Accept"])
	if !ok {
		mt = mediaJSON // the refusal matters more than the media type it comes in
	}
	if r.Method == http.MethodPost {
		fail(w, r, exec, mt, http.StatusUnsupportedMediaType, "POST bodies must be "+MediaTypeJSON, answerLimits{})
		return
	}
	w.Header().Set("Allow", "GET, POST, OPTIONS")
	fail(w, r, exec, mt, http.StatusMethodNotAllowed, "GraphQL is served over GET and POST only", answerLimits{})
}
