package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/gqlhttp"
)

// httpAnswer is a raw answer of /query, decoded as far as it is JSON.
type httpAnswer struct {
	status  int
	header  http.Header
	raw     []byte
	hasData bool
	data    json.RawMessage
	errors  []gqlError
}

func (a *httpAnswer) code() string {
	if len(a.errors) == 0 {
		return ""
	}
	c, _ := a.errors[0].Extensions["code"].(string)
	return c
}

// send sends req and decodes the answer, failing the test when it is not a
// GraphQL response whose every error has extensions.code.
func send(t *testing.T, req *http.Request) *httpAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	a := &httpAnswer{status: resp.StatusCode, header: resp.Header}
	if a.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("read answer: %v", err)
	}
	var body struct {
		Data   *json.RawMessage `json:"data"`
		Errors []gqlError       `json:"errors"`
	}
	if err := json.Unmarshal(a.raw, &body); err != nil {
		t.Fatalf("answer is not JSON (status %d): %v: %.300s", a.status, err, a.raw)
	}
	// A JSON null decodes to a nil pointer too: look for the key itself.
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(a.raw, &keys)
	_, a.hasData = keys["data"]
	if body.Data != nil {
		a.data = *body.Data
	}
	a.errors = body.Errors
	for i, e := range a.errors {
		if c, _ := e.Extensions["code"].(string); c == "" {
			t.Errorf("error %d has no extensions.code: %.300s", i, a.raw)
		}
	}
	return a
}

// request builds a request to /query; header holds name, value pairs.
func request(t *testing.T, g *testGateway, method, rawQuery string, body io.Reader, header ...string) *http.Request {
	t.Helper()
	u := g.url + "/query"
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// gqlBody is the JSON body of a GraphQL request.
func gqlBody(query string, vars map[string]any) string {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return string(b)
}

const (
	mediaJSON = "application/json"
	mediaGR   = "application/graphql-response+json"
)

// TestGraphQLOverHTTP pins, through the whole gateway, the answers the
// GraphQL-over-HTTP audit checks (e2e/tests/graphql-http.test.mjs): the
// status of each kind of error under each response media type, and no data
// key in a request error.
//
// The transport tests of this file and hostile_test.go run their subtests in
// parallel, but not beside the package's other tests, whose cost-table and
// rate-budget checks are sensitive to CPU load.
func TestGraphQLOverHTTP(t *testing.T) {
	const (
		ok         = `{ contact(id: 3) { name } }`
		parseError = `{`
		invalid    = `{ contact(id: 3) { nope } }`
		coercion   = `query CoerceFailure($id: ID!) { __typename }`
		tooDeep    = `{ contacts { nodes { companies { contacts { companies { contacts { companies { contacts { companies { contacts { companies { contacts { companies { name } } } } } } } } } } } } } }`
	)
	nullID := map[string]any{"id": nil}
	tests := []struct {
		name       string
		accept     string
		query      string
		vars       map[string]any
		wantStatus int
		wantCT     string
		wantCode   string // "" wants no errors
		wantData   bool   // a data key: the operation executed
	}{
		{"OK/JSON", mediaJSON, ok, nil, 200, mediaJSON, "", true},
		{"OK/GraphQLResponse", mediaGR, ok, nil, 200, mediaGR, "", true},
		{"OK/Any", "*/*", ok, nil, 200, mediaJSON, "", true},
		{"OK/NoAccept", "", ok, nil, 200, mediaJSON, "", true},
		{"OK/ApolloClient4", mediaGR + "," + mediaJSON + ";q=0.9", ok, nil, 200, mediaGR, "", true},
		{"ParseError/JSON", mediaJSON, parseError, nil, 200, mediaJSON, "GRAPHQL_PARSE_FAILED", false},
		{"ParseError/GraphQLResponse", mediaGR, parseError, nil, 400, mediaGR, "GRAPHQL_PARSE_FAILED", false},
		{"ValidationError/JSON", mediaJSON, invalid, nil, 200, mediaJSON, "GRAPHQL_VALIDATION_FAILED", false},
		{"ValidationError/GraphQLResponse", mediaGR, invalid, nil, 400, mediaGR, "GRAPHQL_VALIDATION_FAILED", false},
		{"CoercionError/JSON", mediaJSON, coercion, nullID, 200, mediaJSON, "GRAPHQL_VALIDATION_FAILED", false},
		{"CoercionError/GraphQLResponse", mediaGR, coercion, nullID, 400, mediaGR, "GRAPHQL_VALIDATION_FAILED", false},
		// The depth limit refuses before execution: a request error too.
		{"TooDeep/JSON", mediaJSON, tooDeep, nil, 200, mediaJSON, graph.CodeQueryTooComplex, false},
		{"TooDeep/GraphQLResponse", mediaGR, tooDeep, nil, 400, mediaGR, graph.CodeQueryTooComplex, false},
		// A resolver's error comes once execution started: 200, with data.
		{"ResolverError/GraphQLResponse", mediaGR, `{ contacts(first: 251) { nodes { id } } }`, nil, 200, mediaGR, graph.CodeBadUserInput, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			req := request(t, g, http.MethodPost, "", strings.NewReader(gqlBody(tt.query, tt.vars)), "Content-Type", mediaJSON)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			a := send(t, req)
			if a.status != tt.wantStatus {
				t.Errorf("status = %d, want %d: %s", a.status, tt.wantStatus, a.raw)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantCT) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.wantCT)
			}
			if a.code() != tt.wantCode {
				t.Errorf("code = %q, want %q: %s", a.code(), tt.wantCode, a.raw)
			}
			if a.hasData != tt.wantData {
				t.Errorf("data key present = %v, want %v: %s", a.hasData, tt.wantData, a.raw)
			}
			if n := g.sb.TotalCalls(); tt.wantCode != "" && n != 0 {
				t.Errorf("%d upstream calls, want 0", n)
			}
		})
	}
}

