package loader

import (
	"context"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/amocrm"
)

// TestMetadataScopes: a list kept for one credential is not served to
// another, and is dropped once its TTL has passed; TTL 0 keeps nothing.
func TestMetadataScopes(t *testing.T) {
	t.Parallel()
	held := context.Background()
	alice := amocrm.ContextWithBearer(held, "Bearer alice")
	bob := amocrm.ContextWithBearer(held, "Bearer bob")
	cases := []struct {
		name   string
		ttl    time.Duration
		put    context.Context
		get    context.Context
		after  time.Duration
		wantOK bool
	}{
		{"same credential within the TTL", time.Minute, alice, alice, 59 * time.Second, true},
		{"the gateway's own credential", time.Minute, held, held, time.Second, true},
		{"another credential", time.Minute, alice, bob, time.Second, false},
		{"a token against the gateway's credential", time.Minute, held, alice, time.Second, false},
		{"after the TTL", time.Minute, alice, alice, time.Minute, false},
		{"TTL 0", 0, alice, alice, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			now := time.Unix(1_700_000_000, 0)
			m := NewMetadata(c.ttl)
			m.now = func() time.Time { return now }
			m.put(c.put, "users", "list")
			now = now.Add(c.after)
			v, ok := m.get(c.get, "users")
			if ok != c.wantOK || ok && v != "list" {
				t.Errorf("get = %v, %v; want found %v", v, ok, c.wantOK)
			}
			if _, ok := m.get(c.put, "pipelines"); ok {
				t.Error("another kind of list was served")
			}
		})
	}
}
