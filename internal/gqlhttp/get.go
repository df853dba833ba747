package gqlhttp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// GET serves queries sent as URL parameters: query, operationName, and
// variables and extensions as URL-encoded JSON objects. Other parameters are
// ignored, so clients may add cache busters.
//
// GET never changes anything: a mutation is refused with 405 and
// "Allow: POST" after validation, before anything runs. The other answers
// are those of POST; the URL's size is bounded by the server's
// MaxHeaderBytes.
type GET struct {
	// MaxResponseBytes limits the answer: a larger one is replaced by an
	// error coded CodeResponseTooLarge. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// WriteTimeout is how long the client may take to read the answer.
	// Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// Supports claims every GET.
func (GET) Supports(r *http.Request) bool { return r.Method == http.MethodGet }

// Do reads, checks and executes one request.
func (g GET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	lim := answerLimits{maxBytes: g.MaxResponseBytes, writeTimeout: g.WriteTimeout}
	// A GET answer may be cached, and its media type and status follow the
	// Accept header. Add, not Set: a CORS layer may have said Vary: Origin.
	w.Header().Add("Vary", "Accept")
	mt, ok := negotiate(r.Header["Accept"])
	if !ok {
		fail(w, r, exec, mediaJSON, http.StatusNotAcceptable, notAcceptable, lim)
		return
	}
	start := graphql.Now()
	params := paramsPool.Get().(*graphql.RawParams)
	defer func() {
		*params = graphql.RawParams{}
		paramsPool.Put(params)
	}()
	params.Headers = r.Header
	if msg := parseQueryString(r.URL.RawQuery, params); msg != "" {
		fail(w, r, exec, mt, http.StatusBadRequest, msg, lim)
		return
	}
	if params.Query == "" && !persisted(params.Extensions) {
		fail(w, r, exec, mt, http.StatusBadRequest, "the request has no query: send it in the query parameter", lim)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, mt, params, true, lim)
}

// parseQueryString reads the GraphQL parameters of a URL query into params.
// It reads only the four parameters it knows, without building url.Values,
// and refuses what url.ParseQuery would (bad escapes, semicolons) as well as
// a parameter given twice, whose meaning would be a guess. It returns a
// message that names the parameter but never quotes a value.
func parseQueryString(raw string, params *graphql.RawParams) string {
	var seen [4]bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return "the URL query is malformed: separate parameters with &, not ;"
		}
		key, value, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(key)
		if err != nil {
			return "the URL query is malformed: a parameter name has a bad %-escape"
		}
		slot := -1
		switch {
		case key == "query":
			slot = 0
		case key == "operationName":
			slot = 1
		case key == "variables":
			slot = 2
		case key == "extensions":
			slot = 3
		}
		if slot < 0 {
			continue
		}
		if seen[slot] {
			return "the " + key + " parameter is given more than once"
		}
		seen[slot] = true
		if value, err = url.QueryUnescape(value); err != nil {
			return "the " + key + " parameter has a bad %-escape"
		}
		switch slot {
		case 0:
			params.Query = value
		case 1:
			params.OperationName = value
		case 2:
			if !decodeObject(value, &params.Variables) {
				return "the variables parameter must be a URL-encoded JSON object"
			}
		case 3:
			if !decodeObject(value, &params.Extensions) {
				return "the extensions parameter must be a URL-encoded JSON object"
			}
		}
	}
	return ""
}

// decodeObject decodes s, a JSON object or null, into dst; an empty s leaves
// dst nil. It refuses anything after the value.
func decodeObject(s string, dst *map[string]any) bool {
	if s == "" {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}
