package loadtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package when any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeGraphQL answers like a GraphQL endpoint after a fixed latency. The
// query text picks the answer: "fail500" gives a 500, "gqlError" a 200 with
// "errors", "notJSON" a 200 with plain text, "redirect" a 307 to
// redirectTo; anything else succeeds. A "sleepMs" variable overrides the
// latency. Handlers return early when the client goes away.
type fakeGraphQL struct {
	latency    time.Duration
	apiKey     string // when set, required in X-API-Key
	redirectTo string
	calls      atomic.Int64
}

func (f *fakeGraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want a JSON POST", http.StatusBadRequest)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "decode: "+err.Error(), http.StatusBadRequest)
		return
	}
	if f.apiKey != "" && r.Header.Get("X-API-Key") != f.apiKey {
		http.Error(w, `{"errors":[{"message":"no key"}]}`, http.StatusUnauthorized)
		return
	}
	delay := f.latency
	if ms, ok := req.Variables["sleepMs"].(float64); ok {
		delay = time.Duration(ms * float64(time.Millisecond))
	}
	if delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.Contains(req.Query, "fail500"):
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"errors":[{"message":"internal"}]}`)
	case strings.Contains(req.Query, "gqlError"):
		io.WriteString(w, `{"data":null,"errors":[{"message":"boom","extensions":{"code":"INTERNAL"}}]}`)
	case strings.Contains(req.Query, "notJSON"):
		io.WriteString(w, "<html>oops</html>")
	case strings.Contains(req.Query, "redirect"):
		http.Redirect(w, r, f.redirectTo, http.StatusTemporaryRedirect)
	default:
		io.WriteString(w, `{"data":{"ok":true}}`)
	}
}

// serve starts f on a loopback socket and returns its /query URL; the server
// closes when the test ends.
func serve(t *testing.T, f *fakeGraphQL) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL + "/query"
}

// queries builds a mix from query texts, each named after its text.
func queries(texts ...string) []Query {
	qs := make([]Query, len(texts))
	for i, text := range texts {
		qs[i] = Query{Name: text, Query: "{ " + text + " }"}
	}
	return qs
}
