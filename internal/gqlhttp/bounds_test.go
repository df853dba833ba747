package gqlhttp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amogql/amogql/internal/gqlhttp"
)

// TestValidationBounds: documents that validation would answer with
// thousands of errors get a short list, or are refused before validation.
func TestValidationBounds(t *testing.T) {
	t.Parallel()
	repeat := func(s string, n int) string { return strings.Repeat(s, n) }
	numbered := func(format string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, format, i)
		}
		return b.String()
	}
	cases := []struct {
		name      string
		query     string
		wantCode  string
		maxErrors int
		wantIn    string // a text the first error must contain
	}{
		// Each "a: hello" conflicts with each "a: n(i: 1)": 300×300 pairs.
		{"RepeatedAlias", "{ " + repeat("a: hello a: n(i: 1) ", 300) + "}", "GRAPHQL_VALIDATION_FAILED", 1, `"a"`},
		{"RepeatedAliasInInlineFragments", "{ " + repeat("... on Query { a: hello } ... on Query { a: n(i: 1) } ", 40) + "}", "GRAPHQL_VALIDATION_FAILED", 1, `"a"`},
		{"RepeatedAliasInFragments", "{ " + numbered("...F%d ", 40) + "}" + numbered("fragment F%d on Query { a: hello }", 40), "GRAPHQL_VALIDATION_FAILED", 1, `"a"`},
		{"FragmentCycleIsLeftToValidation", "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", "GRAPHQL_VALIDATION_FAILED", 5, "Cannot spread"},
		// Under the repeat limit, but 200 errors without the cap.
		{"UnknownFields", "{ " + numbered("f%d ", 200) + "}", "GRAPHQL_VALIDATION_FAILED", gqlhttp.DefaultMaxValidationErrors + 1, "Cannot query field"},
		{"TwentyConflicts", "{ " + repeat("a: hello a: n(i: 1) ", 10) + "}", "GRAPHQL_VALIDATION_FAILED", gqlhttp.DefaultMaxValidationErrors + 1, "conflict"},
	}
	srv := newBoundedServer(t, gqlhttp.POST{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := post(t, srv, tc.query)
			if a.code() != tc.wantCode {
				t.Fatalf("code = %q, want %q: %.300s", a.code(), tc.wantCode, a.raw)
			}
			if len(a.errors) > tc.maxErrors {
				t.Errorf("%d errors, want at most %d", len(a.errors), tc.maxErrors)
			}
			if !strings.Contains(a.errors[0].Message, tc.wantIn) {
				t.Errorf("first error %q does not say %q", a.errors[0].Message, tc.wantIn)
			}
			if n := srv.executed.Load(); n != 0 {
				t.Errorf("%d operations executed", n)
			}
		})
	}
	t.Run("CapSaysSo", func(t *testing.T) {
		t.Parallel()
		a := post(t, srv, "{ "+numbered("g%d ", 100)+"}")
		if n := len(a.errors); n != gqlhttp.DefaultMaxValidationErrors+1 {
			t.Fatalf("%d errors, want %d and a last one saying so", n, gqlhttp.DefaultMaxValidationErrors+1)
		}
		if last := a.errors[len(a.errors)-1].Message; !strings.Contains(last, "too many validation errors") {
			t.Errorf("last error = %q", last)
		}
	})
	t.Run("RepeatsUnderTheLimitRun", func(t *testing.T) {
		t.Parallel()
		a := post(t, newBoundedServer(t, gqlhttp.POST{}), "{ "+repeat("hello ", gqlhttp.DefaultMaxRepeats)+"}")
		if len(a.errors) != 0 || a.status != http.StatusOK {
			t.Errorf("status %d: %s", a.status, a.raw)
		}
	})
}

