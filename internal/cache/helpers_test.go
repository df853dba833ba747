package cache

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/changes"
)

// upstream is a real HTTP server that counts the calls it gets.
type upstream struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int // "GET /api/v4/contacts" -> n
}

// newUpstream serves h on a real socket and counts its calls by method and
// path (the query left out).
func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{calls: map[string]int{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.calls[r.Method+" "+r.URL.Path]++
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) count(methodPath string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[methodPath]
}

func (u *upstream) total() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, c := range u.calls {
		n += c
	}
	return n
}

// echo answers 200 with a JSON body naming the request and its token.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/hal+json")
	w.Header().Set("X-Request-Id", "upstream-id")
	io.WriteString(w, `{"path":"`+r.URL.RequestURI()+`","auth":"`+r.Header.Get("Authorization")+`"}`)
}

// newCache builds a cache with opts, failing the test on error.
func newCache(t testing.TB, opts ...Option) *Cache {
	t.Helper()
	c, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientFor is an HTTP client whose transport is wrapped by c.
func clientFor(c *Cache, u *upstream) *http.Client {
	return &http.Client{Transport: c.Wrap(u.Client().Transport), Timeout: 10 * time.Second}
}

// result is an answer as the client saw it.
type result struct {
	status int
	ctype  string
	body   string
	err    error
}

// do sends method to u's path with token and reads the answer.
func do(ctx context.Context, hc *http.Client, method, url, token string) result {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return result{err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: string(b), err: err}
}

// get is do with GET and the token "t1", failing the test on a transport error.
func get(t *testing.T, hc *http.Client, url string) result {
	t.Helper()
	r := do(t.Context(), hc, http.MethodGet, url, "t1")
	if r.err != nil {
		t.Fatalf("GET %s: %v", url, r.err)
	}
	return r
}

// counter is an Observer that counts.
type counter struct {
	hits, misses, shared, stale atomic.Int64
	mu                          sync.Mutex
	invalidated                 []changes.Entity
	missed                      chan struct{} // gets a value per miss or shared wait, if set
}

func (o *counter) CacheHit(string)  { o.hits.Add(1) }
func (o *counter) CacheMiss(string) { o.misses.Add(1); o.signal() }
func (o *counter) CacheShared(string) {
	o.shared.Add(1)
	o.signal()
}
func (o *counter) CacheStaleRefused(string) { o.stale.Add(1) }
func (o *counter) CacheInvalidated(e changes.Entity) {
	o.mu.Lock()
	o.invalidated = append(o.invalidated, e)
	o.mu.Unlock()
}

func (o *counter) signal() {
	if o.missed != nil {
		o.missed <- struct{}{}
	}
}

func (o *counter) invalidations() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := make([]string, len(o.invalidated))
	for i, e := range o.invalidated {
		s[i] = string(e)
	}
	return strings.Join(s, ",")
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
