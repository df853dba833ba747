package gateway

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/sandbox"
)

// Every upstream failure reaches the client as a GraphQL error with a code,
// never as a panic or a silent null.
func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		faults sandbox.Faults
		code   string
		status int // extensions.upstreamStatus; 0 when none
		// writeCode is the user error a write gets: the same code, except
		// where the write was sent and its answer lost, so it may have happened.
		writeCode string
	}{
		{"401", sandbox.Faults{Status: http.StatusUnauthorized}, "UNAUTHENTICATED", 401, ""},
		{"402", sandbox.Faults{Status: http.StatusPaymentRequired}, "PAYMENT_REQUIRED", 402, ""},
		{"403 blocked account (HTML)", sandbox.Faults{Status: http.StatusForbidden}, "FORBIDDEN", 403, ""},
		{"429 (HTML)", sandbox.Faults{Status: http.StatusTooManyRequests}, "RATE_LIMITED", 429, ""},
		{"500", sandbox.Faults{Status: http.StatusInternalServerError}, "UPSTREAM_UNAVAILABLE", 500, ""},
		{"503", sandbox.Faults{Status: http.StatusServiceUnavailable}, "UPSTREAM_UNAVAILABLE", 503, ""},
		{"malformed JSON", sandbox.Faults{MalformedJSON: true}, "UPSTREAM_UNAVAILABLE", 0, "OUTCOME_UNKNOWN"},
		{"connection reset", sandbox.Faults{ResetConn: true}, "UPSTREAM_UNAVAILABLE", 0, "OUTCOME_UNKNOWN"},
	}
	queries := map[string]string{
		"contact":  `{ contact(id: 3) { id } }`,
		"contacts": `{ contacts(first: 5) { nodes { id } } }`,
		"lead":     `{ lead(id: 1) { id contacts { name } } }`,
		"mutation": `mutation { createContacts(input: [{name: "x"}]) { contacts { id } userErrors { code message } } }`,
	}
	for _, tc := range cases {
		for qname, q := range queries {
			t.Run(tc.name+"/"+qname, func(t *testing.T) {
				t.Parallel()
				sb := sandbox.New()
				g := startGateway(t, sb)
				sb.SetFaults(tc.faults)
				r := g.do(q, nil)
				if qname == "mutation" {
					// A mutation answers its payload whatever happened, so
					// the writes of its other fields are never hidden.
					want := tc.writeCode
					if want == "" {
						want = tc.code
					}
					var data struct {
						CreateContacts struct{ UserErrors []userError } `json:"createContacts"`
					}
					if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) != 0 {
						t.Fatalf("data %s (%v), errors %+v; want a payload", r.Data, err, r.Errors)
					}
					ue := data.CreateContacts.UserErrors
					if len(ue) != 1 || ue[0].Code != want || ue[0].Message == "" || contains(ue[0].Message, sandbox.DefaultToken) {
						t.Errorf("user errors %+v, want one %s", ue, want)
					}
					return
				}
				if len(r.Errors) == 0 {
					t.Fatalf("no error; data %s", r.Data)
				}
				if got := r.code(0); got != tc.code {
					t.Errorf("code = %q, want %q (%+v)", got, tc.code, r.Errors[0])
				}
				got, _ := r.Errors[0].Extensions["upstreamStatus"].(float64)
				if int(got) != tc.status {
					t.Errorf("upstreamStatus = %v, want %d", r.Errors[0].Extensions["upstreamStatus"], tc.status)
				}
				if r.Errors[0].Message == "" || contains(r.Errors[0].Message, sandbox.DefaultToken) {
					t.Errorf("message %q", r.Errors[0].Message)
				}
			})
		}
	}
}

func TestUpstreamUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := Config{BaseURL: "http://" + addr, AccessToken: "token", UpstreamTimeout: 2 * time.Second}
	u, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
	t.Cleanup(gw.Close)
	g := &testGateway{t: t, url: gw.URL}
	r := g.do(`{ contact(id: 3) { id } }`, nil)
	if r.code(0) != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("errors = %+v", r.Errors)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	sb.SetFaults(sandbox.Faults{Latency: 2 * time.Second})
	cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, UpstreamTimeout: 200 * time.Millisecond}
	u, _ := NewUpstream(cfg, zerolog.Nop())
	gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
	t.Cleanup(gw.Close)
	g := &testGateway{t: t, url: gw.URL, sb: sb}
	start := time.Now()
	r := g.do(`{ contact(id: 3) { id } }`, nil)
	if r.code(0) != "UPSTREAM_UNAVAILABLE" || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("errors = %+v after %v", r.Errors, time.Since(start))
	}
}

// Arguments that cannot be right are refused before anything reaches amoCRM.
func TestBadArguments(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"first above 250":      `{ contacts(first: 251) { nodes { id } } }`,
		"negative first":       `{ contacts(first: -1) { nodes { id } } }`,
		"non-numeric id":       `{ contact(id: "x1") { id } }`,
		"zero id":              `{ contact(id: 0) { id } }`,
		"garbage cursor":       `{ contacts(after: "not-a-cursor") { nodes { id } } }`,
		"foreign cursor":       `{ contacts(after: "YzE6MTA6enp6", query: "a") { nodes { id } } }`,
		"bad time":             `{ contacts(filter: {createdAt: {from: "yesterday"}}) { nodes { id } } }`,
		"range backwards":      `{ contacts(filter: {createdAt: {from: "2024-01-02T00:00:00Z", to: "2024-01-01T00:00:00Z"}}) { nodes { id } } }`,
		"chatLinks without id": `{ chatLinks { id } }`,
		"too many ids":         `{ contacts(filter: {ids: [` + repeat(`"1",`, 251) + `"1"]}) { nodes { id } } }`,
	}
	g := startGateway(t, nil)
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			r := g.do(q, nil)
			if r.code(0) != "BAD_USER_INPUT" {
				t.Errorf("errors = %+v", r.Errors)
			}
		})
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("%d upstream calls, want 0", n)
	}
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

// Every error the gateway can produce carries extensions.code, including
// the parser's and the validator's.
func TestEveryErrorHasCode(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	for _, q := range []string{`{ contact(id: 3) { nope } }`, `{ contact(`, `query { contacts { nodes { id } } } query { contacts { nodes { id } } }`} {
		r := g.do(q, nil)
		if len(r.Errors) == 0 || r.code(0) == "" {
			t.Errorf("%s: errors = %+v", q, r.Errors)
		}
	}
}

// Without a token of its own, the gateway forwards the caller's; with none,
// the caller is told to authenticate and nothing is sent.
func TestPassThroughBearer(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, passThrough())
	r := g.do(`{ contact(id: 3) { name } }`, nil, "Authorization", "Bearer "+sandbox.DefaultToken)
	if len(r.Errors) != 0 || !contains(string(r.Data), "Иван") {
		t.Errorf("with the caller's token: %s %+v", r.Data, r.Errors)
	}
	r = g.do(`{ contact(id: 3) { name } }`, nil, "Authorization", "Bearer wrong")
	if r.code(0) != "UNAUTHENTICATED" {
		t.Errorf("with a wrong token: %+v", r.Errors)
	}
	before := g.sb.TotalCalls()
	r = g.do(`{ contact(id: 3) { name } }`, nil)
	if r.code(0) != "UNAUTHENTICATED" || g.sb.TotalCalls() != before {
		t.Errorf("without a token: %+v, %d calls", r.Errors, g.sb.TotalCalls()-before)
	}
}
