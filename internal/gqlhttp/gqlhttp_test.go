package gqlhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/internal/gqlhttp"
)

// secret stands for personal data in a request: no answer may quote it.
const secret = "Ivan-Petrov-79161234567"

const testSDL = `
type Query {
  hello: String!
  echo(s: String!): String!
  n(i: Int!): Int!
}
type Mutation { bump: Int! }
`

// testServer is gqlgen's handler over a hand-written executable schema (no
// codegen), with this package's transports wired as the gateway wires them.
type testServer struct {
	http.Handler
	executed atomic.Int32 // operations that reached the schema
}

func newTestServer(t testing.TB, post gqlhttp.POST) *testServer {
	t.Helper()
	return newServerWith(transport.Options{}, gqlhttp.GET{}, post, gqlhttp.Unsupported{})
}

// newServerWith builds the test server with the given transports, in order.
func newServerWith(transports ...graphql.Transport) *testServer {
	ts := &testServer{}
	srv := handler.New(newSchema(&ts.executed))
	srv.SetQueryCache(lru.New[*ast.QueryDocument](100)) // as the gateway does
	for _, tr := range transports {
		srv.AddTransport(tr)
	}
	ts.Handler = srv
	return ts
}

// newSchema is the executable test schema; executed counts the operations
// that reach it.
func newSchema(executed *atomic.Int32) graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) {
			return 1, true
		},
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			executed.Add(1)
			return graphql.OneShot(&graphql.Response{Data: resolve(graphql.GetOperationContext(ctx))})
		},
	}
}

// resolve answers the root fields of the test schema.
func resolve(op *graphql.OperationContext) json.RawMessage {
	out := map[string]any{}
	for _, sel := range op.Operation.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		args := f.ArgumentMap(op.Variables)
		switch f.Name {
		case "__typename":
			out[f.Alias] = map[ast.Operation]string{ast.Query: "Query", ast.Mutation: "Mutation"}[op.Operation.Operation]
		case "hello":
			out[f.Alias] = "world"
		case "echo":
			out[f.Alias] = args["s"]
		case "n":
			out[f.Alias] = args["i"]
		case "bump":
			out[f.Alias] = 1
		}
	}
	data, _ := json.Marshal(out)
	return data
}

type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]json.RawMessage
	errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
}

func (a *answer) hasData() bool { _, ok := a.body["data"]; return ok }

func (a *answer) code() string {
	if len(a.errors) == 0 {
		return ""
	}
	c, _ := a.errors[0].Extensions["code"].(string)
	return c
}

func serve(t *testing.T, h http.Handler, r *http.Request) *answer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	a := &answer{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %q", err, a.raw)
	}
	if e, ok := a.body["errors"]; ok {
		if err := json.Unmarshal(e, &a.errors); err != nil {
			t.Fatalf("errors: %v", err)
		}
	}
	for i, e := range a.errors {
		if c, _ := e.Extensions["code"].(string); c == "" {
			t.Errorf("error %d has no extensions.code: %s", i, a.raw)
		}
	}
	return a
}

const (
	ctJSON = "application/json; charset=utf-8"
	ctGR   = "application/graphql-response+json; charset=utf-8"
	accGR  = "application/graphql-response+json"
	accJS  = "application/json"
)

