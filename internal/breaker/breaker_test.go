package breaker_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/breaker"
)

// flappy is an upstream whose health the test switches: it answers 503 while
// failing and 200 otherwise, after an optional delay.
type flappy struct {
	srv      *httptest.Server
	failing  atomic.Bool
	delay    atomic.Int64
	requests atomic.Int64
}

func newFlappy(t *testing.T) *flappy {
	t.Helper()
	f := &flappy{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if d := time.Duration(f.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if f.failing.Load() {
			http.Error(w, "<html>503</html>", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// transitions records OnStateChange calls.
type transitions struct {
	mu  sync.Mutex
	got []string
}

func (tr *transitions) record(from, to breaker.State) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.got = append(tr.got, from.String()+"->"+to.String())
}

func (tr *transitions) list() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.got)
}

func newBreaker(t *testing.T, opts ...breaker.Option) *breaker.Breaker {
	t.Helper()
	b, err := breaker.New(opts...)
	if err != nil {
		t.Fatalf("breaker.New: %v", err)
	}
	return b
}

func newClient(t *testing.T, b *breaker.Breaker) *http.Client {
	t.Helper()
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: b.Wrap(base)}
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
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

func TestBreaker_FlappingUpstreamAndRecovery(t *testing.T) {
	t.Parallel()
	up := newFlappy(t)
	var tr transitions
	b := newBreaker(t, breaker.WithThreshold(3), breaker.WithCoolDown(100*time.Millisecond),
		breaker.WithOnStateChange(tr.record))
	c := newClient(t, b)

	type step struct {
		name      string
		failing   bool
		sleep     time.Duration
		wantErr   error // nil: the upstream answers
		wantState breaker.State
		wantSent  bool
	}
	steps := []step{
		{name: "fail 1", failing: true, wantState: breaker.Closed, wantSent: true},
		{name: "fail 2", failing: true, wantState: breaker.Closed, wantSent: true},
		{name: "success resets the count", wantState: breaker.Closed, wantSent: true},
		{name: "fail 1 again", failing: true, wantState: breaker.Closed, wantSent: true},
		{name: "fail 2 again", failing: true, wantState: breaker.Closed, wantSent: true},
		{name: "fail 3 opens", failing: true, wantState: breaker.Open, wantSent: true},
		{name: "open fails fast", failing: true, wantErr: breaker.ErrOpen, wantState: breaker.Open},
		{name: "fails fast even if the upstream is back", wantErr: breaker.ErrOpen, wantState: breaker.Open},
		{name: "probe after cool-down fails", failing: true, sleep: 120 * time.Millisecond, wantState: breaker.Open, wantSent: true},
		{name: "re-opened", failing: true, wantErr: breaker.ErrOpen, wantState: breaker.Open},
		{name: "probe after cool-down succeeds", sleep: 120 * time.Millisecond, wantState: breaker.Closed, wantSent: true},
		{name: "closed again", wantState: breaker.Closed, wantSent: true},
	}
	for _, s := range steps {
		time.Sleep(s.sleep)
		up.failing.Store(s.failing)
		before := up.requests.Load()
		start := time.Now()
		_, err := get(t.Context(), c, up.srv.URL)
		switch {
		case s.wantErr != nil && !errors.Is(err, s.wantErr):
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		case s.wantErr == nil && err != nil:
			t.Fatalf("%s: err = %v, want an answer", s.name, err)
		}
		if s.wantErr != nil && time.Since(start) > 20*time.Millisecond {
			t.Errorf("%s: refusal took %s, want it at once", s.name, time.Since(start))
		}
		if sent := up.requests.Load() > before; sent != s.wantSent {
			t.Errorf("%s: upstream reached = %v, want %v", s.name, sent, s.wantSent)
		}
		if got := b.State(); got != s.wantState {
			t.Errorf("%s: State() = %s, want %s", s.name, got, s.wantState)
		}
	}
	want := []string{"closed->open", "open->half-open", "half-open->open", "open->half-open", "half-open->closed"}
	if got := tr.list(); !slices.Equal(got, want) {
		t.Errorf("transitions = %v, want %v", got, want)
	}
}

func TestBreaker_HalfOpenLetsOneProbeThrough(t *testing.T) {
	t.Parallel()
	up := newFlappy(t)
	b := newBreaker(t, breaker.WithThreshold(1), breaker.WithCoolDown(50*time.Millisecond))
	c := newClient(t, b)

	up.failing.Store(true)
	get(t.Context(), c, up.srv.URL)
	if b.State() != breaker.Open {
		t.Fatalf("State() = %s after a failure with threshold 1, want open", b.State())
	}
	time.Sleep(60 * time.Millisecond)
	up.failing.Store(false)
	up.delay.Store(int64(150 * time.Millisecond))
	before := up.requests.Load()

	const n = 30
	var wg sync.WaitGroup
	var ok, refused atomic.Int64
	for range n {
		wg.Go(func() {
			_, err := get(t.Context(), c, up.srv.URL)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, breaker.ErrOpen):
				refused.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	if sent := up.requests.Load() - before; sent != 1 {
		t.Errorf("upstream got %d requests while half-open, want exactly 1 probe", sent)
	}
	if ok.Load() != 1 || refused.Load() != n-1 {
		t.Errorf("%d answered, %d refused; want 1 and %d", ok.Load(), refused.Load(), n-1)
	}
	if b.State() != breaker.Closed {
		t.Errorf("State() = %s after a successful probe, want closed", b.State())
	}
}

// refusing is a layer below the breaker that refuses without sending.
type refusing struct{}

func (refusing) RoundTrip(*http.Request) (*http.Response, error) { return nil, notSent{} }

type notSent struct{}

func (notSent) Error() string { return "rate budget past the deadline" }
func (notSent) NotSent() bool { return true }

func TestBreaker_NeutralOutcomesDoNotCount(t *testing.T) {
	t.Parallel()
	t.Run("CallerCancelled", func(t *testing.T) {
		t.Parallel()
		up := newFlappy(t)
		up.delay.Store(int64(time.Second))
		b := newBreaker(t, breaker.WithThreshold(1))
		c := newClient(t, b)
		for range 3 {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(5*time.Millisecond, cancel)
			if _, err := get(ctx, c, up.srv.URL); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		}
		if b.State() != breaker.Closed {
			t.Errorf("State() = %s after cancelled requests, want closed", b.State())
		}
	})
	t.Run("NotSent", func(t *testing.T) {
		t.Parallel()
		b := newBreaker(t, breaker.WithThreshold(1))
		rt := b.Wrap(refusing{})
		for range 3 {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://upstream.invalid/", nil)
			if _, err := rt.RoundTrip(req); !errors.As(err, new(notSent)) {
				t.Fatalf("err = %v, want the layer's own error", err)
			}
		}
		if b.State() != breaker.Closed {
			t.Errorf("State() = %s after local refusals, want closed", b.State())
		}
	})
	t.Run("CancelledProbeFreesTheSlot", func(t *testing.T) {
		t.Parallel()
		up := newFlappy(t)
		b := newBreaker(t, breaker.WithThreshold(1), breaker.WithCoolDown(20*time.Millisecond))
		c := newClient(t, b)
		up.failing.Store(true)
		get(t.Context(), c, up.srv.URL)
		time.Sleep(30 * time.Millisecond)
		up.failing.Store(false)
		up.delay.Store(int64(time.Second))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		if _, err := get(ctx, c, up.srv.URL); !errors.Is(err, context.Canceled) {
			t.Fatalf("probe err = %v, want context.Canceled", err)
		}
		if b.State() != breaker.HalfOpen {
			t.Fatalf("State() = %s after a cancelled probe, want half-open", b.State())
		}
		up.delay.Store(0)
		if _, err := get(t.Context(), c, up.srv.URL); err != nil {
			t.Fatalf("next probe: %v", err)
		}
		if b.State() != breaker.Closed {
			t.Errorf("State() = %s, want closed", b.State())
		}
	})
}

func TestBreaker_TransportErrorsCount(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	b := newBreaker(t, breaker.WithThreshold(2))
	c := newClient(t, b)
	for range 2 {
		if _, err := get(t.Context(), c, url); err == nil || errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("err = %v, want a dial error", err)
		}
	}
	if _, err := get(t.Context(), c, url); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("err = %v after 2 dial errors, want ErrOpen", err)
	}
}

func TestBreaker_ConcurrentFlapping(t *testing.T) {
	t.Parallel()
	up := newFlappy(t)
	var mu sync.Mutex
	var seq []breaker.State
	var b *breaker.Breaker
	b = newBreaker(t, breaker.WithThreshold(3), breaker.WithCoolDown(5*time.Millisecond),
		breaker.WithOnStateChange(func(from, to breaker.State) {
			mu.Lock()
			defer mu.Unlock()
			if n := len(seq); n > 0 && seq[n-1] != from {
				t.Errorf("transition %s->%s follows a transition to %s", from, to, seq[n-1])
			}
			seq = append(seq, to)
			_ = b.State() // allowed from the callback
		}))
	c := newClient(t, b)

	stop := make(chan struct{})
	var flips sync.WaitGroup
	flips.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(rand.IntN(10)) * time.Millisecond):
				up.failing.Store(!up.failing.Load())
			}
		}
	})
	const goroutines, each = 50, 40
	var answered, refused atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				_, err := get(t.Context(), c, up.srv.URL)
				switch {
				case err == nil:
					answered.Add(1)
				case errors.Is(err, breaker.ErrOpen):
					refused.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	flips.Wait()

	if answered.Load()+refused.Load() != goroutines*each {
		t.Errorf("%d answered + %d refused, want %d", answered.Load(), refused.Load(), goroutines*each)
	}
	if answered.Load() != up.requests.Load() {
		t.Errorf("%d answered but upstream saw %d", answered.Load(), up.requests.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d requests: %d answered, %d refused, %d transitions", goroutines*each, answered.Load(), refused.Load(), len(seq))
	if len(seq) == 0 {
		t.Error("no transitions under a flapping upstream")
	}
}

func TestState_String(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    breaker.State
		want string
	}{
		{breaker.Closed, "closed"},
		{breaker.Open, "open"},
		{breaker.HalfOpen, "half-open"},
		{breaker.State(7), "State(7)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
}

func TestNew_RejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	for _, opt := range []breaker.Option{breaker.WithThreshold(0), breaker.WithCoolDown(0), breaker.WithPatience(0)} {
		if _, err := breaker.New(opt); err == nil {
			t.Error("New succeeded, want an error")
		}
	}
}
