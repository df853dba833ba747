package oauth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/amogql/amogql/internal/oauth"
	"github.com/amogql/amogql/internal/sandbox"
)

// cluster is one amoCRM account (the sandbox on a real socket) and one
// Redis (miniredis) shared by several replicas, each a TokenSource with its
// own Redis and HTTP clients.
type cluster struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	mr    *miniredis.Miniredis
	calls atomic.Int32              // token endpoint calls, counted on arrival
	gate  atomic.Pointer[tokenGate] // holds the next token endpoint call
}

// tokenGate holds one token endpoint call until the test releases it with
// what to do.
type tokenGate struct {
	arrived chan struct{}
	release chan gateAction
}

type gateAction int

const (
	gateAnswer gateAction = iota // the sandbox answers
	gateDrop                     // the connection is dropped unanswered
	gate502                      // a proxy in front answers 502
)

func newCluster(t *testing.T, opts ...sandbox.Option) *cluster {
	t.Helper()
	c := &cluster{t: t, sb: sandbox.New(opts...), mr: miniredis.RunT(t)}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/access_token" {
			c.calls.Add(1)
			if g := c.gate.Swap(nil); g != nil {
				close(g.arrived)
				switch <-g.release {
				case gateDrop:
					panic(http.ErrAbortHandler)
				case gate502:
					http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway)
					return
				}
			}
		}
		c.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(c.sb.Close)
	t.Cleanup(c.srv.Close)
	return c
}

// hold makes the next token endpoint call wait for the returned gate.
func (c *cluster) hold() *tokenGate {
	g := &tokenGate{arrived: make(chan struct{}), release: make(chan gateAction, 1)}
	c.gate.Store(g)
	return g
}

func (c *cluster) refreshCalls() int { return int(c.calls.Load()) }

// config is a replica's Config: its own Redis client and HTTP transport.
func (c *cluster) config(t *testing.T, refreshToken string) oauth.Config {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: c.mr.Addr(), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	tokenURL, err := oauth.TokenURLFor(c.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return oauth.Config{
		TokenURL: tokenURL, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURI: sandbox.DefaultRedirectURI, RefreshToken: refreshToken,
		HTTPClient: &http.Client{Timeout: 5 * time.Second, Transport: tr},
		Redis:      rdb, RedisPrefix: "amogql:",
	}
}

// replicas starts n TokenSources from the same initial refresh token.
func (c *cluster) replicas(t *testing.T, n int, mutate func(*oauth.Config)) []*oauth.TokenSource {
	t.Helper()
	initial := c.sb.IssueRefreshToken()
	out := make([]*oauth.TokenSource, n)
	for i := range out {
		cfg := c.config(t, initial)
		if mutate != nil {
			mutate(&cfg)
		}
		out[i] = newSource(t, cfg)
	}
	return out
}

// accepts reports whether the sandbox's API accepts tok.
func (c *cluster) accepts(t *testing.T, tok string) bool {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.srv.URL+"/api/v4/account", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// fakeHealth is a Health the test flips; Report marks it down, as
// internal/cluster's does.
type fakeHealth struct {
	down    atomic.Bool
	reports atomic.Int32
}

func (h *fakeHealth) Up() bool { return !h.down.Load() }
func (h *fakeHealth) Report(error) {
	h.reports.Add(1)
	h.down.Store(true)
}

// errorLog collects what OnError receives.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) has(target error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// storm calls Token from perReplica goroutines on each replica at once and
// returns every answer.
func storm(t *testing.T, reps []*oauth.TokenSource, perReplica int) []string {
	t.Helper()
	var wg sync.WaitGroup
	got := make([]string, len(reps)*perReplica)
	start := make(chan struct{})
	for i := range got {
		ts := reps[i%len(reps)]
		wg.Go(func() {
			<-start
			tok, err := ts.Token(t.Context())
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			got[i] = tok
		})
	}
	close(start)
	wg.Wait()
	return got
}

func TestShared_ReplicasRefreshOnce(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	tests := []struct {
		name   string
		expire bool // run a second storm once the first pair has expired
	}{
		{"Bootstrap", false},
		{"AfterExpiry", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, sandbox.WithAccessTokenTTL(ttl))
			reps := c.replicas(t, 3, nil)
			rounds := []string{"bootstrap"}
			if tt.expire {
				rounds = append(rounds, "expired")
			}
			prev := ""
			for n, round := range rounds {
				if round == "expired" {
					time.Sleep(ttl + 50*time.Millisecond) // every replica's copy is now expired
				}
				got := storm(t, reps, 40)
				if calls := c.refreshCalls(); calls != n+1 {
					t.Errorf("%s: token endpoint called %d times in all, want %d: one refresh for 3 replicas × 40 callers", round, calls, n+1)
				}
				for i, tok := range got {
					if tok != got[0] {
						t.Fatalf("%s: caller %d got a different token from caller 0", round, i)
					}
				}
				if got[0] == prev || !c.accepts(t, got[0]) {
					t.Errorf("%s: the token the callers got is not a new valid one", round)
				}
				prev = got[0]
			}
		})
	}
}

