package ratelimit_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/ratelimit"
)

// upstream stands in for amoCRM's budget: more than limit requests of one
// Authorization value within any one-second window get a 429 with an HTML
// body and no Retry-After, as amoCRM answers.
type upstream struct {
	t     *testing.T
	srv   *httptest.Server
	limit int
	// first, if set, answers the first request of every token instead.
	first func(w http.ResponseWriter)

	mu       sync.Mutex
	arrivals map[string][]time.Time
	ok       int
	tooMany  int
}

func newUpstream(t *testing.T, limit int) *upstream {
	t.Helper()
	u := &upstream{t: t, limit: limit, arrivals: map[string][]time.Time{}}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	token := r.Header.Get("Authorization")
	u.mu.Lock()
	prev := u.arrivals[token]
	u.arrivals[token] = append(prev, now)
	inWindow := 0
	for _, at := range prev {
		if now.Sub(at) < time.Second {
			inWindow++
		}
	}
	first := len(prev) == 0 && u.first != nil
	over := u.limit > 0 && inWindow >= u.limit
	if over {
		u.tooMany++
	} else if !first {
		u.ok++
	}
	u.mu.Unlock()

	switch {
	case first:
		u.first(w)
	case over:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, "<html><body><h1>429 Too Many Requests</h1></body></html>")
	default:
		w.Header().Set("Content-Type", "application/hal+json")
		io.WriteString(w, `{"_page":1}`)
	}
}

func (u *upstream) counts() (ok, tooMany int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ok, u.tooMany
}

func (u *upstream) times(token string) []time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]time.Time(nil), u.arrivals["Bearer "+token]...)
}

func (u *upstream) total() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, a := range u.arrivals {
		n += len(a)
	}
	return n
}

// testTransit is the transit bound of tests that judge the window by when
// an httptest handler runs. That is not when a request reaches the
// socket: on a loaded machine (CI runs every package's tests and three
// gateway processes at once on two cores) the handler can start more than
// the production bound after the request was written, which amoCRM's
// network arrival never does. Answers here come in milliseconds, so the
// first byte still bounds most arrivals, as in production.
const testTransit = 300 * time.Millisecond

// newClient returns an http.Client whose transport is lim over a fresh
// connection pool that is closed when the test ends.
func newClient(t *testing.T, lim *ratelimit.Limiter) *http.Client {
	t.Helper()
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: lim.Wrap(base)}
}

// newLimiter returns a Limiter with testTransit unless opts set another bound.
func newLimiter(t *testing.T, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	lim, err := ratelimit.New(append([]ratelimit.Option{ratelimit.WithTransitBound(testTransit)}, opts...)...)
	if err != nil {
		t.Fatalf("ratelimit.New: %v", err)
	}
	return lim
}

// get sends GET / with the bearer token and returns the status, reading and
// closing the body.
func get(ctx context.Context, c *http.Client, url, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
