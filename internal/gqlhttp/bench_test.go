package gqlhttp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/internal/gqlhttp"
)

// BenchmarkPOST compares this transport with gqlgen's transport.POST on the
// same request and executor, calling Do directly so that the numbers are the
// transports' own: a regression on the hot path shows in allocs/op.
func BenchmarkPOST(b *testing.B) {

	var executed atomic.Int32
	exec := executor.New(newSchema(&executed))
	exec.SetQueryCache(lru.New[*ast.QueryDocument](100))
	for _, bb := range []struct {
		name string
		tr   graphql.Transport
	}{
		{"gqlhttp", gqlhttp.POST{}},
		{"gqlgen", transport.POST{}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodPost, "/query", nil)
			r = r.WithContext(graphql.StartOperationTrace(r.Context()))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/graphql-response+json")
			body := &reusableBody{}
			r.Body = body
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(body0)
				clear(w.header)
				bb.tr.Do(w, r, exec)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

const body0 = `{"query":"query Q($s: String!, $i: Int!) { hello echo(s: $s) n(i: $i) }","operationName":"Q","variables":{"s":"hello","i":42}}`

type reusableBody struct{ strings.Reader }

func (*reusableBody) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps only the status, so the
// benchmark measures the transport rather than a recorder's buffer.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
