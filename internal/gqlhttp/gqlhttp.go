// Package gqlhttp serves GraphQL over HTTP as the GraphQL-over-HTTP
// specification describes it (https://graphql.github.io/graphql-over-http/draft/),
// as gqlgen transports: POST with a JSON body, GET with URL parameters, and a
// catch-all that answers every other request with a coded error.
//
// It replaces gqlgen's transport.POST and transport.GET, which answer 422
// where the specification wants 200 or 400, send "data": null with request
// errors, answer 406 to a mutation sent with GET, and echo a malformed body in
// the error message (bodies carry personal data). Here every error object has
// extensions.code: gqlgen's GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED
// for documents that do not parse or validate, and CodeBadRequest for problems
// with the HTTP request itself, whose messages never quote the request.
//
// It also bounds what one request may cost the process: the time its body
// may take to arrive (POST.BodyTimeout) and its answer to be read
// (WriteTimeout), the size of the answer (MaxResponseBytes), and, through
// ValidationRules and RepeatLimit, the work and the errors of validating its
// document.
//
// Wire the transports in this order; gqlgen gives a request to the first
// transport that supports it, and Unsupported supports everything:
//
//	srv := handler.New(schema)
//	srv.AddTransport(transport.Options{})
//	srv.AddTransport(gqlhttp.GET{})
//	srv.AddTransport(gqlhttp.POST{MaxBodyBytes: gqlhttp.DefaultMaxBodyBytes})
//	srv.AddTransport(gqlhttp.Unsupported{})
package gqlhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeBadRequest is the extensions.code of an error in the HTTP request
// itself (a body that is not JSON, a missing query, an unsupported method or
// media type), as opposed to an error in the GraphQL document, which keeps
// gqlgen's GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED.
const CodeBadRequest = "BAD_REQUEST"

// CodeResponseTooLarge is the extensions.code of an answer refused because
// its body would be larger than the transport's MaxResponseBytes.
const CodeResponseTooLarge = "RESPONSE_TOO_LARGE"

// DefaultMaxResponseBytes is the answer size limit when MaxResponseBytes is
// zero: 16 MiB is several times the largest answer the gateway's call budget
// can produce (30 amoCRM pages of 250 items), and a bound on what one
// request can make the process hold.
const DefaultMaxResponseBytes = 16 << 20

// DefaultWriteTimeout is how long a client may take to read an answer when
// WriteTimeout is zero. A client that never reads would otherwise hold its
// answer, and the goroutine writing it, for as long as the connection lives.
const DefaultWriteTimeout = 30 * time.Second

// DefaultBodyTimeout is how long reading a request body may take when
// BodyTimeout is zero: a body sent a byte at a time would otherwise hold its
// connection and goroutine for as long as the client likes.
const DefaultBodyTimeout = 15 * time.Second

// DefaultMaxBodyBytes is the request body limit of a POST whose MaxBodyBytes
// is zero: 1 MiB holds any query a client writes by hand or generates, and a
// batch of 250 contacts with their custom fields, with room to spare.
const DefaultMaxBodyBytes = 1 << 20

// The media types of requests and responses.
const (
	MediaTypeJSON            = "application/json"
	MediaTypeGraphQLResponse = "application/graphql-response+json"
)

var (
	_ graphql.Transport = POST{}
	_ graphql.Transport = GET{}
	_ graphql.Transport = Unsupported{}
)

// execute runs params through gqlgen's executor and writes the answer with
// the status the specification gives each media type. Errors raised before
// execution (parse, validation, variable coercion, operation not found) are
// request errors: 400 under application/graphql-response+json, 200 under
// application/json, and in both without a data key, which the GraphQL spec
// reserves for responses of an operation that started. queriesOnly refuses
// any other operation with 405, after validation and before execution.
func execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, mt mediaType, params *graphql.RawParams, queriesOnly bool, lim answerLimits) {
	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		explainOperationName(opCtx, params, errs)
		codeRequestErrors(errs)
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		status := http.StatusOK
		if mt == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		write(w, mt, status, requestErrors{Errors: resp.Errors, Extensions: resp.Extensions}, lim)
		return
	}
	if queriesOnly && opCtx.Operation.Operation != ast.Query {
		// The specification requires 405 here, with the method that would work.
		w.Header().Set("Allow", http.MethodPost)
		fail(w, r, exec, mt, http.StatusMethodNotAllowed, "GET runs queries only: send "+string(opCtx.Operation.Operation)+"s with POST", lim)
		return
	}
	ctx, fin := withFinal(ctx)
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		// The executor produced nothing: the client went away, or the
		// operation was a subscription, which this transport cannot stream.
		err := ctx.Err()
		if err == nil {
			err = errNoResponse
		}
		resp = exec.DispatchError(ctx, gqlerror.List{gqlerror.Wrap(err)})
	}
	if max := lim.maxResponse(); int64(len(resp.Data)) > max {
		// Refused before encoding, so the oversized answer is never copied.
		resp = exec.DispatchError(ctx, gqlerror.List{responseTooLarge(max)})
	}
	if fin.is(resp.Data) {
		write(w, mt, http.StatusOK, finalResponse{resp}, lim)
		return
	}
	write(w, mt, http.StatusOK, resp, lim)
}

