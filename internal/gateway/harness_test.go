package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/sandbox"
)

// testGateway is the real gateway on a socket, with a sandbox on another
// socket behind it.
type testGateway struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	url   string
	upURL string // the sandbox's own address, for looking behind the gateway
}

type gatewayOption func(*Config)

// passThrough makes the gateway hold no token: clients bring their own.
func passThrough() gatewayOption {
	return func(c *Config) { c.AccessToken = "" }
}

// withConfig edits the configuration.
func withConfig(f func(*Config)) gatewayOption { return f }

func startGateway(t *testing.T, sb *sandbox.Sandbox, opts ...gatewayOption) *testGateway {
	t.Helper()
	return startLogged(t, sb, zerolog.Nop(), opts...)
}

// startLogged is startGateway with the gateway logging to log, so a test can
// read what it writes.
func startLogged(t *testing.T, sb *sandbox.Sandbox, log zerolog.Logger, opts ...gatewayOption) *testGateway {
	t.Helper()
	if sb == nil {
		sb = sandbox.New()
	}
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, UpstreamTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	u, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(New(log, cfg, u))
	t.Cleanup(gw.Close)
	return &testGateway{t: t, sb: sb, url: gw.URL, upURL: up.URL}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	status int
}

func (r *gqlResponse) code(i int) string {
	if i >= len(r.Errors) {
		return ""
	}
	c, _ := r.Errors[i].Extensions["code"].(string)
	return c
}

// do posts a GraphQL request and decodes the answer; headers are name, value pairs.
func (g *testGateway) do(query string, vars map[string]any, headers ...string) *gqlResponse {
	g.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(g.t.Context(), http.MethodPost, g.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("POST /query: %v", err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		g.t.Fatalf("decode response: %v", err)
	}
	out.status = resp.StatusCode
	return &out
}

// data posts a query that must succeed and decodes its data into v.
func (g *testGateway) data(query string, vars map[string]any, v any) {
	g.t.Helper()
	r := g.do(query, vars)
	if len(r.Errors) > 0 {
		g.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		g.t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// calls counts the upstream requests whose route starts with prefix since the last reset.
func (g *testGateway) calls(route string) int { return g.sb.Calls(route) }

// wantCalls checks the upstream calls made since the last reset: want per
// route, and total in all.
func (g *testGateway) wantCalls(t *testing.T, want map[string]int, total int) {
	t.Helper()
	for route, n := range want {
		if got := g.calls(route); got != n {
			t.Errorf("%s: %d calls, want %d", route, got, n)
		}
	}
	if got := g.sb.TotalCalls(); got != total {
		t.Errorf("total upstream calls = %d, want %d (%+v)", got, total, g.sb.Requests())
	}
}

// queries returns the raw query strings of upstream calls to route.
func (g *testGateway) queries(route string) []string {
	var out []string
	for _, r := range g.sb.Requests() {
		if r.Route == route {
			out = append(out, r.RawQuery)
		}
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
