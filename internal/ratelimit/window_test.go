package ratelimit

import (
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// However long a request stalls between the limiter and the upstream, the
// upstream never counts more than the rate within one second.
func TestWindow_StallsNeverOverrun(t *testing.T) {
	const rps, requests = 20, 50
	l, err := New(WithRate(rps), WithMargin(0))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		arrivals []time.Time
	)
	upstream := rtFunc(func(r *http.Request) (*http.Response, error) {
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // stalled on the way out
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // the answer's way back
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}}, nil
	})
	rt := l.Wrap(upstream)
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, "http://upstream.invalid/", nil)
			req.Header.Set("Authorization", "Bearer one")
			if _, err := rt.RoundTrip(req); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	for i := rps; i < len(arrivals); i++ {
		if span := arrivals[i].Sub(arrivals[i-rps]); span < time.Second {
			t.Fatalf("arrivals %d and %d are %v apart: %d requests within one second", i-rps, i, span, rps+1)
		}
	}
}
