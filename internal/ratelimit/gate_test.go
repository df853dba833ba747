package ratelimit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Pass-through mode brings a budget key per user: the shared budget's
// queues must not outlive their requests.
func TestShared_GatesEndWithTheirRequests(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	l, err := New(WithRate(1000), WithShared(rdb, "t:", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer up.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	c := &http.Client{Transport: l.Wrap(base)}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, up.URL, nil)
			req.Header.Set("Authorization", fmt.Sprintf("Bearer user-%d", i%5))
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	l.shared.gatesMu.Lock()
	defer l.shared.gatesMu.Unlock()
	if n := len(l.shared.gates); n != 0 {
		t.Fatalf("%d queues left after every request ended", n)
	}
}