func TestPOST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string // "" sends none
		accept      string // "" sends none
		body        string
		extra       func(*http.Request)

		wantStatus int
		wantCT     string // "" skips the check
		wantCode   string // "" wants no errors
		wantData   bool
		wantExec   bool
	}{
		{name: "OK/JSON", accept: accJS, body: `{"query":"{hello}"}`, wantStatus: 200, wantCT: ctJSON, wantData: true, wantExec: true},
		{name: "OK/GraphQLResponse", accept: accGR, body: `{"query":"{hello}"}`, wantStatus: 200, wantCT: ctGR, wantData: true, wantExec: true},
		{name: "OK/NoAccept", body: `{"query":"{hello}"}`, wantStatus: 200, wantCT: ctJSON, wantData: true, wantExec: true},
		{name: "OK/AcceptAny", accept: "*/*", body: `{"query":"{hello}"}`, wantStatus: 200, wantCT: ctJSON, wantData: true, wantExec: true},
		{name: "OK/AcceptBothPrefersGraphQLResponse", accept: accGR + ", " + accJS, body: `{"query":"{hello}"}`, wantStatus: 200, wantCT: ctGR, wantData: true, wantExec: true},
		{name: "OK/AcceptBothHigherQForJSON", accept: accGR + ";q=0.5, " + accJS, body: `{"query":"{hello}"}`, wantStatus: 200, wantCT: ctJSON, wantData: true, wantExec: true},
		{name: "OK/CharsetUTF8", contentType: "application/json; charset=UTF-8", body: `{"query":"{echo(s:\"Run🏃\")}"}`, wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/NullParameters", body: `{"query":"{hello}","variables":null,"operationName":null,"extensions":null}`, wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/Variables", body: `{"query":"query Q($s:String!,$i:Int!){echo(s:$s) n(i:$i)}","variables":{"s":"x","i":9007199254740993}}`, wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/OperationName", body: `{"query":"query A{hello} query B{hello}","operationName":"B"}`, wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/Mutation", body: `{"query":"mutation{bump}"}`, wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/TrailingWhiteSpace", body: "{\"query\":\"{hello}\"}\n\t ", wantStatus: 200, wantData: true, wantExec: true},

		{name: "ParseError/JSON", accept: accJS, body: `{"query":"{"}`, wantStatus: 200, wantCT: ctJSON, wantCode: "GRAPHQL_PARSE_FAILED"},
		{name: "ParseError/GraphQLResponse", accept: accGR, body: `{"query":"{"}`, wantStatus: 400, wantCT: ctGR, wantCode: "GRAPHQL_PARSE_FAILED"},
		{name: "ValidationError/JSON", accept: accJS, body: `{"query":"{nope}"}`, wantStatus: 200, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "ValidationError/GraphQLResponse", accept: accGR, body: `{"query":"{nope}"}`, wantStatus: 400, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "CoercionError/JSON", accept: accJS, body: `{"query":"query($i:Int!){n(i:$i)}","variables":{"i":1.5}}`, wantStatus: 200, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "CoercionError/GraphQLResponse", accept: accGR, body: `{"query":"query($i:Int!){n(i:$i)}","variables":{"i":null}}`, wantStatus: 400, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "UnknownOperationName", accept: accGR, body: `{"query":"query A{hello}","operationName":"B"}`, wantStatus: 400, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "SeveralOperationsNoName", accept: accGR, body: `{"query":"query A{hello} query B{hello}"}`, wantStatus: 400, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		// With no query, a persisted-query hash goes to the executor, where
		// gqlgen's APQ extension (absent here) would look it up.
		{name: "PersistedQueryWithoutQuery", accept: accGR, body: `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`, wantStatus: 400, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "EmptyDocument", accept: accGR, body: `{"query":"# ` + secret + `"}`, wantStatus: 400},

		{name: "MalformedJSON", accept: accJS, body: `{"query":"{hello}", "name": "` + secret, wantStatus: 400, wantCT: ctJSON, wantCode: gqlhttp.CodeBadRequest},
		{name: "MalformedJSON/GraphQLResponse", accept: accGR, body: `{ "not a JSON ` + secret, wantStatus: 400, wantCT: ctGR, wantCode: gqlhttp.CodeBadRequest},
		{name: "NotJSONAtAll", body: secret, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "EmptyBody", body: "", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "BatchArray", body: `[{"query":"{hello}"},{"query":"{hello}"}]`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "TwoObjects", body: `{"query":"{hello}"}{"query":"mutation{bump}"}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "TrailingGarbage", body: `{"query":"{hello}"} ` + secret, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "BodyString", body: `"` + secret + `"`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "MissingQuery", accept: accGR, body: `{"qeury":"{hello}"}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "NullQuery", body: `{"query":null}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "EmptyQuery", body: `{"query":""}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "QueryObject", body: `{"query":{"obj":"` + secret + `"}}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "QueryNumber", body: `{"query":0}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "QueryArray", body: `{"query":["{hello}"]}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "OperationNameNumber", body: `{"query":"{hello}","operationName":0}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "OperationNameFalse", body: `{"query":"{hello}","operationName":false}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "VariablesString", body: `{"query":"{hello}","variables":"` + secret + `"}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "VariablesArray", body: `{"query":"{hello}","variables":["x"]}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "ExtensionsNumber", body: `{"query":"{hello}","extensions":0}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},

		{name: "NotAcceptable", accept: "text/html", body: `{"query":"{hello}"}`, wantStatus: 406, wantCT: ctJSON, wantCode: gqlhttp.CodeBadRequest},
		{name: "NotAcceptable/JSONQZero", accept: accJS + ";q=0", body: `{"query":"{hello}"}`, wantStatus: 406, wantCode: gqlhttp.CodeBadRequest},
		{name: "CharsetLatin1", contentType: "application/json; charset=latin1", body: `{"query":"{hello}"}`, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "Gzip", body: `{"query":"{hello}"}`, extra: func(r *http.Request) { r.Header.Set("Content-Encoding", "gzip") }, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "TextPlain", contentType: "text/plain", body: `{"query":"{hello}"}`, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "Form", contentType: "application/x-www-form-urlencoded", body: `query=%7Bhello%7D`, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "Multipart", contentType: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--\r\n", wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "GraphQLBody", contentType: "application/graphql", body: `{hello}`, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "NoContentType", contentType: "-", body: `{"query":"{hello}"}`, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
	}
	srv := newTestServer(t, gqlhttp.POST{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/query", strings.NewReader(tt.body))
			switch tt.contentType {
			case "":
				r.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				r.Header.Set("Content-Type", tt.contentType)
			}
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			if tt.extra != nil {
				tt.extra(r)
			}
			before := srv.executed.Load()
			a := serve(t, srv, r)
			check(t, a, tt.wantStatus, tt.wantCT, tt.wantCode, tt.wantData)
			if tt.wantCode == "" && tt.wantStatus == 200 && len(a.errors) > 0 {
				t.Errorf("unexpected errors: %s", a.raw)
			}
			// Other subtests run in parallel: only "did not execute" is
			// exact; "executed" is checked as "the counter moved".
			if ran := srv.executed.Load() != before; tt.wantExec && !ran {
				t.Errorf("the operation did not execute")
			}
		})
	}
}

func check(t *testing.T, a *answer, status int, ct, code string, data bool) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d; body %s", a.status, status, a.raw)
	}
	if ct != "" && a.header.Get("Content-Type") != ct {
		t.Errorf("Content-Type = %q, want %q", a.header.Get("Content-Type"), ct)
	}
	if code != "" && a.code() != code {
		t.Errorf("code = %q, want %q; body %s", a.code(), code, a.raw)
	}
	if a.hasData() != data {
		t.Errorf("data key present = %v, want %v; body %s", a.hasData(), data, a.raw)
	}
	if !data && len(a.errors) == 0 {
		t.Errorf("an answer without data needs errors: %s", a.raw)
	}
	if strings.Contains(a.raw, secret) {
		t.Errorf("the answer quotes the request: %s", a.raw)
	}
}

