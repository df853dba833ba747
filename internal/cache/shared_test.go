package cache

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/amogql/amogql/internal/changes"
)

// TestShared_Replicas runs two replicas on one Redis: what one fetches the
// other serves, and a change reported to or written through either is seen
// by the next read of both.
func TestShared_Replicas(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts/5"
	tests := []struct {
		name   string
		change func(t *testing.T, a, b replica, v *atomic.Int64)
		reader int // 0: a, 1: b
		fresh  bool
	}{
		{"Nothing", func(*testing.T, replica, replica, *atomic.Int64) {}, 1, false},
		{"PatchThroughA", func(t *testing.T, a, _ replica, _ *atomic.Int64) {
			a.write(t, http.MethodPatch, path)
		}, 1, true},
		{"BatchPatchThroughA", func(t *testing.T, a, _ replica, _ *atomic.Int64) {
			a.write(t, http.MethodPatch, "/api/v4/contacts")
		}, 1, true},
		{"NoteThroughB", func(t *testing.T, _, b replica, _ *atomic.Int64) {
			b.write(t, http.MethodPost, "/api/v4/contacts/5/notes")
		}, 0, true},
		{"InvalidateOnB", func(_ *testing.T, _, b replica, v *atomic.Int64) {
			v.Add(1)
			b.c.Invalidate(changes.Contacts, 5)
		}, 0, true},
		{"InvalidateOnAReachesB", func(_ *testing.T, a, _ replica, v *atomic.Int64) {
			v.Add(1)
			a.c.Invalidate(changes.Contacts, 5)
		}, 1, true},
		{"InvalidateOfUnknownIDs", func(_ *testing.T, _, b replica, v *atomic.Int64) {
			v.Add(1)
			b.c.Invalidate(changes.Contacts)
		}, 0, true},
		{"InvalidateOfEmbeddedCompany", func(_ *testing.T, _, b replica, v *atomic.Int64) {
			v.Add(1)
			b.c.Invalidate(changes.Companies, 3)
		}, 0, true},
		{"InvalidateOfAnotherID", func(_ *testing.T, _, b replica, _ *atomic.Int64) {
			b.c.Invalidate(changes.Contacts, 6)
		}, 0, false},
		{"InvalidateOfAnotherType", func(_ *testing.T, _, b replica, _ *atomic.Int64) {
			b.c.Invalidate(changes.Leads, 5)
		}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			up, v := versioned(t)
			a := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
			b := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
			gets := func() int { return up.count("GET " + path) }

			first := a.read(t, path)
			if got := b.read(t, path); got != first || gets() != 1 {
				t.Fatalf("B read %q after %d upstream GETs, want A's %q after 1", got, gets(), first)
			}
			tt.change(t, a, b, v)
			readers := []replica{a, b}
			r, other := readers[tt.reader], readers[1-tt.reader]
			got := r.read(t, path)
			wantGets := 1
			if tt.fresh {
				wantGets = 2
			}
			if got != contactBody(v.Load()) || gets() != wantGets {
				t.Fatalf("read after the change = %q after %d upstream GETs, want %q after %d",
					got, gets(), contactBody(v.Load()), wantGets)
			}
			// The answer read after the change is shared and kept too.
			if o, again := other.read(t, path), r.read(t, path); o != got || again != got || gets() != wantGets {
				t.Errorf("reads after = %q, %q after %d upstream GETs, want %q twice after %d", o, again, gets(), got, wantGets)
			}
		})
	}
}

// TestShared_ScopesIsolated: replicas share an answer only with the same
// credential, since amoCRM answers depend on the user's rights.
func TestShared_ScopesIsolated(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	up := newUpstream(t, echo)
	a := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
	b := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
	url := up.URL + "/api/v4/contacts"
	ra := do(t.Context(), a.hc, http.MethodGet, url, "alice")
	rb := do(t.Context(), b.hc, http.MethodGet, url, "bob")
	if ra.err != nil || rb.err != nil {
		t.Fatal(ra.err, rb.err)
	}
	if got := up.total(); got != 2 || ra.body == rb.body {
		t.Errorf("upstream calls = %d (bodies %q, %q), want 2 with each token's own", got, ra.body, rb.body)
	}
}

