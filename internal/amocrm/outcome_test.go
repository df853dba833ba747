package amocrm

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

// notSentError stands for a layer that refuses a request before sending it
// (rate budget, open circuit, call budget).
type notSentError struct{}

func (notSentError) Error() string { return "refused before sending" }
func (notSentError) NotSent() bool { return true }

// A write that may have reached amoCRM but whose answer was not read in full
// is told apart, with ErrOutcomeUnknown, from one that certainly never left;
// reads keep plain ErrUnavailable.
func TestClient_Do_OutcomeUnknown(t *testing.T) {
	t.Parallel()
	// hang reads the request and answers nothing until the client gives up
	// (the server notices a client going away only once the body is read).
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	// truncate promises 100 bytes of JSON and sends 12, then drops the connection.
	truncate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/hal+json")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"_embedded"`)
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	status := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			writeProblem(w, code, `{"title":"x","status":`+strconv.Itoa(code)+`}`)
		})
	}
	refuse := func(http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, notSentError{} })
	}

	tests := []struct {
		name    string
		method  string
		faults  *sandbox.Faults // the sandbox, with these faults
		handler http.Handler    // or this handler
		dead    bool            // or nothing listening
		opts    []Option
		timeout time.Duration
		unknown bool // want ErrOutcomeUnknown
	}{
		{name: "POST/MalformedJSON", method: http.MethodPost, faults: &sandbox.Faults{MalformedJSON: true}, unknown: true},
		{name: "POST/ResetConn", method: http.MethodPost, faults: &sandbox.Faults{ResetConn: true}, unknown: true},
		{name: "PATCH/ResetConn", method: http.MethodPatch, faults: &sandbox.Faults{ResetConn: true}, unknown: true},
		{name: "POST/Hang", method: http.MethodPost, handler: hang, timeout: 100 * time.Millisecond, unknown: true},
		{name: "POST/TruncatedBody", method: http.MethodPost, handler: truncate, unknown: true},
		{name: "POST/502", method: http.MethodPost, handler: status(http.StatusBadGateway), unknown: true},
		{name: "POST/504", method: http.MethodPost, handler: status(http.StatusGatewayTimeout), unknown: true},
		{name: "POST/500", method: http.MethodPost, handler: status(http.StatusInternalServerError)},
		{name: "POST/503", method: http.MethodPost, handler: status(http.StatusServiceUnavailable)},
		{name: "POST/DialFailure", method: http.MethodPost, dead: true},
		{name: "POST/RefusedBeforeSending", method: http.MethodPost, faults: &sandbox.Faults{}, opts: []Option{WithMiddleware(refuse)}},
		{name: "GET/MalformedJSON", method: http.MethodGet, faults: &sandbox.Faults{MalformedJSON: true}},
		{name: "GET/Hang", method: http.MethodGet, handler: hang, timeout: 100 * time.Millisecond},
		{name: "GET/502", method: http.MethodGet, handler: status(http.StatusBadGateway)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var base string
			switch {
			case tt.faults != nil:
				sb := sandbox.New()
				sb.SetFaults(*tt.faults)
				srv := httptest.NewServer(sb)
				t.Cleanup(srv.Close)
				base = srv.URL
			case tt.handler != nil:
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				base = srv.URL
			case tt.dead:
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				base = "http://" + ln.Addr().String()
				ln.Close()
			}
			client, err := NewClient(append([]Option{WithBaseURL(base), WithToken(sandbox.DefaultToken)}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			var body any
			if tt.method != http.MethodGet {
				body = []map[string]any{{"name": "Outcome"}}
			}
			req, err := client.NewRequest(ctx, tt.method, "api/v4/contacts", body)
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				Embedded struct {
					Contacts []struct{ ID int } `json:"contacts"`
				} `json:"_embedded"`
			}
			_, err = client.Do(req, &v)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrOutcomeUnknown); got != tt.unknown {
				t.Errorf("errors.Is(err, ErrOutcomeUnknown) = %v, want %v; err = %v", got, tt.unknown, err)
			}
			if tt.unknown && !errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v, want it to match ErrUnavailable too", err)
			}
			if tt.timeout > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want context.DeadlineExceeded kept", err)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