func TestPOST_MaxBodyBytes(t *testing.T) {
	t.Parallel()
	big := `{"query":"{hello}","variables":{"pad":"` + strings.Repeat("x", 2048) + `"}}`
	tests := []struct {
		name       string
		limit      int64
		body       string
		chunked    bool // hide the Content-Length, so the limit bites while reading
		wantStatus int
	}{
		{name: "UnderLimit", limit: 4096, body: big, wantStatus: 200},
		{name: "ExactlyAtLimit", limit: int64(len(big)), body: big, wantStatus: 200},
		{name: "OverByContentLength", limit: 1024, body: big, wantStatus: 413},
		{name: "OverWhileReading", limit: 1024, body: big, chunked: true, wantStatus: 413},
		{name: "DefaultLimit", body: `{"query":"{hello}","x":"` + strings.Repeat("y", gqlhttp.DefaultMaxBodyBytes) + `"}`, chunked: true, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, gqlhttp.POST{MaxBodyBytes: tt.limit})
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // not a type NewRequest can measure
			}
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/query", body)
			if tt.chunked {
				r.ContentLength = -1
			}
			r.Header.Set("Content-Type", "application/json")
			a := serve(t, srv, r)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %.300s", a.status, tt.wantStatus, a.raw)
			}
			if tt.wantStatus == 413 {
				check(t, a, 413, ctJSON, gqlhttp.CodeBadRequest, false)
				if srv.executed.Load() != 0 {
					t.Error("an oversize request executed")
				}
			}
		})
	}
}