// TestMaxResponseBytes: an answer over the limit is a coded error, not the
// answer.
func TestMaxResponseBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		limit    int64
		wantCode string
	}{
		{"Under", 1 << 10, ""},
		{"Over", 100, gqlhttp.CodeResponseTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBoundedServer(t, gqlhttp.POST{MaxResponseBytes: tc.limit})
			a := post(t, srv, `{ echo(s: "`+strings.Repeat("z", 200)+`") }`)
			if a.code() != tc.wantCode {
				t.Fatalf("code = %q, want %q: %.300s", a.code(), tc.wantCode, a.raw)
			}
			if int64(len(a.raw)) > max(tc.limit, 300) {
				t.Errorf("answer of %d bytes", len(a.raw))
			}
			if tc.wantCode != "" && (a.status != http.StatusOK || string(a.body["data"]) != "null") {
				t.Errorf("status %d, data %s: want 200 and null data, as for any execution error: %s", a.status, a.body["data"], a.raw)
			}
		})
	}
}

// TestUncodedRequestErrorsAreBadRequest: an error raised before execution
// without a code (gqlgen's APQ extension raises several) is the client's,
// not INTERNAL.
func TestUncodedRequestErrorsAreBadRequest(t *testing.T) {
	t.Parallel()
	srv := newBoundedServer(t, gqlhttp.POST{})
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/query",
		strings.NewReader(`{"query":"{ hello }","extensions":{"uncoded":true}}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", accGR)
	check(t, serve(t, srv, r), http.StatusBadRequest, ctGR, gqlhttp.CodeBadRequest, false)
}

// TestBodyTimeout: a body that trickles in is cut with 408 and its
// connection closed, instead of holding both for as long as it trickles.
func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(newBoundedServer(t, gqlhttp.POST{BodyTimeout: 200 * time.Millisecond}))
	t.Cleanup(hs.Close)
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = fmt.Fprint(conn, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
	// The bound on the test, not on the server: it answers long before.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status = %d, want 408", resp.StatusCode)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if _, err := br.ReadByte(); err == nil || isTimeout(err) {
		t.Errorf("the connection stayed open after the cut body: %v", err)
	}
}

// TestWriteTimeout_ClientNeverReads: a client that never reads its answer
// holds the handler only until the write timeout.
func TestWriteTimeout_ClientNeverReads(t *testing.T) {
	t.Parallel()
	done := make(chan struct{}, 1)
	// 32 MB: far more than the loopback socket buffers take in.
	big := json.RawMessage(`{"hello":"` + strings.Repeat("z", 32<<20) + `"}`)
	srv := newServerWithSchema(t, func(context.Context) *graphql.Response { return &graphql.Response{Data: big} },
		gqlhttp.POST{MaxResponseBytes: 64 << 20, WriteTimeout: 200 * time.Millisecond})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	t.Cleanup(hs.Close)
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query":"{ hello }"}`
	_, _ = fmt.Fprintf(conn, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	select {
	case <-done:
	case <-time.After(20 * time.Second): // the bound on the test
		t.Fatal("the handler is still writing to a client that never reads")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// newBoundedServer is the test server with the bounds the gateway installs.
func newBoundedServer(t *testing.T, post gqlhttp.POST) *testServer {
	t.Helper()
	ts := newServerWith(gqlhttp.GET{}, post, gqlhttp.Unsupported{})
	srv := ts.Handler.(*handler.Server)
	docs := lru.New[*ast.QueryDocument](100)
	srv.SetQueryCache(docs)
	srv.SetValidationRulesFn(gqlhttp.ValidationRules(0))
	srv.Use(gqlhttp.RepeatLimit{Cache: docs})
	srv.Use(uncoded{})
	return ts
}

// newServerWithSchema serves a schema whose every operation answers resp.
func newServerWithSchema(t *testing.T, resp func(context.Context) *graphql.Response, transports ...graphql.Transport) http.Handler {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	srv := handler.New(&graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			return graphql.OneShot(resp(ctx))
		},
	})
	for _, tr := range transports {
		srv.AddTransport(tr)
	}
	return srv
}

// uncoded raises an error without a code when the request's extensions ask
// for one, as gqlgen's APQ extension does for a hash that does not match.
type uncoded struct{}

func (uncoded) ExtensionName() string                   { return "uncoded" }
func (uncoded) Validate(graphql.ExecutableSchema) error { return nil }
func (uncoded) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Extensions["uncoded"] != nil {
		return gqlerror.Errorf("something the client sent is wrong")
	}
	return nil
}

func post(t *testing.T, h http.Handler, query string) *answer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"query": query})
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/query", strings.NewReader(string(b)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", accGR)
	return serve(t, h, r)
}
