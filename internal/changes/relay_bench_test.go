package changes

import (
	"context"
	"crypto/rand"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// BenchmarkRelay_Latency measures how long a change published on one
// replica takes to reach a subscriber on another, and reports its p50 and
// p99. It runs on miniredis, or on the Redis at BENCH_REDIS_ADDR
// (host:port) when set, under a fresh key prefix.
func BenchmarkRelay_Latency(b *testing.B) {
	addr := os.Getenv("BENCH_REDIS_ADDR")
	if addr == "" {
		addr = miniredis.RunT(b).Addr()
	}
	prefix := "bench:" + rand.Text() + ":"
	a := startReplica(b, addr, prefix)
	other := startReplica(b, addr, prefix)
	rdb := newRedisClient(b, addr)
	b.Cleanup(func() { _ = rdb.Del(context.Background(), prefix+"changes").Err() })
	sub := other.hub.Subscribe(Filter{Entity: Leads})

	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		a.relay.Publish(b.Context(), Change{Entity: Leads, Action: Updated, ID: 1,
			At: time.Unix(int64(i), 0), Received: start})
		c, ok := <-sub.C
		if !ok {
			b.Fatalf("subscription closed: %v", sub.Err())
		}
		lat = append(lat, time.Since(c.Received))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