func TestGET(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		query  string // the raw URL query
		accept string

		wantStatus int
		wantCode   string
		wantData   bool
		wantAllow  string
		wantExec   bool
	}{
		{name: "OK", query: "query=%7Bhello%7D", wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/PlusAsSpace", query: "query=query+Q%7Bhello%7D", wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/Variables", query: "query=query+Q(%24s%3AString!)%7Becho(s%3A%24s)%7D&variables=%7B%22s%22%3A%22x%22%7D", accept: accGR, wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/OperationNameAndCacheBuster", query: "query=query+A%7Bhello%7D+query+B%7Bhello%7D&operationName=B&_=123", wantStatus: 200, wantData: true, wantExec: true},
		{name: "OK/EmptyVariables", query: "query=%7Bhello%7D&variables=&extensions=", wantStatus: 200, wantData: true, wantExec: true},
		{name: "Mutation", query: "query=mutation%7Bbump%7D", accept: accGR, wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "POST"},
		{name: "Mutation/JSON", query: "query=mutation%7Bbump%7D", accept: accJS, wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "POST"},
		{name: "MutationChosenByOperationName", query: "query=query+A%7Bhello%7D+mutation+B%7Bbump%7D&operationName=B", wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "POST"},
		{name: "NoQuery", query: "", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "QueryTwice", query: "query=%7Bhello%7D&query=mutation%7Bbump%7D", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "Semicolon", query: "query=%7Bhello%7D;x=1", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "BadEscape", query: "query=%7Bhello%ZZ" + secret, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "VariablesNotJSON", query: "query=%7Bhello%7D&variables=" + secret, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "VariablesArray", query: "query=%7Bhello%7D&variables=%5B1%5D", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "VariablesTrailing", query: "query=%7Bhello%7D&variables=%7B%7D%7B%7D", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "ExtensionsString", query: "query=%7Bhello%7D&extensions=%22x%22", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "ParseError/JSON", query: "query=%7B", accept: accJS, wantStatus: 200, wantCode: "GRAPHQL_PARSE_FAILED"},
		{name: "ParseError/GraphQLResponse", query: "query=%7B", accept: accGR, wantStatus: 400, wantCode: "GRAPHQL_PARSE_FAILED"},
		{name: "NotAcceptable", query: "query=%7Bhello%7D", accept: "image/png", wantStatus: 406, wantCode: gqlhttp.CodeBadRequest},
	}
	srv := newTestServer(t, gqlhttp.POST{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/query?"+tt.query, nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			before := srv.executed.Load()
			a := serve(t, srv, r)
			check(t, a, tt.wantStatus, "", tt.wantCode, tt.wantData)
			if got := a.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if got := a.header.Values("Vary"); !slices.Contains(got, "Accept") {
				t.Errorf("Vary = %q, want Accept", got)
			}
			if ran := srv.executed.Load() != before; tt.wantExec && !ran {
				t.Errorf("the operation did not execute")
			}
		})
	}
}

// TestGET_MutationNeverExecutes runs alone, so the counter is exact.
func TestGET_MutationNeverExecutes(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, gqlhttp.POST{})
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/query?query=mutation%7Bbump%7D", nil)
	check(t, serve(t, srv, r), 405, "", gqlhttp.CodeBadRequest, false)
	if n := srv.executed.Load(); n != 0 {
		t.Errorf("executed %d operations, want 0", n)
	}
}

func TestUnsupportedMethods(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, gqlhttp.POST{})
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, "PROPFIND"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), method, "/query", strings.NewReader(`{"query":"{hello}"}`))
			r.Header.Set("Content-Type", "application/json")
			a := serve(t, srv, r)
			check(t, a, 405, ctJSON, gqlhttp.CodeBadRequest, false)
			if got := a.header.Get("Allow"); got != "GET, POST, OPTIONS" {
				t.Errorf("Allow = %q", got)
			}
		})
	}
}

// TestUnencodableResponse: a response JSON cannot represent becomes a coded
// 500, not a 200 with a truncated body.
func TestUnencodableResponse(t *testing.T) {
	t.Parallel()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	srv := handler.New(&graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: json.RawMessage(`{"hello":`)})
		},
	})
	srv.AddTransport(gqlhttp.POST{})
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/query", strings.NewReader(`{"query":"{hello}"}`))
	r.Header.Set("Content-Type", "application/json")
	check(t, serve(t, srv, r), http.StatusInternalServerError, ctJSON, "INTERNAL", false)
}
