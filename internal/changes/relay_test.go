package changes

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// go-redis logs each failed dial; the outage tests make many.
	redis.SetLogger(quietLog{})
	goleak.VerifyTestMain(m)
}

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

// testHealth is a Health the test can turn down, counting reports.
type testHealth struct {
	down    atomic.Bool
	reports atomic.Int64
}

func (h *testHealth) Up() bool       { return !h.down.Load() }
func (h *testHealth) Report(_ error) { h.reports.Add(1) }

// replica is one gateway replica's share of the relay: its Hub and Relay.
type replica struct {
	hub    *Hub
	relay  *Relay
	health *testHealth
}

// newRedisClient dials mr with timeouts short enough for failure tests.
func newRedisClient(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond, MaxRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// startReplica builds a replica on Redis at addr and runs its Relay until
// the test ends; it returns once the relay reads the stream.
func startReplica(t testing.TB, addr, prefix string) replica {
	rp := replica{hub: NewHub(1024), health: &testHealth{}}
	r, err := NewRelay(RelayConfig{Hub: rp.hub, Redis: newRedisClient(t, addr), Prefix: prefix,
		Health: rp.health, Block: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rp.relay = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; rp.hub.Close() })
	waitLive(t, r)
	return rp
}

// waitLive waits until r reads the stream, or fails the test after 5 s.
func waitLive(t testing.TB, r *Relay) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !r.live.Load() {
		if time.Now().After(deadline) {
			t.Fatal("relay never started reading the stream")
		}
		time.Sleep(time.Millisecond)
	}
}

// next is the next change s receives; the test fails if none comes in 5 s.
func next(t testing.TB, s *Subscription) Change {
	t.Helper()
	select {
	case c, ok := <-s.C:
		if !ok {
			t.Fatalf("subscription closed: %v", s.Err())
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5 s")
	}
	return Change{}
}

// expect checks that s receives want, in order, and nothing in between.
func expect(t *testing.T, name string, s *Subscription, want ...Change) {
	t.Helper()
	for i, w := range want {
		got := next(t, s)
		if got.Entity != w.Entity || got.Action != w.Action || got.ID != w.ID || !got.At.Equal(w.At) {
			t.Fatalf("%s: change %d = %+v, want %+v", name, i, got, w)
		}
	}
}

func TestRelay_EveryReplicaOnceInOrder(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	a := startReplica(t, mr.Addr(), "test:")
	b := startReplica(t, mr.Addr(), "test:")
	subA := a.hub.Subscribe(Filter{Entity: Contacts})
	subB := b.hub.Subscribe(Filter{Entity: Contacts})

	// The same contact updated at alternating times: every change is news
	// to a Hub, so a second delivery of any of them would show up (a Hub
	// drops only a repeat of an entity's last change).
	t0, t1 := time.Unix(1700000000, 0), time.Unix(1700000001, 0)
	var want []Change
	for i := range 50 {
		at := t0
		if i%2 == 1 {
			at = t1
		}
		c := Change{Entity: Contacts, Action: Updated, ID: 7, At: at, Received: time.Now()}
		want = append(want, c)
		a.relay.Publish(t.Context(), c)
	}
	end := Change{Entity: Contacts, Action: Deleted, ID: 8, At: t0}
	a.relay.Publish(t.Context(), end)
	want = append(want, end)

	expect(t, "origin replica", subA, want...)
	expect(t, "other replica", subB, want...)
	if n := len(subA.C) + len(subB.C); n != 0 {
		t.Errorf("%d changes after the last one published", n)
	}
	if s, err := mr.Stream("test:changes"); err != nil || len(s) != len(want) {
		t.Errorf("stream holds %d entries (%v), want one per Publish, %d", len(s), err, len(want))
	}
	if r := a.health.reports.Load() + b.health.reports.Load(); r != 0 {
		t.Errorf("%d failures reported with Redis up", r)
	}
}

// TestRelay_CallerGaveUp: a webhook's request context may end as soon as
// amoCRM has its answer, before Publish runs; the change must still reach
// the other replicas.
func TestRelay_CallerGaveUp(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	a := startReplica(t, mr.Addr(), "test:")
	b := startReplica(t, mr.Addr(), "test:")
	sub := b.hub.Subscribe(Filter{Entity: Leads})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := Change{Entity: Leads, Action: Updated, ID: 2, At: time.Unix(1700000000, 0)}
	a.relay.Publish(ctx, c)
	expect(t, "other replica", sub, c)
}

func TestRelay_RedisDownDeliversLocally(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		closeRedis  bool // Redis gone, Health not told yet
		healthDown  bool // Health already knows
		wantReports bool
	}{
		{name: "XADDFails", closeRedis: true, wantReports: true},
		{name: "HealthDown", healthDown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			a := startReplica(t, mr.Addr(), "test:")
			sub := a.hub.Subscribe(Filter{Entity: Leads})
			if tt.closeRedis {
				mr.Close()
			}
			a.health.down.Store(tt.healthDown)
			c := Change{Entity: Leads, Action: Added, ID: 1, At: time.Unix(1700000000, 0)}
			a.relay.Publish(t.Context(), c)
			expect(t, "local subscriber", sub, c)
			if got := a.health.reports.Load() > 0; got != tt.wantReports {
				t.Errorf("failure reported: %v, want %v", got, tt.wantReports)
			}
			if tt.healthDown {
				if s, _ := mr.Stream("test:changes"); len(s) != 0 {
					t.Errorf("Redis was called while down: %d stream entries", len(s))
				}
			}
		})
	}
}

