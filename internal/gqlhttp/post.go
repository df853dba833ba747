package gqlhttp

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// POST serves GraphQL requests POSTed as application/json bodies:
// {"query", "operationName", "variables", "extensions"}. Other POSTs are left
// to the next transport (Unsupported answers them with 415).
//
// Answers: 200 with the result once the operation executed; for a document
// that does not parse or validate, or variables that do not coerce, 400
// under application/graphql-response+json and 200 under application/json;
// 400 for a body that is not one JSON object, lacks the query or has a
// parameter of the wrong type; 413 for a body over MaxBodyBytes; 415 for a
// charset other than UTF-8 or a compressed body; 406 when the client accepts
// neither response media type.
type POST struct {
	// MaxBodyBytes limits the request body; a larger body is refused with
	// 413 before it is read in full. Zero means DefaultMaxBodyBytes (1 MiB);
	// there is no unlimited setting.
	MaxBodyBytes int64
	// BodyTimeout bounds the time from the start of Do to the end of the
	// body: a body that is slower is cut, answered 408, and its connection
	// closed. Zero means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxResponseBytes limits the answer: a larger one is replaced by an
	// error coded CodeResponseTooLarge. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// WriteTimeout is how long the client may take to read the answer.
	// Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// Supports claims POSTs whose Content-Type is application/json, whatever its
// parameters.
func (POST) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && isJSON(r.Header.Get("Content-Type"))
}

// paramsPool recycles the decoded request: a POST allocates nothing for it.
var paramsPool = sync.Pool{New: func() any { return new(graphql.RawParams) }}

// Do reads, checks and executes one request.
func (p POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	lim := answerLimits{maxBytes: p.MaxResponseBytes, writeTimeout: p.WriteTimeout}
	bodyTimeout := p.BodyTimeout
	if bodyTimeout <= 0 {
		bodyTimeout = DefaultBodyTimeout
	}
	// The read deadline also bounds net/http's own reading of a body left
	// unread when the request is refused below. A writer without deadlines
	// (a test recorder) reads without one.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	mt, ok := negotiate(r.Header["Accept"])
	if !ok {
		fail(w, r, exec, mediaJSON, http.StatusNotAcceptable, notAcceptable, lim)
		return
	}
	if !utf8Charset(r.Header.Get("Content-Type")) {
		fail(w, r, exec, mt, http.StatusUnsupportedMediaType, "the request body must be UTF-8 encoded JSON", lim)
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		fail(w, r, exec, mt, http.StatusUnsupportedMediaType, "compressed request bodies are not supported", lim)
		return
	}
	limit := p.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		fail(w, r, exec, mt, http.StatusRequestEntityTooLarge, tooLarge(limit), lim)
		return
	}

	params := paramsPool.Get().(*graphql.RawParams)
	defer func() {
		*params = graphql.RawParams{}
		paramsPool.Put(params)
	}()
	start := graphql.Now()
	if status, msg := decodeBody(w, r, limit, params); status != 0 {
		// A body cut by its deadline stays cut: net/http's reading of
		// the rest fails at once and the connection is closed.
		fail(w, r, exec, mt, status, msg, lim)
		return
	}
	// net/http cancels the request's context when a read deadline passes
	// after the body ended (it reads on to notice a client that hangs up),
	// and execution may well take longer than the body did.
	_ = rc.SetReadDeadline(time.Time{})
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, mt, params, false, lim)
}

// decodeBody reads the body, at most limit bytes of it, into params. On
// failure it returns the status and a message that says what is wrong with
// the body without quoting any of it.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, params *graphql.RawParams) (status int, msg string) {
	if r.Body == nil {
		return http.StatusBadRequest, "the request body is empty: send a JSON object with a query"
	}
	// Decoding straight from the stream keeps one copy of the body (the
	// decoder's buffer) instead of two.
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.UseNumber() // keep 2^53+1 and 1.5 exact, for gqlgen's Int and Float coercion
	err := dec.Decode(params)
	if err == nil {
		// One JSON value, then nothing but white space: a second value would
		// be a batch or a smuggled request, and gqlgen runs one operation.
		if _, err = dec.Token(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errTrailing
		}
	}
	if err != nil {
		return bodyError(err, limit)
	}
	if params.Query == "" && !persisted(params.Extensions) {
		return http.StatusBadRequest, "the request has no query: send a JSON object with a non-empty \"query\" string"
	}
	return 0, ""
}

var errTrailing = errors.New("data after the JSON object")

// bodyError turns a decoding error into a status and a fixed message. The
// messages of encoding/json quote pieces of the input, so none is passed on.
func bodyError(err error, limit int64) (int, string) {
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		timeout net.Error
	)
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, tooLarge(limit)
	case errors.As(err, &timeout) && timeout.Timeout():
		return http.StatusRequestTimeout, "the request body was not received in time"
	case err == io.EOF:
		return http.StatusBadRequest, "the request body is empty: send a JSON object with a query"
	case err == errTrailing:
		return http.StatusBadRequest, "the request body must be a single JSON object; batches are not supported"
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, "the request body is not valid JSON"
	case errors.As(err, &typ):
		switch typ.Field {
		case "":
			if typ.Value == "array" {
				return http.StatusBadRequest, "the request body must be a single JSON object; batches are not supported"
			}
			return http.StatusBadRequest, "the request body must be a JSON object"
		case "query":
			return http.StatusBadRequest, "the query parameter must be a string"
		case "operationName":
			return http.StatusBadRequest, "the operationName parameter must be a string or null"
		case "variables":
			return http.StatusBadRequest, "the variables parameter must be a JSON object or null"
		case "extensions":
			return http.StatusBadRequest, "the extensions parameter must be a JSON object or null"
		}
		return http.StatusBadRequest, "the request body has a parameter of the wrong type"
	}
	return http.StatusBadRequest, "the request body could not be read"
}

func tooLarge(limit int64) string {
	return "the request body is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes"
}

// persisted reports whether extensions name a persisted query, which stands
// for a missing query when gqlgen's APQ extension is installed.
func persisted(extensions map[string]any) bool {
	_, ok := extensions["persistedQuery"]
	return ok
}

const notAcceptable = "none of the media types in the Accept header is served: accept " +
	MediaTypeGraphQLResponse + " or " + MediaTypeJSON