// answerLimits bound what writing one answer may cost.
type answerLimits struct {
	maxBytes     int64
	writeTimeout time.Duration
}

func (l answerLimits) maxResponse() int64 {
	if l.maxBytes <= 0 {
		return DefaultMaxResponseBytes
	}
	return l.maxBytes
}

func responseTooLarge(max int64) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "the answer is larger than the limit of " + strconv.FormatInt(max, 10) + " bytes: select fewer fields or items",
		Extensions: map[string]any{"code": CodeResponseTooLarge},
	}
}

// codeRequestErrors gives CodeBadRequest to the errors raised before
// execution that came without a code: gqlgen's persisted-query extension
// raises "provided APQ hash does not match query", "unsupported APQ version"
// and "invalid APQ extension data" uncoded, and the error presenter would
// hide such an error as INTERNAL although the client can fix it. Apollo's
// protocol answers these as BAD_REQUEST too.
func codeRequestErrors(errs gqlerror.List) {
	for _, e := range errs {
		if e == nil {
			continue
		}
		if _, ok := e.Extensions["code"]; ok {
			continue
		}
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = CodeBadRequest
	}
}

// explainOperationName rewrites gqlgen's "operation X not found", which
// reads oddly when no name was given and quotes the request when one was.
func explainOperationName(opCtx *graphql.OperationContext, params *graphql.RawParams, errs gqlerror.List) {
	if opCtx == nil || opCtx.Doc == nil || opCtx.Operation != nil || len(errs) != 1 {
		return
	}
	if params.OperationName == "" {
		errs[0].Message = "the document holds " + strconv.Itoa(len(opCtx.Doc.Operations)) +
			" operations: name the one to run in operationName"
		return
	}
	errs[0].Message = "operationName matches no operation in the document"
}

var errNoResponse = errors.New("the operation produced no response")

// requestErrors is the body of a request error: errors and extensions, but no
// data key (graphql.Response always writes one).
type requestErrors struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// fail answers a problem with the HTTP request, before any GraphQL work. The
// error still passes through the executor's error presenter and response
// interceptors, so it is shaped like every other error of the server. msg is
// a fixed text: it must never quote the request, whose body and parameters
// may carry personal data.
func fail(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, mt mediaType, status int, msg string, lim answerLimits) {
	err := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadRequest}}
	resp := exec.DispatchError(r.Context(), gqlerror.List{err})
	write(w, mt, status, requestErrors{Errors: resp.Errors, Extensions: resp.Extensions}, lim)
}

// bufPool recycles response buffers with their encoders. A body is encoded
// in full before the status line goes out, so an encoding failure can still
// become a 500, and the answer carries a Content-Length instead of being
// chunked.
var bufPool = sync.Pool{New: func() any {
	b := new(responseBuffer)
	b.enc = json.NewEncoder(&b.Buffer)
	return b
}}

type responseBuffer struct {
	bytes.Buffer
	enc *json.Encoder
}

// maxPooledBuffer keeps one huge answer from pinning its buffer for good.
const maxPooledBuffer = 1 << 20

// encodeFailure is sent when a response cannot be encoded: a resolver or an
// extension put a value into it that JSON cannot represent.
const encodeFailure = `{"errors":[{"message":"internal error: the response could not be encoded","extensions":{"code":"INTERNAL"}}]}` + "\n"

// write sends v as the JSON body of an answer of media type mt, within the
// limits: a body over lim's size is replaced by a coded error, and the client
// has lim's write timeout to take the answer.
func write(w http.ResponseWriter, mt mediaType, status int, v any, lim answerLimits) {
	buf := bufPool.Get().(*responseBuffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	var err error
	switch r := v.(type) {
	case *graphql.Response:
		err = encodeResponse(&buf.Buffer, r, false)
	case finalResponse:
		err = encodeResponse(&buf.Buffer, r.Response, true)
	default:
		err = buf.enc.Encode(v)
	}
	if err != nil {
		buf.Reset()
		buf.WriteString(encodeFailure)
		status = http.StatusInternalServerError
	}
	if max := lim.maxResponse(); int64(buf.Len()) > max {
		// Errors alone made it this large: execution errors are not
		// bounded by the data limit execute checks.
		buf.Reset()
		errs := gqlerror.List{responseTooLarge(max)}
		switch v.(type) {
		case *graphql.Response, finalResponse:
			_ = buf.enc.Encode(&graphql.Response{Errors: errs}) // with "data": null
		default:
			_ = buf.enc.Encode(requestErrors{Errors: errs})
		}
	}
	h := w.Header()
	h.Set("Content-Type", mt.contentType())
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	timeout := lim.writeTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	// The deadline is the connection's: it is lifted once the answer is
	// flushed, so the next request on a kept-alive connection starts clean.
	// A writer that cannot take deadlines (a test recorder) is written to
	// without one.
	rc := http.NewResponseController(w)
	deadline := rc.SetWriteDeadline(time.Now().Add(timeout)) == nil
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err == nil && deadline {
		if rc.Flush() == nil {
			_ = rc.SetWriteDeadline(time.Time{})
		}
	}
}