// TestRelay_NotReadingYet: before Run reads the stream (start-up, or a
// reader backing off), a change still reaches local subscribers, and the
// other replicas through the stream.
func TestRelay_NotReadingYet(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	h := NewHub(4)
	r, err := NewRelay(RelayConfig{Hub: h, Redis: newRedisClient(t, mr.Addr()), Prefix: "test:"})
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Subscribe(Filter{Entity: Leads})
	c := Change{Entity: Leads, Action: Added, ID: 5}
	r.Publish(t.Context(), c) // no Run
	expect(t, "local subscriber", sub, c)
	if s, err := mr.Stream("test:changes"); err != nil || len(s) != 1 {
		t.Errorf("stream holds %d entries (%v), want 1", len(s), err)
	}
}

func TestRelay_NoRedis(t *testing.T) {
	t.Parallel()
	h := NewHub(4)
	r, err := NewRelay(RelayConfig{Hub: h})
	if err != nil {
		t.Fatal(err)
	}
	r.Run(t.Context()) // returns at once
	sub := h.Subscribe(Filter{Entity: Leads})
	c := Change{Entity: Leads, Action: Deleted, ID: 3}
	r.Publish(t.Context(), c)
	expect(t, "local subscriber", sub, c)
	if _, err := NewRelay(RelayConfig{}); err == nil {
		t.Error("NewRelay without a hub: no error")
	}
}

// TestRelay_ResumesAfterRedisReturns: a replica cut off from Redis
// delivers, once back, the entries added while it was away.
func TestRelay_ResumesAfterRedisReturns(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	link := newLink(t, mr.Addr())
	a := startReplica(t, mr.Addr(), "test:")
	b := startReplica(t, link.addr(), "test:")
	sub := b.hub.Subscribe(Filter{Entity: Companies})
	before := Change{Entity: Companies, Action: Added, ID: 1, At: time.Unix(1700000000, 0)}
	a.relay.Publish(t.Context(), before)
	expect(t, "before the outage", sub, before)

	link.cut()
	waitReported(t, b.health)
	during := Change{Entity: Companies, Action: Updated, ID: 1, At: time.Unix(1700000001, 0)}
	a.relay.Publish(t.Context(), during)
	link.restore(mr.Addr())
	waitLive(t, b.relay)
	after := Change{Entity: Companies, Action: Deleted, ID: 1, At: time.Unix(1700000002, 0)}
	a.relay.Publish(t.Context(), after)
	expect(t, "after the outage", sub, during, after)
}

