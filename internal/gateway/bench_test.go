package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/sandbox"
)

// replay is an upstream that answers from recordings of the sandbox, so a
// benchmark measures the gateway, not the emulator behind it. A request it
// has not seen goes to the sandbox and is recorded.
type replay struct {
	sb *sandbox.Sandbox
	mu sync.Mutex
	m  map[string]recorded
}

type recorded struct {
	status int
	header http.Header
	body   []byte
}

func (r *replay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	key := req.Method + " " + req.URL.RequestURI()
	r.mu.Lock()
	rec, ok := r.m[key]
	r.mu.Unlock()
	if !ok || req.Method != http.MethodGet {
		rw := httptest.NewRecorder()
		r.sb.ServeHTTP(rw, req)
		rec = recorded{rw.Code, rw.Header().Clone(), rw.Body.Bytes()}
		r.mu.Lock()
		r.m[key] = rec
		r.mu.Unlock()
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body)
}

// bodies returns the recorded upstream bodies, for the decoding baseline.
func (r *replay) bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	for _, rec := range r.m {
		out = append(out, rec.body)
	}
	return out
}

func benchGateway(b testing.TB, forceResolvers bool) (http.Handler, *replay) {
	rp := &replay{sb: sandbox.New(), m: map[string]recorded{}}
	up := httptest.NewServer(rp)
	b.Cleanup(up.Close)
	cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, ForceResolvers: forceResolvers}
	u, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	return New(zerolog.Nop(), cfg, u), rp
}

func post(b testing.TB, h http.Handler, body []byte) {
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	if rw.Code != http.StatusOK || bytes.Contains(rw.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("status %d: %s", rw.Code, rw.Body.String())
	}
}

// BenchmarkQuery runs whole GraphQL executions — HTTP handler, parse,
// validate, resolve, loaders, upstream HTTP over loopback, JSON out —
// against recorded sandbox answers at zero latency, on the plan executor
// (the default) and on gqlgen's resolvers (READ_EXECUTOR=resolvers), so one
// run reports both.
func BenchmarkQuery(b *testing.B) {
	for _, q := range CostQueries {
		b.Run(q.Bench, func(b *testing.B) {
			for _, path := range []struct {
				name  string
				force bool
			}{{"plan", false}, {"resolvers", true}} {
				b.Run(path.name, func(b *testing.B) { benchQuery(b, q.Query, path.force) })
			}
		})
	}
}

func benchQuery(b *testing.B, query string, forceResolvers bool) {
	h, rp := benchGateway(b, forceResolvers)
	body, _ := json.Marshal(map[string]string{"query": query})
	post(b, h, body) // record the upstream answers
	rp.sb.ResetCalls()
	b.ReportAllocs()
	cpu0, cpuOK := processCPU()
	for b.Loop() {
		post(b, h, body)
	}
	// Wall time hides CPU spent on the second core; the gateway's
	// CPU per query is the target. The recording upstream's share
	// is small: it writes stored bytes.
	if cpu1, _ := processCPU(); cpuOK && b.N > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
	if n := rp.sb.TotalCalls(); n != 0 {
		b.Fatalf("%d upstream calls missed the recording", n)
	}
}

// BenchmarkDecodeUpstream is the floor the gateway is measured against:
// decoding the same upstream answers into the client's types, nothing else.
func BenchmarkDecodeUpstream(b *testing.B) {
	for _, q := range CostQueries {
		b.Run(q.Bench, func(b *testing.B) {
			h, rp := benchGateway(b, false)
			body, _ := json.Marshal(map[string]string{"query": q.Query})
			post(b, h, body)
			bodies := rp.bodies()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for _, raw := range bodies {
					if err := decodeAny(raw); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// decodeAny decodes one upstream body, in full, into the type the client
// uses for it, shaped as the client's list bodies are.
func decodeAny(raw []byte) error {
	var v any
	switch {
	case bytes.Contains(raw, []byte(`"_embedded":{"contacts"`)):
		v = new(struct {
			Embedded struct {
				Contacts []*amocrm.Contact `json:"contacts"`
			} `json:"_embedded"`
		})
	case bytes.Contains(raw, []byte(`"_embedded":{"leads"`)):
		v = new(struct {
			Embedded struct {
				Leads []*amocrm.Lead `json:"leads"`
			} `json:"_embedded"`
		})
	case bytes.Contains(raw, []byte(`"_embedded":{"companies"`)):
		v = new(struct {
			Embedded struct {
				Companies []*amocrm.Company `json:"companies"`
			} `json:"_embedded"`
		})
	case bytes.Contains(raw, []byte(`"_embedded":{"customers"`)):
		v = new(struct {
			Embedded struct {
				Customers []*amocrm.Customer `json:"customers"`
			} `json:"_embedded"`
		})
	case bytes.Contains(raw, []byte(`"_embedded":{"chats"`)):
		v = new(struct {
			Embedded struct {
				Chats []*amocrm.ChatLink `json:"chats"`
			} `json:"_embedded"`
		})
	case bytes.Contains(raw, []byte(`"_embedded":{"users"`)):
		v = new(struct {
			Embedded struct {
				Users []*amocrm.User `json:"users"`
			} `json:"_embedded"`
		})
	case bytes.Contains(raw, []byte(`"_embedded":{"pipelines"`)):
		v = new(struct {
			Embedded struct {
				Pipelines []*amocrm.Pipeline `json:"pipelines"`
			} `json:"_embedded"`
		})
	case bytes.HasPrefix(raw, []byte(`{"id"`)):
		v = new(amocrm.Contact)
	default:
		return fmt.Errorf("no decoder for %.60s", raw)
	}
	return amocrm.DecodeJSON(raw, v)
}

// BenchmarkUpstreamFloor is the transport floor beside BenchmarkQuery: the
// same upstream answers fetched with a bare net/http client from the same
// recording server over loopback, read and dropped, in the gateway's
// order. No gateway, no decoding: what a query's calls cost before
// anything is done with them.
func BenchmarkUpstreamFloor(b *testing.B) {
	for _, q := range CostQueries {
		b.Run(q.Bench, func(b *testing.B) {
			rp := &replay{sb: sandbox.New(), m: map[string]recorded{}}
			up := httptest.NewServer(rp)
			b.Cleanup(up.Close)
			cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken}
			u, err := NewUpstream(cfg, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			body, _ := json.Marshal(map[string]string{"query": q.Query})
			post(b, New(zerolog.Nop(), cfg, u), body)
			var uris []string
			rp.mu.Lock()
			for k := range rp.m {
				if method, uri, _ := strings.Cut(k, " "); method == http.MethodGet {
					uris = append(uris, uri)
				}
			}
			rp.mu.Unlock()
			client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			b.ReportAllocs()
			cpu0, cpuOK := processCPU()
			for b.Loop() {
				for _, uri := range uris {
					req, _ := http.NewRequest(http.MethodGet, up.URL+uri, nil)
					req.Header.Set("Authorization", "Bearer "+sandbox.DefaultToken)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
			if cpu1, _ := processCPU(); cpuOK && b.N > 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