func TestShared_RefreshAfter401AdoptsOtherReplicasPair(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	initial := c.sb.IssueRefreshToken()
	a := newSource(t, c.config(t, initial)) // default MinRefreshInterval: its token is recent
	cfgB := c.config(t, initial)
	cfgB.MinRefreshInterval = time.Nanosecond
	b := newSource(t, cfgB)
	first, err := a.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := b.Token(t.Context()); err != nil || tok != first {
		t.Fatalf("replica B: Token = %v; want A's token adopted", err)
	}
	rotated, err := b.Refresh(t.Context(), first) // B saw a 401 and rotated
	if err != nil || rotated == first {
		t.Fatalf("replica B: Refresh = %v; want a new token", err)
	}
	calls := c.refreshCalls()
	got, err := a.Refresh(t.Context(), first) // A sees a 401 with the old token
	if err != nil {
		t.Fatalf("replica A: Refresh: %v", err)
	}
	if got != rotated || c.refreshCalls() != calls {
		t.Errorf("replica A: Refresh sent %d requests and returned B's token: %v; want none and true",
			c.refreshCalls()-calls, got == rotated)
	}
	if !c.accepts(t, got) {
		t.Error("the adopted token is not accepted")
	}
}

func TestShared_RefreshLostMidWay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		answer    bool // the held exchange is finally answered (slow) or dropped (died)
		wantAfter error
	}{
		{"HolderDied", false, oauth.ErrRefreshLost},
		{"HolderSlowerThanLock", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t)
			var logs [3]errorLog
			reps := make([]*oauth.TokenSource, 3)
			initial := c.sb.IssueRefreshToken()
			for i := range reps {
				cfg := c.config(t, initial)
				cfg.OnError = logs[i].add
				reps[i] = newSource(t, cfg)
			}
			g := c.hold()
			type result struct {
				tok string
				err error
			}
			holder := make(chan result, 1)
			go func() {
				tok, err := reps[0].Token(t.Context())
				holder <- result{tok, err}
			}()
			<-g.arrived
			c.mr.FastForward(time.Minute) // the holder's lock expires

			for i := 1; i < 3; i++ {
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				_, err := reps[i].Token(ctx)
				cancel()
				if !errors.Is(err, oauth.ErrRefreshLost) || !logs[i].has(oauth.ErrRefreshLost) {
					t.Errorf("replica %d while the holder is gone: err %v; want ErrRefreshLost, reported to OnError", i, err)
				}
			}
			g.release <- map[bool]gateAction{true: gateAnswer, false: gateDrop}[tt.answer]
			res := <-holder
			if tt.answer != (res.err == nil) {
				t.Fatalf("holder: Token = %v", res.err)
			}
			for i := 1; i < 3; i++ {
				tok, err := reps[i].Token(t.Context())
				if !errors.Is(err, tt.wantAfter) || (err == nil && tok != res.tok) {
					t.Errorf("replica %d after the holder finished: err %v, holder's token %v; want err %v",
						i, err, tok == res.tok, tt.wantAfter)
				}
			}
			if c.refreshCalls() != 1 {
				t.Errorf("token endpoint called %d times, want 1: nobody spends a marked refresh token again", c.refreshCalls())
			}
			if tt.answer && !c.accepts(t, res.tok) {
				t.Error("the slow holder's token is not accepted")
			}
		})
	}
}