// TestShared_RedisDown kills Redis under two replicas: reads go upstream
// (nothing is served from before, nothing kept), and changes made meanwhile
// reach no replica through Redis. Once Redis is back, empty or with what it
// held, no answer from before the outage is served, and caching works again.
func TestShared_RedisDown(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts/5"
	tests := []struct {
		name   string
		health string // "none", "plain" (Up and Report), "outages" (counts them too)
		empty  bool   // Redis comes back empty
		bFirst bool   // B, idle during the outage, reads first after it
	}{
		{"EmptyNoHealth", "none", true, true},
		{"EmptyPlainHealth", "plain", true, true},
		{"EmptyHealthCountingOutages", "outages", true, true},
		{"KeptNoHealth", "none", false, false},
		{"KeptPlainHealth", "plain", false, false},
		{"KeptHealthCountingOutages", "outages", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			up, _ := versioned(t)
			fake := &fakeHealth{}
			var h Health
			switch tt.health {
			case "plain":
				h = plainHealth{fake}
			case "outages":
				h = fake
			}
			a := newReplica(t, newRedisClient(t, mr.Addr()), h, up)
			b := newReplica(t, newRedisClient(t, mr.Addr()), h, up)
			gets := func() int { return up.count("GET " + path) }
			a.read(t, path)
			b.read(t, path)
			epoch := epochOf(mr)

			mr.Close()
			for i := range 3 {
				if got := a.read(t, path); got != contactBody(0) || gets() != 2+i {
					t.Fatalf("read %d while Redis is down: %q after %d upstream GETs, want an upstream call", i, got, gets())
				}
			}
			a.write(t, http.MethodPatch, path) // its invalidation reaches no one
			a.c.Invalidate(changes.Contacts, 5)
			if got := a.read(t, path); got != contactBody(1) {
				t.Fatalf("read after a write while Redis is down = %q, want %q", got, contactBody(1))
			}
			if h != nil && fake.reports.Load() == 0 {
				t.Error("no failure reported to Health")
			}
			if hits := a.obs.hits.Load(); hits != 0 {
				t.Errorf("A's hits = %d, want 0 (nothing cached while Redis is down)", hits)
			}

			if err := mr.Restart(); err != nil {
				t.Fatal(err)
			}
			if tt.empty {
				mr.FlushAll()
			}
			fake.goUp()
			order := []replica{a, b}
			if tt.bFirst {
				order = []replica{b, a}
			}
			for i, r := range order {
				if got := r.read(t, path); got != contactBody(1) {
					t.Fatalf("read after Redis is back = %q, want %q", got, contactBody(1))
				}
				if i == 0 && !tt.bFirst {
					// B cannot know of the outage: only the epoch A
					// sets tells it (see shared.go).
					waitFor(t, "A set a new epoch", func() bool { return epochOf(mr) != epoch })
				}
			}
			waitFor(t, "A's retries ended", func() bool { return !a.c.shared.retrying.Load() })
			for _, r := range order {
				if got := r.read(t, path); got != contactBody(1) {
					t.Fatalf("second read after Redis is back = %q, want %q", got, contactBody(1))
				}
			}
			before := gets()
			for _, r := range order {
				r.read(t, path)
			}
			if gets() != before {
				t.Errorf("upstream GETs = %d after recovery, want %d (cached again)", gets(), before)
			}
		})
	}
}

// TestShared_RedisRestoredOlder brings Redis back from a copy saved before
// a change: its counters and its answers are those from before the change,
// which no replica may serve after it.
func TestShared_RedisRestoredOlder(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts/5"
	tests := []struct {
		name   string
		bFirst bool // B, idle during the outage, reads first after it
	}{
		{"ReplicaThatSawTheOutageFirst", false},
		{"IdleReplicaFirst", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			up, _ := versioned(t)
			h := &fakeHealth{}
			a := newReplica(t, newRedisClient(t, mr.Addr()), h, up)
			b := newReplica(t, newRedisClient(t, mr.Addr()), h, up)
			a.read(t, path)
			b.read(t, path)
			old := save(t, mr)

			a.write(t, http.MethodPatch, path)
			a.read(t, path)
			if got := b.read(t, path); got != contactBody(1) {
				t.Fatalf("B read %q after A's write, want %q", got, contactBody(1))
			}

			mr.Close()
			a.read(t, path)
			if err := mr.Restart(); err != nil {
				t.Fatal(err)
			}
			old.restore(t, mr)
			h.goUp()
			order := []replica{a, b}
			if tt.bFirst {
				order = []replica{b, a}
			}
			for _, r := range order {
				if got := r.read(t, path); got != contactBody(1) {
					t.Fatalf("read after Redis came back older = %q, want %q", got, contactBody(1))
				}
			}
		})
	}
}

// TestShared_CountersLost drops the counters while no replica sees Redis
// fail (evicted under an allkeys-* maxmemory policy, or flushed): they read
// 0 again, which an answer from before the change they counted was kept
// under; the epoch went with them, so that answer is not served.
func TestShared_CountersLost(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts/5"
	tests := []struct {
		name string
		lose func(mr *miniredis.Miniredis)
	}{
		{"HashEvicted", func(mr *miniredis.Miniredis) { mr.Del(testPrefix + "cache:gens") }},
		{"Flushed", func(mr *miniredis.Miniredis) { mr.FlushAll() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			up, v := versioned(t)
			a := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
			b := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
			a.read(t, path)
			v.Add(1)
			b.c.Invalidate(changes.Contacts, 5)
			b.read(t, path)
			tt.lose(mr)
			for _, r := range []replica{a, b} {
				if got := r.read(t, path); got != contactBody(1) {
					t.Errorf("read after the counters were lost = %q, want %q", got, contactBody(1))
				}
			}
		})
	}
}

