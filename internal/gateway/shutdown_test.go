package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/sandbox"
)

// serveForShutdown runs Serve against sb with cfg's timeouts; cancel starts
// the shutdown, and done yields what Serve returned.
func serveForShutdown(t *testing.T, sb *sandbox.Sandbox, cfg Config, log zerolog.Logger) (addr string, cancel func(), done <-chan error) {
	t.Helper()
	url, stop, err := StartSandbox(sb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg.Addr, cfg.BaseURL, cfg.AccessToken, cfg.APIKeys = "127.0.0.1:0", url, sandbox.DefaultToken, []string{"k"}
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, cfg, log, func(a string) { addrc <- a }) }()
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	}
	return addr, cancel, errc
}

// TestShutdown_AnswersInFlightWrite: a mutation that amoCRM holds longer
// than SHUTDOWN_TIMEOUT, but within the upstream timeout, is answered before
// Serve returns (and the process exits), and the shutdown signal does not
// cancel it.
func TestShutdown_AnswersInFlightWrite(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	sb.SetFaults(sandbox.Faults{Latency: time.Second})
	addr, shutdown, done := serveForShutdown(t, sb, Config{ShutdownTimeout: 100 * time.Millisecond, UpstreamTimeout: 5 * time.Second}, zerolog.Nop())

	type result struct {
		status int
		body   string
		err    error
	}
	answered := make(chan result, 1)
	go func() {
		body := gqlBody(`mutation { createContacts(input: [{name: "Shutdown Write"}]) { contacts { id name } } }`, nil)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	for deadline := time.Now().Add(10 * time.Second); sb.TotalCalls() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the mutation never reached amoCRM")
		}
	}
	shutdown()
	err := <-done
	// Serve has returned: main would exit now. Every upstream call must have
	// been answered, and so the client.
	for _, r := range sb.Requests() {
		if r.Status == 0 {
			t.Errorf("Serve returned while amoCRM was still carrying out %s: the process would exit and drop its answer", r.Route)
		}
	}
	select {
	case r := <-answered:
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("answer: status %d, %v: %s", r.status, r.err, r.body)
		}
		var out struct {
			Data struct {
				CreateContacts struct{ Contacts []struct{ ID, Name string } }
			}
			Errors []gqlError
		}
		if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out.Errors) > 0 || len(out.Data.CreateContacts.Contacts) != 1 {
			t.Errorf("want the created contact and no errors: %s", r.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve returned before the in-flight mutation was answered: the process would exit and drop it")
	}
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestShutdown_LogsWhatItCuts: a request still in flight when the drain
// ends is logged by its id and path, and Serve says it cut it.
func TestShutdown_LogsWhatItCuts(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	// The drain is the upstream timeout and a second; the request stays in
	// flight longer, stalled in its body (whose timeout is a minute).
	addr, shutdown, done := serveForShutdown(t, sandbox.New(),
		Config{UpstreamTimeout: 50 * time.Millisecond, BodyTimeout: time.Minute}, zerolog.New(&logs))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = fmt.Fprint(conn, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-API-Key: k\r\nContent-Length: 100\r\n\r\n{\"query\":")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "listening"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no start-up line")
		}
	}
	time.Sleep(100 * time.Millisecond) // let the stalled request reach its handler
	shutdown()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "1 requests still in flight") {
			t.Errorf("Serve = %v, want it to say it cut one request", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after its drain")
	}
	line := grepLines(logs.String(), "in flight")
	if !strings.Contains(line, `"path":"/query"`) || !strings.Contains(line, `"method":"POST"`) || !strings.Contains(line, `"request_id"`) {
		t.Errorf("want a log line naming the cut request, got %q; log:\n%s", line, logs.String())
	}
	if !strings.Contains(logs.String(), `"shutdown_drain":`) {
		t.Error("the start-up line does not say how long a shutdown drains")
	}
}