func TestShared_FailedExchangeLeavesTokenSpendable(t *testing.T) {
	t.Parallel()
	refused := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		},
	}}
	tests := []struct {
		name      string
		client    *http.Client // replica A's
		action    gateAction   // what A's exchange gets when it arrives
		wantCalls int
	}{
		// The request never left: the refresh token is intact.
		{name: "NeverSent", client: refused, wantCalls: 1},
		// amoCRM (or its proxy) answered: whatever it did, no pair was
		// handed to anyone that a later refresh could race with.
		{name: "ServerError", action: gate502, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t)
			initial := c.sb.IssueRefreshToken()
			cfgA := c.config(t, initial)
			if tt.client != nil {
				cfgA.HTTPClient = tt.client
			}
			g := c.hold()
			g.release <- tt.action
			if _, err := newSource(t, cfgA).Token(t.Context()); !errors.Is(err, oauth.ErrUnavailable) {
				t.Fatalf("replica A: err %v, want ErrUnavailable", err)
			}
			c.gate.Store(nil)
			tok, err := newSource(t, c.config(t, initial)).Token(t.Context())
			if err != nil {
				t.Fatalf("replica B after A's failed exchange: %v; want a refresh", err)
			}
			if c.refreshCalls() != tt.wantCalls || !c.accepts(t, tok) {
				t.Errorf("%d token endpoint calls, token accepted %v; want %d and true", c.refreshCalls(), c.accepts(t, tok), tt.wantCalls)
			}
		})
	}
}

func TestShared_RedisDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		down func(c *cluster, h *fakeHealth)
	}{
		{"HealthSaysDown", func(_ *cluster, h *fakeHealth) { h.down.Store(true) }},
		{"CallsFail", func(c *cluster, _ *fakeHealth) { c.mr.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t)
			h := &fakeHealth{}
			reps := c.replicas(t, 2, func(cfg *oauth.Config) {
				cfg.Health, cfg.MinRefreshInterval = h, time.Nanosecond
			})
			a, b := reps[0], reps[1]
			first, err := a.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tok, err := b.Token(t.Context()); err != nil || tok != first {
				t.Fatalf("replica B: %v; want A's token", err)
			}

			commands := c.mr.CommandCount()
			tt.down(c, h)
			if tok, err := a.Token(t.Context()); err != nil || tok != first {
				t.Errorf("Token while Redis is down = %v; want the valid cached token", err)
			}
			if _, err := a.Refresh(t.Context(), first); !errors.Is(err, oauth.ErrStoreUnavailable) || !errors.Is(err, oauth.ErrUnavailable) {
				t.Errorf("Refresh while Redis is down: err %v; want ErrStoreUnavailable and ErrUnavailable", err)
			}
			if c.refreshCalls() != 1 {
				t.Errorf("%d token endpoint calls, want 1: no refresh while Redis is down", c.refreshCalls())
			}
			if tt.name == "HealthSaysDown" && c.mr.CommandCount() != commands {
				t.Errorf("%d Redis commands sent while Health said down, want 0", c.mr.CommandCount()-commands)
			}

			// Redis comes back empty.
			if tt.name == "CallsFail" {
				if err := c.mr.Restart(); err != nil {
					t.Fatal(err)
				}
			}
			c.mr.FlushAll()
			h.down.Store(false)
			if tok, err := a.Token(t.Context()); err != nil || tok != first {
				t.Fatalf("Token after recovery = %v; want the cached token", err)
			}
			if !hasKeySuffix(c.mr.Keys(), ":pair") {
				t.Fatalf("Redis keys after recovery = %v; want the pair re-seeded", c.mr.Keys())
			}
			c.mr.FastForward(time.Minute) // past the lock a re-seed takes
			second, err := a.Refresh(t.Context(), first)
			if err != nil || second == first || !c.accepts(t, second) {
				t.Fatalf("Refresh after recovery: %v; want a new valid token", err)
			}
			if tok, err := b.Refresh(t.Context(), first); err != nil || tok != second {
				t.Errorf("replica B after recovery: %v; want A's new token adopted", err)
			}
			if c.refreshCalls() != 2 {
				t.Errorf("%d token endpoint calls, want 2", c.refreshCalls())
			}
		})
	}
}

