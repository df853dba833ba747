package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// start runs a sandbox on a real loopback socket for the test.
func start(t *testing.T, opts ...Option) (*Sandbox, *httptest.Server) {
	t.Helper()
	sb := New(opts...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv
}

// reply is what a test reads back from the sandbox.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the reply body into v, failing the test on error.
func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// object decodes the reply body as a generic JSON object.
func (r reply) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// call sends method path with the default token; body, when not nil, is
// sent as JSON (a string or []byte is sent verbatim).
func call(t *testing.T, srv *httptest.Server, method, path string, body any) reply {
	t.Helper()
	return callAs(t, srv, DefaultToken, method, path, body)
}

// callAs is call with a chosen bearer token ("" sends no Authorization).
func callAs(t *testing.T, srv *httptest.Server, token, method, path string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: raw}
}
