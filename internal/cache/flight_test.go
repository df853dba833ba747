package cache

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/amogql/amogql/internal/changes"
)

// blocking is an upstream handler that reports each call on arrived, holds
// it until Release, and reports on ctxDone whether a held call's context
// ended.
type blocking struct {
	arrived chan struct{}
	release chan struct{}
	Release func()
	ctxDone chan bool
}

// newBlocking returns a blocking handler released at the latest when the
// test ends, so a failed test does not wait for it.
func newBlocking(t *testing.T) *blocking {
	b := &blocking{arrived: make(chan struct{}, 100), release: make(chan struct{}), ctxDone: make(chan bool, 100)}
	b.Release = sync.OnceFunc(func() { close(b.release) })
	t.Cleanup(b.Release)
	return b
}

func (b *blocking) serve(w http.ResponseWriter, r *http.Request) {
	b.arrived <- struct{}{}
	select {
	case <-b.release:
		b.ctxDone <- false
		echo(w, r)
	case <-r.Context().Done():
		b.ctxDone <- true
	}
}

// blockingUpstream serves a blocking handler; the handler is released
// before the server closes, which waits for it.
func blockingUpstream(t *testing.T) (*upstream, *blocking) {
	var b *blocking
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { b.serve(w, r) })
	b = newBlocking(t)
	return up, b
}

// waitMisses waits until n GETs missed the cache (made or joined a call).
func waitMisses(t *testing.T, obs *counter, n int) {
	t.Helper()
	for range n {
		select {
		case <-obs.missed:
		case <-t.Context().Done():
			t.Fatal("test ended before the misses")
		}
	}
}

func TestCache_ConcurrentMissesShareOneCall(t *testing.T) {
	t.Parallel()
	const screens = 30
	up, b := blockingUpstream(t)
	obs := &counter{missed: make(chan struct{}, screens)}
	c := newCache(t, WithObserver(obs))
	hc := clientFor(c, up)
	url := up.URL + "/api/v4/contacts?with=leads&limit=20"

	results := make(chan result, screens)
	for range screens {
		go func() { results <- do(t.Context(), hc, http.MethodGet, url, "t1") }()
	}
	waitMisses(t, obs, screens)
	b.Release()
	var bodies []string
	for range screens {
		r := <-results
		if r.err != nil || r.status != 200 {
			t.Fatalf("screen: %d %v", r.status, r.err)
		}
		bodies = append(bodies, r.body)
	}
	if got := up.total(); got != 1 {
		t.Errorf("upstream calls = %d, want 1", got)
	}
	if m, s := obs.misses.Load(), obs.shared.Load(); m != 1 || s != screens-1 {
		t.Errorf("misses, shared = %d, %d, want 1, %d", m, s, screens-1)
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("bodies differ: %q vs %q", b, bodies[0])
		}
	}
}

// TestCache_MissAfterInvalidationDoesNotJoinOlderCall: a read that starts
// after a change never shares a call that started before it.
func TestCache_MissAfterInvalidationDoesNotJoinOlderCall(t *testing.T) {
	t.Parallel()
	up, b := blockingUpstream(t)
	obs := &counter{missed: make(chan struct{}, 2)}
	c := newCache(t, WithObserver(obs))
	hc := clientFor(c, up)
	url := up.URL + "/api/v4/contacts/5"

	results := make(chan result, 2)
	go func() { results <- do(t.Context(), hc, http.MethodGet, url, "t1") }()
	waitMisses(t, obs, 1)
	c.Invalidate(changes.Contacts, 5)
	go func() { results <- do(t.Context(), hc, http.MethodGet, url, "t1") }()
	waitMisses(t, obs, 1)
	b.Release()
	<-results
	<-results
	if got := up.total(); got != 2 {
		t.Errorf("upstream calls = %d, want 2", got)
	}
	if got := obs.shared.Load(); got != 0 {
		t.Errorf("shared waits = %d, want 0", got)
	}
}

func TestCache_CancelledWaiter(t *testing.T) {
	t.Parallel()
	t.Run("OthersStillServed", func(t *testing.T) {
		t.Parallel()
		up, b := blockingUpstream(t)
		obs := &counter{missed: make(chan struct{}, 2)}
		hc := clientFor(newCache(t, WithObserver(obs)), up)
		url := up.URL + "/api/v4/contacts"

		// The first caller starts the shared call, then gives up.
		ctx, cancel := context.WithCancel(t.Context())
		first := make(chan result, 1)
		go func() { first <- do(ctx, hc, http.MethodGet, url, "t1") }()
		waitMisses(t, obs, 1)
		second := make(chan result, 1)
		go func() { second <- do(t.Context(), hc, http.MethodGet, url, "t1") }()
		waitMisses(t, obs, 1)
		<-b.arrived
		cancel()
		if r := <-first; r.err == nil {
			t.Fatal("cancelled caller got an answer, want its context's error")
		}
		b.Release()
		if r := <-second; r.err != nil || r.status != 200 {
			t.Fatalf("other caller: %d %v, want 200", r.status, r.err)
		}
		if <-b.ctxDone {
			t.Error("the shared call was cancelled with its first caller")
		}
		if got := up.total(); got != 1 {
			t.Errorf("upstream calls = %d, want 1", got)
		}
	})
	t.Run("LastOneEndsTheCall", func(t *testing.T) {
		t.Parallel()
		up, b := blockingUpstream(t)
		obs := &counter{missed: make(chan struct{}, 2)}
		c := newCache(t, WithObserver(obs))
		hc := clientFor(c, up)
		url := up.URL + "/api/v4/contacts"

		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { do(ctx, hc, http.MethodGet, url, "t1") })
		}
		waitMisses(t, obs, 2)
		<-b.arrived
		cancel()
		wg.Wait()
		c.mu.Lock()
		left := len(c.flights)
		c.mu.Unlock()
		if left != 0 {
			t.Fatalf("%d calls still under way with nobody waiting for them", left)
		}
		if !<-b.ctxDone {
			t.Error("the shared call went on with nobody waiting for it")
		}
		// A later read starts a new call rather than joining the ended one.
		b.Release()
		if r := get(t, hc, url); r.status != 200 {
			t.Fatalf("later read: %d, want 200", r.status)
		}
	})
}

func TestCache_ScopesIsolated(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, echo)
	c := newCache(t)
	hc := clientFor(c, up)
	url := up.URL + "/api/v4/contacts/5"

	for _, token := range []string{"alice", "bob", "alice", "bob", ""} {
		r := do(t.Context(), hc, http.MethodGet, url, token)
		if r.err != nil {
			t.Fatal(r.err)
		}
		want := `"auth":"Bearer ` + token + `"`
		if token == "" {
			want = `"auth":""`
		}
		if !strings.Contains(r.body, want) {
			t.Errorf("token %q got %s, want an answer made for it", token, r.body)
		}
	}
	if got := up.total(); got != 3 {
		t.Errorf("upstream calls = %d, want 3 (one per credential)", got)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if strings.Contains(string(k.scope[:]), "alice") || strings.Contains(k.host+k.path+k.query, "alice") {
			t.Error("a key holds the token")
		}
	}
}
