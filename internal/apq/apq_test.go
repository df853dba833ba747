package apq

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietLog{}) // go-redis logs each failed dial
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

const query = "query Contacts { contacts { id name } }"

// newStore is a replica's Store on the Redis at addr ("" for none).
func newStore(t *testing.T, addr string, h Health) *Store {
	t.Helper()
	var rdb redis.UniversalClient
	if addr != "" {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true,
			DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
			WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
		t.Cleanup(func() { _ = c.Close() })
		rdb = c
	}
	s, err := New(Config{Size: 10, Redis: rdb, Prefix: "test:", Health: h})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// apqRequest runs gqlgen's APQ extension on cache as for a request with
// the persisted-query extension, the query too if withQuery. It returns
// the query the request will run, or gqlgen's error code.
func apqRequest(t *testing.T, cache graphql.Cache[string], withQuery bool) (string, string) {
	t.Helper()
	ctx := graphql.WithOperationContext(t.Context(), &graphql.OperationContext{})
	p := &graphql.RawParams{Extensions: map[string]any{
		"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash(query)},
	}}
	if withQuery {
		p.Query = query
	}
	if err := (extension.AutomaticPersistedQuery{Cache: cache}).MutateOperationParameters(ctx, p); err != nil {
		code, _ := err.Extensions["code"].(string)
		if code == "" {
			code = err.Message
		}
		return "", code
	}
	return p.Query, ""
}

// TestStore_NextRequestOnAnotherReplica is the APQ protocol behind a load
// balancer: a client registers a query through replica A, then sends only
// its hash, to replica B.
func TestStore_NextRequestOnAnotherReplica(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		replicas func(t *testing.T) (a, b graphql.Cache[string])
		wantCode string
	}{
		{name: "LRUPerReplica", replicas: func(*testing.T) (a, b graphql.Cache[string]) {
			return lru.New[string](10), lru.New[string](10)
		}, wantCode: "PERSISTED_QUERY_NOT_FOUND"},
		{name: "SharedStore", replicas: func(t *testing.T) (a, b graphql.Cache[string]) {
			mr := miniredis.RunT(t)
			return newStore(t, mr.Addr(), nil), newStore(t, mr.Addr(), nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := tt.replicas(t)
			if _, code := apqRequest(t, a, true); code != "" {
				t.Fatalf("registering on A: %s", code)
			}
			got, code := apqRequest(t, b, false)
			if code != tt.wantCode {
				t.Fatalf("hash only, on B: code %q, want %q", code, tt.wantCode)
			}
			if code == "" && got != query {
				t.Errorf("B runs %q, want %q", got, query)
			}
		})
	}
}

func TestStore_Redis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	h := &testHealth{}
	a, b := newStore(t, mr.Addr(), h), newStore(t, mr.Addr(), h)
	key := hash(query)
	a.Add(t.Context(), key, query)
	if got := mr.TTL("test:apq:" + key); got != DefaultTTL {
		t.Errorf("TTL in Redis %v, want %v", got, DefaultTTL)
	}
	mr.FastForward(time.Hour)
	if q, ok := b.Get(t.Context(), key); !ok || q != query {
		t.Fatalf("B.Get = %q, %v", q, ok)
	}
	if got := mr.TTL("test:apq:" + key); got != DefaultTTL {
		t.Errorf("TTL after a read %v, want it refreshed to %v", got, DefaultTTL)
	}
	// Now B has it locally: no Redis call.
	n := mr.CommandCount()
	if _, ok := b.Get(t.Context(), key); !ok || mr.CommandCount() != n {
		t.Errorf("second B.Get: found %v, %d Redis calls", ok, mr.CommandCount()-n)
	}
	if h.reports.Load() != 0 {
		t.Errorf("%d failures reported with Redis up", h.reports.Load())
	}
}

func TestStore_RedisDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		closeRedis  bool // Redis gone, Health not told yet
		healthDown  bool // Health already knows
		wantReports bool
	}{
		{name: "CallsFail", closeRedis: true, wantReports: true},
		{name: "HealthDown", healthDown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			h := &testHealth{}
			a, b := newStore(t, mr.Addr(), h), newStore(t, mr.Addr(), h)
			n := mr.CommandCount()
			if tt.closeRedis {
				mr.Close()
			}
			h.down.Store(tt.healthDown)
			key := hash(query)
			a.Add(t.Context(), key, query)
			if q, ok := a.Get(t.Context(), key); !ok || q != query {
				t.Errorf("A.Get after A.Add = %q, %v; want the query, from A's LRU", q, ok)
			}
			if _, ok := b.Get(t.Context(), key); ok {
				t.Error("B found a query only A knows, with Redis down")
			}
			if got := h.reports.Load() > 0; got != tt.wantReports {
				t.Errorf("failure reported: %v, want %v", got, tt.wantReports)
			}
			if tt.healthDown && mr.CommandCount() != n {
				t.Errorf("%d Redis calls while Health said down", mr.CommandCount()-n)
			}
		})
	}
}

func TestStore_Refuses(t *testing.T) {
	t.Parallel()
	big := "query Big { " + strings.Repeat("contacts { id } ", MaxQueryBytes/16) + "}"
	tests := []struct {
		name  string
		key   string
		query string
		redis string // planted in Redis under key
	}{
		{name: "OverMaxQueryBytes", key: hash(big), query: big},
		{name: "NotAHash", key: "../etc", query: query},
		{name: "UpperCaseHash", key: strings.ToUpper(hash(query)), query: query},
		{name: "RedisHoldsAnotherQuery", key: hash(query), redis: "mutation { deleteEverything }"},
		{name: "RedisHoldsTooBig", key: hash(big), redis: big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			if tt.redis != "" {
				if err := mr.Set("test:apq:"+tt.key, tt.redis); err != nil {
					t.Fatal(err)
				}
			}
			a, b := newStore(t, mr.Addr(), nil), newStore(t, mr.Addr(), nil)
			if tt.query != "" {
				a.Add(t.Context(), tt.key, tt.query)
			}
			for name, s := range map[string]*Store{"A": a, "B": b} {
				if q, ok := s.Get(t.Context(), tt.key); ok {
					t.Errorf("%s.Get = %.40q…, want a miss", name, q)
				}
			}
			if tt.redis == "" && len(mr.Keys()) != 0 {
				t.Errorf("stored in Redis: %v", mr.Keys())
			}
		})
	}
}

func TestStore_LocalOnly(t *testing.T) {
	t.Parallel()
	s := newStore(t, "", nil)
	key := hash(query)
	if _, ok := s.Get(t.Context(), key); ok {
		t.Error("found before Add")
	}
	s.Add(t.Context(), key, query)
	if q, ok := s.Get(t.Context(), key); !ok || q != query {
		t.Errorf("Get = %q, %v", q, ok)
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New with size 0: no error")
	}
}
