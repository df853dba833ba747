package retry_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/retry"
)

// script is an upstream that answers its requests with the statuses in
// order (the last one repeats); status 0 drops the connection without an
// answer. It counts requests and new connections.
type script struct {
	srv        *httptest.Server
	mu         sync.Mutex
	statuses   []int
	header     http.Header
	requests   int
	bodies     []string
	conns      int
	retryAfter string
}

func newScript(t *testing.T, statuses ...int) *script {
	t.Helper()
	s := &script{statuses: statuses}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *script) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := min(s.requests, len(s.statuses)-1)
	s.requests++
	s.bodies = append(s.bodies, string(body))
	status, ra := s.statuses[i], s.retryAfter
	s.mu.Unlock()
	if status == 0 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	if ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	w.WriteHeader(status)
	// A body worth draining: an undrained one would cost a new connection.
	io.WriteString(w, strings.Repeat("<p>"+http.StatusText(status)+"</p>", 200))
}

func (s *script) counts() (requests, conns int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.conns
}

func newClient(t *testing.T, opts ...retry.Option) *http.Client {
	t.Helper()
	p, err := retry.New(append([]retry.Option{retry.WithBackoff(5*time.Millisecond, 20*time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("retry.New: %v", err)
	}
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: p.Wrap(base)}
}

func do(ctx context.Context, c *http.Client, method, url, body string) (int, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body) // sets GetBody
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func TestPolicy_RetriesSafeMethodsOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		method       string
		body         string
		statuses     []int
		wantStatus   int
		wantRequests int
	}{
		{"GetOK", http.MethodGet, "", []int{200}, 200, 1},
		{"Get500", http.MethodGet, "", []int{500, 200}, 200, 2},
		{"Get502", http.MethodGet, "", []int{502, 200}, 200, 2},
		{"Get503Twice", http.MethodGet, "", []int{503, 503, 200}, 200, 3},
		{"Get504", http.MethodGet, "", []int{504, 200}, 200, 2},
		{"Get429", http.MethodGet, "", []int{429, 200}, 200, 2},
		{"GetGivesUpAfterThree", http.MethodGet, "", []int{503}, 503, 3},
		{"GetDroppedConnection", http.MethodGet, "", []int{0, 200}, 200, 2},
		{"GetWithReplayableBody", http.MethodGet, "q", []int{502, 200}, 200, 2},
		{"Head503", http.MethodHead, "", []int{503, 200}, 200, 2},
		{"Get400NotRetried", http.MethodGet, "", []int{400, 200}, 400, 1},
		{"Get401NotRetried", http.MethodGet, "", []int{401, 200}, 401, 1},
		{"Get403NotRetried", http.MethodGet, "", []int{403, 200}, 403, 1},
		{"Get501NotRetried", http.MethodGet, "", []int{501, 200}, 501, 1},
		{"Post503NotRetried", http.MethodPost, `[{"name":"x"}]`, []int{503, 200}, 503, 1},
		{"Post429NotRetried", http.MethodPost, `[{"name":"x"}]`, []int{429, 200}, 429, 1},
		{"Patch502NotRetried", http.MethodPatch, `[{"id":1}]`, []int{502, 200}, 502, 1},
		{"PatchDroppedNotRetried", http.MethodPatch, `[{"id":1}]`, []int{0, 200}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newScript(t, tt.statuses...)
			status, err := do(t.Context(), newClient(t), tt.method, up.srv.URL, tt.body)
			if tt.wantStatus == 0 {
				if err == nil {
					t.Fatalf("status %d, want a transport error", status)
				}
			} else if err != nil || status != tt.wantStatus {
				t.Fatalf("status %d, err %v; want %d", status, err, tt.wantStatus)
			}
			requests, conns := up.counts()
			if requests != tt.wantRequests {
				t.Errorf("upstream got %d requests, want %d", requests, tt.wantRequests)
			}
			if tt.statuses[0] != 0 && conns != 1 {
				t.Errorf("used %d connections, want 1: discarded bodies must be drained and closed", conns)
			}
			up.mu.Lock()
			defer up.mu.Unlock()
			for i, b := range up.bodies {
				if b != tt.body {
					t.Errorf("attempt %d sent body %q, want %q", i+1, b, tt.body)
				}
			}
		})
	}
}

