package sandbox

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A process measuring the sandbox from outside reads the same count as
// TotalCalls, and its own reads of the counter are not part of it.
func TestStandalone_Calls(t *testing.T) {
	t.Parallel()
	sb := New()
	srv := httptest.NewServer(sb.Standalone())
	t.Cleanup(srv.Close)
	tests := []struct {
		name      string
		token     string
		method    string
		path      string
		wantTotal int
	}{
		{name: "nothing yet", method: http.MethodGet, path: CallsPath, wantTotal: 0},
		{name: "an API call", token: DefaultToken, method: http.MethodGet, path: "/api/v4/account", wantTotal: 1},
		{name: "a refused API call counts too", method: http.MethodGet, path: "/api/v4/account", wantTotal: 2},
		{name: "reading the counter does not", method: http.MethodGet, path: CallsPath, wantTotal: 2},
		{name: "other methods are the emulator's", method: http.MethodPost, path: CallsPath, wantTotal: 3},
	}
	for _, tt := range tests { // in order: each row adds to the last
		r := callAs(t, srv, tt.token, tt.method, tt.path, nil)
		if tt.path == CallsPath && tt.method != http.MethodGet && r.status != http.StatusNotFound {
			t.Errorf("%s: %s %s answered %d, want the emulator's 404", tt.name, tt.method, tt.path, r.status)
		}
		var got CallsReport
		if g := callAs(t, srv, "", http.MethodGet, CallsPath, nil); g.status != http.StatusOK {
			t.Fatalf("%s: GET %s answered %d", tt.name, CallsPath, g.status)
		} else {
			g.decode(t, &got)
		}
		if got.Total != tt.wantTotal || sb.TotalCalls() != tt.wantTotal {
			t.Errorf("%s: endpoint %d, TotalCalls %d, want %d", tt.name, got.Total, sb.TotalCalls(), tt.wantTotal)
		}
	}
}