func TestShared_RedisWinsOverStoreFile(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	spent := c.sb.IssueRefreshToken()
	cfgA := c.config(t, spent)
	cfgA.StorePath = filepath.Join(t.TempDir(), "tokens.json")
	first, err := newSource(t, cfgA).Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f := readStore(t, cfgA.StorePath); f.AccessToken != first {
		t.Errorf("replica A's backup file holds another token")
	}
	// Replica B's file holds the pair A already rotated.
	cfgB := c.config(t, "")
	cfgB.StorePath = filepath.Join(t.TempDir(), "tokens.json")
	writeStore(t, cfgB.StorePath, storeFile{AccessToken: "old-access", RefreshToken: spent, ExpiresAt: time.Now().Add(-time.Minute)})
	tok, err := newSource(t, cfgB).Token(t.Context())
	if err != nil || tok != first {
		t.Fatalf("replica B: Token = %v; want the pair from Redis", err)
	}
	if c.refreshCalls() != 1 {
		t.Errorf("%d token endpoint calls, want 1", c.refreshCalls())
	}
	if f := readStore(t, cfgB.StorePath); f.AccessToken != first {
		t.Errorf("replica B's backup file was not updated to the pair from Redis")
	}
}

func hasKeySuffix(keys []string, suffix string) bool {
	for _, k := range keys {
		if strings.HasSuffix(k, suffix) {
			return true
		}
	}
	return false
}

func TestShared_ReseedWaitsForRefreshInFlight(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	reps := c.replicas(t, 2, func(cfg *oauth.Config) { cfg.MinRefreshInterval = time.Nanosecond })
	a, b := reps[0], reps[1]
	first, err := a.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := b.Token(t.Context()); err != nil || tok != first {
		t.Fatalf("replica B: %v; want A's token", err)
	}

	// A is refreshing when Redis restarts empty, losing A's lock and mark.
	g := c.hold()
	done := make(chan string, 1)
	go func() {
		tok, err := a.Refresh(t.Context(), first)
		if err != nil {
			t.Errorf("replica A: %v", err)
		}
		done <- tok
	}()
	<-g.arrived
	c.mr.FlushAll()

	// B re-seeds the pair it holds, but must not spend its refresh token
	// while A's exchange may still answer.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	_, err = b.Refresh(ctx, first)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || c.refreshCalls() != 2 {
		t.Errorf("replica B during A's refresh: err %v after %d token endpoint calls; want it waiting, and 2 calls", err, c.refreshCalls())
	}
	g.release <- gateAnswer
	second := <-done
	if tok, err := b.Refresh(t.Context(), first); err != nil || tok != second {
		t.Errorf("replica B after A's refresh: %v, A's token %v; want A's token adopted", err, tok == second)
	}
	if c.refreshCalls() != 2 || !c.accepts(t, second) {
		t.Errorf("%d token endpoint calls, token accepted %v; want 2 and true", c.refreshCalls(), c.accepts(t, second))
	}
}