// TestGET_MutationIs405 checks what the specification requires of a mutation
// sent with GET: 405 with Allow: POST, and nothing run.
func TestGET_MutationIs405(t *testing.T) {
	g := startGateway(t, nil)
	for _, q := range []string{
		`mutation { __typename }`,
		`mutation { createContacts(input: [{name: "GET"}]) { contacts { id } } }`,
	} {
		a := send(t, request(t, g, http.MethodGet, "query="+url.QueryEscape(q), nil, "Accept", mediaGR))
		if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != http.MethodPost || a.code() != gqlhttp.CodeBadRequest {
			t.Errorf("%s: status %d, Allow %q, %s", q, a.status, a.header.Get("Allow"), a.raw)
		}
	}
	a := send(t, request(t, g, http.MethodGet, "query="+url.QueryEscape(`{ contact(id: 3) { name } }`), nil))
	if a.status != http.StatusOK || !contains(string(a.data), "Иван Иванов") {
		t.Errorf("GET query: %d %s", a.status, a.raw)
	}
	if n := g.sb.Calls("POST /api/v4/contacts"); n != 0 {
		t.Errorf("a GET mutation created contacts: %d calls", n)
	}
}

// syncBuffer is a log sink the handler's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMalformedBodyIsNotLogged: a malformed body is the client's problem,
// not an internal error, and its content (personal data, tokens) appears
// neither in the answer nor in the log.
func TestMalformedBodyIsNotLogged(t *testing.T) {
	const secret = "Ivan Petrov +7 916 123-45-67"
	var logs syncBuffer
	g := startLogged(t, nil, zerolog.New(&logs).Level(zerolog.DebugLevel))
	for _, body := range []string{
		`{"query":"mutation { createContacts(input: [{name: \"` + secret + `\"}]) { contacts { id } } }"`,
		`{"query": 1, "variables": {"name": "` + secret + `"}}`,
		`[{"query":"{ __typename }","variables":{"name":"` + secret + `"}}]`,
		secret,
	} {
		a := send(t, request(t, g, http.MethodPost, "", strings.NewReader(body), "Content-Type", mediaJSON))
		if a.status != http.StatusBadRequest || a.code() != gqlhttp.CodeBadRequest || bytes.Contains(a.raw, []byte(secret)) {
			t.Errorf("status %d: %s", a.status, a.raw)
		}
	}
	if out := logs.String(); strings.Contains(out, secret) || strings.Contains(out, `"level":"error"`) {
		t.Errorf("the log quotes the body or reports an error:\n%s", out)
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("%d upstream calls, want 0", n)
	}
}