// TestRelay_StreamWentBackInTime: Redis comes back restored from an older
// copy, with a clock behind, so new entries get ids below the reader's
// position. The reader must not wait for ids it will never reach, nor
// replay the old copy.
func TestRelay_StreamWentBackInTime(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	link := newLink(t, mr.Addr())
	b := startReplica(t, link.addr(), "test:")
	sub := b.hub.Subscribe(Filter{Entity: Customers})
	first := Change{Entity: Customers, Action: Added, ID: 1, At: time.Unix(1700000000, 0)}
	xadd(t, mr, first)
	expect(t, "before the outage", sub, first)

	link.cut()
	waitReported(t, b.health)
	restored := miniredis.RunT(t)
	restored.SetTime(time.Now().Add(-time.Hour))
	old := Change{Entity: Customers, Action: Updated, ID: 1, At: time.Unix(1600000000, 0)}
	if _, err := restored.XAdd("test:changes", "1000-0", encodeEntry(t, old)); err != nil {
		t.Fatal(err)
	}
	link.restore(restored.Addr())
	waitLive(t, b.relay) // false from the failed read until a resync succeeds
	news := Change{Entity: Customers, Action: Deleted, ID: 1, At: time.Unix(1700000001, 0)}
	xadd(t, restored, news)
	expect(t, "after the outage", sub, news)
}

// link is a TCP path to a Redis that the test can cut, as a network
// partition or a restarting Redis would, and restore, to the same or
// another Redis. (miniredis's own Close and Restart leave it unable to
// serve blocking reads afterwards.)
type link struct {
	ln net.Listener

	mu     sync.Mutex
	target string
	down   bool
	conns  map[net.Conn]struct{}
}

func newLink(t *testing.T, target string) *link {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.forward(c)
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done; l.cut() })
	return l
}

func (l *link) addr() string { return l.ln.Addr().String() }

// forward copies between c and the target until either side closes.
func (l *link) forward(c net.Conn) {
	l.mu.Lock()
	if l.down {
		l.mu.Unlock()
		_ = c.Close()
		return
	}
	u, err := net.Dial("tcp", l.target)
	if err != nil {
		l.mu.Unlock()
		_ = c.Close()
		return
	}
	l.conns[c], l.conns[u] = struct{}{}, struct{}{}
	l.mu.Unlock()
	go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
	_, _ = io.Copy(c, u)
	_ = c.Close()
}

// cut closes every connection and refuses new ones.
func (l *link) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = true
	for c := range l.conns {
		_ = c.Close()
	}
	clear(l.conns)
}

// restore lets connections through again, to target.
func (l *link) restore(target string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down, l.target = false, target
}

// waitReported waits until h was told of a failure, or fails after 5 s.
func waitReported(t *testing.T, h *testHealth) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.reports.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no failure reported")
		}
		time.Sleep(time.Millisecond)
	}
}

// xadd adds an entry of cs to mr's stream, as a Relay does.
func xadd(t *testing.T, mr *miniredis.Miniredis, cs ...Change) {
	t.Helper()
	if _, err := mr.XAdd("test:changes", "*", encodeEntry(t, cs...)); err != nil {
		t.Fatal(err)
	}
}

func encodeEntry(t *testing.T, cs ...Change) []string {
	t.Helper()
	b, err := json.Marshal(toWire(cs))
	if err != nil {
		t.Fatal(err)
	}
	return []string{entryField, string(b)}
}

func TestRelay_UnreadableEntrySkipped(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	b := startReplica(t, mr.Addr(), "test:")
	sub := b.hub.Subscribe(Filter{Entity: Leads})
	if _, err := mr.XAdd("test:changes", "*", []string{entryField, "{not json"}); err != nil {
		t.Fatal(err)
	}
	c := Change{Entity: Leads, Action: Added, ID: 9}
	xadd(t, mr, c)
	expect(t, "after a bad entry", sub, c)
}

func TestParseStreamID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    streamID
		wantErr bool
	}{
		{in: "0-0"},
		{in: "1700000000000-3", want: streamID{1700000000000, 3}},
		{in: "18446744073709551615-18446744073709551615", want: streamID{1<<64 - 1, 1<<64 - 1}},
		{in: "", wantErr: true},
		{in: "12", wantErr: true},
		{in: "a-1", wantErr: true},
		{in: "1--1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseStreamID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseStreamID(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}