func TestPolicy_NeverWaitsPastDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		retryAfter   string
		opts         []retry.Option
		timeout      time.Duration
		wantRequests int
	}{
		// The first wait (100–200 ms) ends after the 80 ms deadline.
		{name: "Backoff", opts: []retry.Option{retry.WithBackoff(200*time.Millisecond, time.Second)},
			timeout: 80 * time.Millisecond, wantRequests: 1},
		// A Retry-After longer than the time left is honoured by giving up.
		{name: "RetryAfter", retryAfter: "5", timeout: time.Second, wantRequests: 1},
		// Waits fit: all three attempts run.
		{name: "Fits", timeout: 2 * time.Second, wantRequests: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newScript(t, http.StatusTooManyRequests)
			up.retryAfter = tt.retryAfter
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			start := time.Now()
			status, err := do(ctx, newClient(t, tt.opts...), http.MethodGet, up.srv.URL, "")
			if err != nil || status != http.StatusTooManyRequests {
				t.Fatalf("status %d, err %v; want the last 429 returned as is", status, err)
			}
			if took := time.Since(start); took >= tt.timeout {
				t.Errorf("took %s, past the %s deadline", took, tt.timeout)
			}
			if requests, _ := up.counts(); requests != tt.wantRequests {
				t.Errorf("upstream got %d requests, want %d", requests, tt.wantRequests)
			}
		})
	}
}

func TestPolicy_HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	up := newScript(t, http.StatusTooManyRequests, http.StatusOK)
	up.retryAfter = "1"
	start := time.Now()
	status, err := do(t.Context(), newClient(t), http.MethodGet, up.srv.URL, "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("status %d, err %v; want 200", status, err)
	}
	if took := time.Since(start); took < time.Second || took > 1500*time.Millisecond {
		t.Errorf("retried after %s, want after Retry-After: 1", took)
	}
}

func TestPolicy_CancelDuringBackoff(t *testing.T) {
	t.Parallel()
	up := newScript(t, http.StatusServiceUnavailable)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := do(ctx, newClient(t, retry.WithBackoff(time.Second, time.Second)), http.MethodGet, up.srv.URL, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 300*time.Millisecond {
		t.Errorf("returned %s after start, want soon after the 50 ms cancel", took)
	}
}

// notSent is what a layer below returns when it refused to send.
type notSent struct{}

func (notSent) Error() string { return "refused locally" }
func (notSent) NotSent() bool { return true }

type countingRT struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (c *countingRT) RoundTrip(*http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return nil, c.err
}

func TestPolicy_DoesNotRetryLocalRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"NotSent", notSent{}, 1},
		{"WrappedNotSent", errors.Join(errors.New("breaker"), notSent{}), 1},
		{"TransportError", errors.New("connection reset by peer"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := retry.New(retry.WithBackoff(time.Millisecond, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			next := &countingRT{err: tt.err}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://upstream.invalid/", nil)
			if _, err := p.Wrap(next).RoundTrip(req); !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if next.calls != tt.wantCalls {
				t.Errorf("sent %d times, want %d", next.calls, tt.wantCalls)
			}
		})
	}
}

func TestNew_RejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  retry.Option
	}{
		{"ZeroBase", retry.WithBackoff(0, time.Second)},
		{"BaseAboveCap", retry.WithBackoff(2*time.Second, time.Second)},
		{"ZeroAttempts", retry.WithMaxAttempts(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := retry.New(tt.opt); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	if _, err := retry.New(retry.WithMaxAttempts(1)); err != nil {
		t.Errorf("WithMaxAttempts(1): %v", err)
	}
}
