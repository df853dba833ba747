package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// testPrefix starts the keys of the shared caches in tests.
const testPrefix = "test:"

// quietRedis silences go-redis's log of failed dials, which the tests that
// kill Redis make on purpose.
var quietRedis = sync.OnceFunc(func() { redis.SetLogger(discardLogger{}) })

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// newRedisClient returns a client of the Redis at addr that fails at once
// when Redis is gone, as the gateway's short timeouts do.
func newRedisClient(t testing.TB, addr string) *redis.Client {
	quietRedis()
	rdb := redis.NewClient(&redis.Options{
		Addr:            addr,
		MaxRetries:      -1,
		DialerRetries:   1,
		DialTimeout:     250 * time.Millisecond,
		ReadTimeout:     250 * time.Millisecond,
		WriteTimeout:    250 * time.Millisecond,
		DisableIdentity: true,
		Protocol:        2, // as internal/cluster's client
	})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// fakeHealth is a Health that goes down on the first report and up when
// the test says so, as a monitor whose PING succeeds again; it counts the
// outages.
type fakeHealth struct {
	down    atomic.Bool
	reports atomic.Int64
	outages atomic.Uint64
}

func (h *fakeHealth) Up() bool         { return !h.down.Load() }
func (h *fakeHealth) Outages() uint64  { return h.outages.Load() }
func (h *fakeHealth) Report(err error) { h.reports.Add(1); h.goDown() }
func (h *fakeHealth) goUp()            { h.down.Store(false) }
func (h *fakeHealth) goDown() {
	if h.down.CompareAndSwap(false, true) {
		h.outages.Add(1)
	}
}

// plainHealth is a fakeHealth that counts no outages.
type plainHealth struct{ h *fakeHealth }

func (p plainHealth) Up() bool         { return p.h.Up() }
func (p plainHealth) Report(err error) { p.h.Report(err) }

// versioned serves contacts whose answers carry a version that every write
// (any method but GET) bumps, as amoCRM applies it.
func versioned(t *testing.T) (*upstream, *atomic.Int64) {
	v := new(atomic.Int64)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		if r.Method != http.MethodGet {
			io.Copy(io.Discard, r.Body)
			v.Add(1)
			io.WriteString(w, `{}`)
			return
		}
		fmt.Fprintf(w, `{"path":%q,"v":%d}`, r.URL.Path, v.Load())
	})
	return up, v
}

// replica is one gateway process's cache in front of the upstream.
type replica struct {
	c   *Cache
	hc  *http.Client
	obs *counter
	up  *upstream
}

// newReplica returns a cache shared through rdb in front of up.
func newReplica(t *testing.T, rdb redis.UniversalClient, h Health, up *upstream, opts ...Option) replica {
	t.Helper()
	obs := &counter{}
	c := newCache(t, append([]Option{WithRedis(rdb, testPrefix, h), WithObserver(obs)}, opts...)...)
	return replica{c: c, hc: clientFor(c, up), obs: obs, up: up}
}

// read GETs path with the token t1 and returns the body.
func (r replica) read(t *testing.T, path string) string {
	t.Helper()
	res := get(t, r.hc, r.up.URL+path)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, res.status)
	}
	return res.body
}

// write sends method to path with the token t1.
func (r replica) write(t *testing.T, method, path string) {
	t.Helper()
	if res := do(t.Context(), r.hc, method, r.up.URL+path, "t1"); res.err != nil || res.status != http.StatusOK {
		t.Fatalf("%s %s: %d %v", method, path, res.status, res.err)
	}
}

// epochOf returns the epoch mr holds.
func epochOf(mr *miniredis.Miniredis) string {
	return mr.HGet(testPrefix+"cache:gens", "epoch")
}

// waitFor waits until cond holds, failing the test if it does not within
// a generous bound (a hang, not a speed, is what it catches).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	give := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-give:
			t.Fatalf("gave up waiting until %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// contactBody is what versioned answers for /api/v4/contacts/5 at v.
func contactBody(v int64) string { return fmt.Sprintf(`{"path":"/api/v4/contacts/5","v":%d}`, v) }

// dump is a copy of a miniredis's keys, as a Redis saved to disk.
type dump struct {
	strings map[string]string
	ttls    map[string]time.Duration
	hashes  map[string]map[string]string
}

func save(t *testing.T, mr *miniredis.Miniredis) dump {
	t.Helper()
	d := dump{strings: map[string]string{}, ttls: map[string]time.Duration{}, hashes: map[string]map[string]string{}}
	for _, k := range mr.Keys() {
		switch mr.Type(k) {
		case "string":
			v, err := mr.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			d.strings[k], d.ttls[k] = v, mr.TTL(k)
		case "hash":
			fields, err := mr.HKeys(k)
			if err != nil {
				t.Fatal(err)
			}
			d.hashes[k] = map[string]string{}
			for _, f := range fields {
				d.hashes[k][f] = mr.HGet(k, f)
			}
		default:
			t.Fatalf("key %q of type %q", k, mr.Type(k))
		}
	}
	return d
}

// restore replaces what mr holds by d.
func (d dump) restore(t *testing.T, mr *miniredis.Miniredis) {
	t.Helper()
	mr.FlushAll()
	for k, v := range d.strings {
		if err := mr.Set(k, v); err != nil {
			t.Fatal(err)
		}
		if d.ttls[k] > 0 {
			mr.SetTTL(k, d.ttls[k])
		}
	}
	for k, fields := range d.hashes {
		for f, v := range fields {
			mr.HSet(k, f, v)
		}
	}
}

// partition is a go-redis hook that fails every call while cut, as a
// network partition between one replica and Redis, and counts the calls
// (a pipeline as one).
type partition struct {
	cut   atomic.Bool
	calls atomic.Int64
}

var errPartition = errors.New("partitioned from Redis")

func (p *partition) DialHook(next redis.DialHook) redis.DialHook { return next }

func (p *partition) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		p.calls.Add(1)
		if p.cut.Load() {
			cmd.SetErr(errPartition)
			return errPartition
		}
		return next(ctx, cmd)
	}
}

func (p *partition) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		p.calls.Add(1)
		if p.cut.Load() {
			for _, cmd := range cmds {
				cmd.SetErr(errPartition)
			}
			return errPartition
		}
		return next(ctx, cmds)
	}
}
