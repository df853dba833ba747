package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func open(t *testing.T, mr *miniredis.Miniredis, id string) *Cluster {
	t.Helper()
	c, err := Open("redis://"+mr.Addr()+"/0", Options{ReplicaID: id, PingInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpen_URL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, wantErr string
	}{
		{"plain", "redis://127.0.0.1:1/0", ""},
		{"settings from the query", "redis://127.0.0.1:1/0?read_timeout=2s&pool_size=3", ""},
		{"tls", "rediss://127.0.0.1:1/0", ""},
		{"wrong scheme", "http://127.0.0.1:1/0", "scheme"},
		{"not a url", "redis://[::1", "not a URL"},
		{"unknown setting", "redis://:hunter2@127.0.0.1:1/0?bogus=1", "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Open(tt.url, Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q: want %q and no password", err, tt.wantErr)
			}
		})
	}
}

func TestOpen_AppliesShortDefaultsButKeepsTheURLs(t *testing.T) {
	t.Parallel()
	c, err := Open("redis://127.0.0.1:1/0?read_timeout=2s", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := c.Client().Options()
	if o.ReadTimeout != 2*time.Second || o.DialTimeout != time.Second || o.MaxRetries != 1 {
		t.Fatalf("read %s dial %s retries %d", o.ReadTimeout, o.DialTimeout, o.MaxRetries)
	}
}

func TestCluster_HealthFollowsRedis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	var turns []bool
	turned := make(chan bool, 16)
	c, err := Open("redis://"+mr.Addr(), Options{PingInterval: 20 * time.Millisecond, OnTurn: func(up bool, _ error) { turned <- up }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eventually(t, "up", c.Up)
	if s := c.Status(); !s.Up || s.Err != "" || s.Replicas != 1 {
		t.Fatalf("status %+v", s)
	}

	c.Report(nil)
	c.Report(redis.Nil)
	c.Report(context.Canceled)
	if !c.Up() {
		t.Fatal("an answer that is not a failure sent the cluster down")
	}

	mr.Close()
	c.Report(errors.New("dial tcp: connection refused"))
	if c.Up() {
		t.Fatal("Report did not send the cluster down at once")
	}
	if s := c.Status(); s.Up || s.Err == "" {
		t.Fatalf("status while down %+v", s)
	}
	time.Sleep(100 * time.Millisecond)
	if c.Up() {
		t.Fatal("up while Redis is gone")
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "up again", c.Up)
	if n := c.Outages(); n != 1 {
		t.Fatalf("Outages() = %d after one outage", n)
	}
	for len(turned) > 0 {
		turns = append(turns, <-turned)
	}
	if len(turns) < 3 || !turns[0] || turns[1] || !turns[len(turns)-1] {
		t.Fatalf("turns %v, want up, down, …, up", turns)
	}
}

func TestCluster_CountsReplicas(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	a := open(t, mr, "a")
	b := open(t, mr, "b")
	c := open(t, mr, "c")
	eventually(t, "three replicas", func() bool { return a.Replicas() == 3 && b.Replicas() == 3 && c.Replicas() == 3 })
	c.Close()
	eventually(t, "two after one closed", func() bool { return a.Replicas() == 2 })

	b.stopMonitorForTest()
	mr.FastForward(replicaTTL + time.Second) // b stopped beating long ago
	eventually(t, "one after one died", func() bool { return a.Replicas() == 1 })
}

// stopMonitorForTest stops c's heartbeat without removing it, as a replica
// that died would.
func (c *Cluster) stopMonitorForTest() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}