// TestShared_NoRedisCallWhileDown: while Health says Redis is down, reads,
// writes and change notices go on without calling Redis, and nothing is
// cached.
func TestShared_NoRedisCallWhileDown(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts/5"
	mr := miniredis.RunT(t)
	up, _ := versioned(t)
	hook := &partition{}
	rdb := newRedisClient(t, mr.Addr())
	rdb.AddHook(hook)
	h := &fakeHealth{}
	// The short TTL bounds the background retry of the lost change.
	a := newReplica(t, rdb, h, up, WithTTL(time.Second))
	a.read(t, path)
	h.goDown()
	before := hook.calls.Load()
	for range 2 {
		if got := a.read(t, path); got != contactBody(0) {
			t.Fatalf("read while down = %q", got)
		}
	}
	a.write(t, http.MethodPatch, path)
	a.c.Invalidate(changes.Contacts, 5)
	if got := hook.calls.Load() - before; got != 0 {
		t.Errorf("Redis calls while down = %d, want 0", got)
	}
	if got := up.count("GET " + path); got != 3 {
		t.Errorf("upstream GETs = %d, want 3 (every read while down)", got)
	}
}

// TestShared_LostInvalidationRetried cuts one replica off Redis while a
// change is reported to it: the other replica, which still reaches Redis,
// cannot know of it; once the cut heals, the first replica sets a new epoch
// without waiting for a request, and the other stops serving what it kept.
func TestShared_LostInvalidationRetried(t *testing.T) {
	t.Parallel()
	const path = "/api/v4/contacts/5"
	mr := miniredis.RunT(t)
	up, v := versioned(t)
	cut := &partition{}
	rdbA := newRedisClient(t, mr.Addr())
	rdbA.AddHook(cut)
	a := newReplica(t, rdbA, nil, up)
	b := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
	b.read(t, path)
	epoch := epochOf(mr)

	cut.cut.Store(true)
	v.Add(1)
	a.c.Invalidate(changes.Contacts, 5)
	cut.cut.Store(false)
	waitFor(t, "a new epoch", func() bool { return epochOf(mr) != epoch })
	if got := b.read(t, path); got != contactBody(1) {
		t.Errorf("B read %q after the lost invalidation was retried, want %q", got, contactBody(1))
	}
}

// TestShared_FetchRacingRemoteInvalidationIsNotKept reports a change to
// one replica while the other's read is at the upstream: its answer may
// predate the change, so neither keeps it.
func TestShared_FetchRacingRemoteInvalidationIsNotKept(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	up, blk := blockingUpstream(t)
	a := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
	b := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
	url := up.URL + "/api/v4/contacts/5"
	done := make(chan result, 1)
	go func() { done <- do(t.Context(), a.hc, http.MethodGet, url, "t1") }()
	<-blk.arrived
	b.c.Invalidate(changes.Contacts, 5)
	blk.Release()
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	if got := a.obs.stale.Load(); got != 1 {
		t.Errorf("stale stores refused = %d, want 1", got)
	}
	for _, r := range []replica{a, b} {
		if res := do(t.Context(), r.hc, http.MethodGet, url, "t1"); res.err != nil {
			t.Fatal(res.err)
		}
	}
	if got := up.total(); got != 2 {
		t.Errorf("upstream calls = %d, want 2 (one racing, one kept and shared)", got)
	}
}

// TestShared_TopicOverflowNotKept: a topic past the local table's bound
// has no name of its own in Redis, so its GETs are not kept when shared
// (another replica may name it otherwise).
func TestShared_TopicOverflowNotKept(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	up := newUpstream(t, echo)
	a := newReplica(t, newRedisClient(t, mr.Addr()), nil, up)
	for i := range maxTopics {
		a.c.topics.get("filler" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	for range 2 {
		a.read(t, "/api/v4/overflowing")
	}
	if got := up.total(); got != 2 {
		t.Errorf("upstream calls = %d, want 2", got)
	}
}

func TestAnswerEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    *answer
	}{
		{"Body", &answer{status: 200, statusLine: "200 OK", header: http.Header{"Content-Type": {"application/hal+json"}}, body: []byte(`{"id":1}`)}},
		{"NoContent", &answer{status: 204, statusLine: "204 No Content", header: http.Header{}}},
		{"SeveralValues", &answer{status: 200, statusLine: "200 OK", header: http.Header{"A": {"1", "2"}, "B": {""}}, body: bytes.Repeat([]byte{0, 0xff}, 300)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := encodeAnswer(tt.a)
			got, err := decodeAnswer(data)
			if err != nil {
				t.Fatal(err)
			}
			opt := cmp.AllowUnexported(answer{})
			want := *tt.a
			if len(want.body) == 0 {
				want.body = []byte{}
			}
			if diff := cmp.Diff(&want, got, opt); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			// A cut copy is refused or read short, never a panic.
			for i := range len(data) {
				decodeAnswer(data[:i])
			}
			if _, err := decodeAnswer(append([]byte{9}, data[1:]...)); err == nil {
				t.Error("another format was read")
			}
		})
	}
}
