package cache

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// BenchmarkHitShared measures a GET answered by a shared cache, as
// BenchmarkHit does for a local one: from the memory tier (one Redis round
// trip, for the snapshot) and from Redis (the memory tier holds one answer
// and the loop alternates two, so each GET reads the snapshot, then the
// answer). miniredis runs in the benchmark's process and shares its CPU;
// redis-server, started on a free port when installed, is the real one.
// Ping is a bare round trip to the same server, for comparison.
func BenchmarkHitShared(b *testing.B) {
	servers := []struct {
		name  string
		start func(b *testing.B) string
	}{
		{"miniredis", func(b *testing.B) string { return miniredis.RunT(b).Addr() }},
		{"redis-server", startRedisServer},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			addr := srv.start(b)
			b.Run("Ping", func(b *testing.B) { // a bare round trip, to compare
				rdb := newRedisClient(b, addr)
				b.ReportAllocs()
				for b.Loop() {
					if err := rdb.Ping(b.Context()).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Memory", func(b *testing.B) {
				rt, reqs := sharedHitSetup(b, addr, 1)
				b.ReportAllocs()
				for b.Loop() {
					roundTrip(b, rt, reqs[0])
				}
			})
			b.Run("Redis", func(b *testing.B) {
				rt, reqs := sharedHitSetup(b, addr, 2)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					roundTrip(b, rt, reqs[i%2])
					i++
				}
			})
		})
	}
}

// sharedHitSetup returns a shared cache in front of a real upstream, with
// room for one answer in memory, and n requests whose answers another
// replica kept in Redis.
func sharedHitSetup(b *testing.B, addr string, n int) (http.RoundTripper, []*http.Request) {
	body := strings.Repeat("x", 8<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		io.WriteString(w, body)
	}))
	b.Cleanup(srv.Close)
	rdb := newRedisClient(b, addr)
	if err := rdb.FlushAll(b.Context()).Err(); err != nil {
		b.Fatal(err)
	}
	other := newCache(b, WithRedis(newRedisClient(b, addr), testPrefix, nil)).Wrap(srv.Client().Transport)
	obs := &counter{}
	rt := newCache(b, WithRedis(rdb, testPrefix, nil), WithMaxEntries(1), WithObserver(obs)).Wrap(srv.Client().Transport)
	b.Cleanup(func() {
		if n := obs.misses.Load(); n != 0 {
			b.Errorf("%d GETs missed the shared cache, want none", n)
		}
	})
	reqs := make([]*http.Request, n)
	for i := range reqs {
		req, err := http.NewRequest(http.MethodGet,
			srv.URL+"/api/v4/contacts?filter%5Bid%5D%5B%5D=1&filter%5Bid%5D%5B%5D=2&limit=20&page="+strconv.Itoa(i+1)+"&with=leads%2Ccustomers", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 900))
		roundTrip(b, other, req) // the miss, kept in Redis
		reqs[i] = req
	}
	roundTrip(b, rt, reqs[0])
	return rt, reqs
}

// startRedisServer runs redis-server without persistence on a free port
// for the benchmark, and skips it when redis-server is not installed.
func startRedisServer(b *testing.B) string {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		b.Skip("redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(path, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	rdb := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	for rdb.Ping(ctx).Err() != nil {
		select {
		case <-ctx.Done():
			b.Fatalf("redis-server on %s did not answer", addr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return addr
}
