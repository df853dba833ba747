package loader

import (
	"context"
	"sync"

	"github.com/graph-gophers/dataloader/v7"
)

// cache is the loaders' per-request cache. Unlike the dataloader's own it can
// take a thunk for a fetch that is already under way (see prefetch), which is
// how a list resolver hands the ids it holds to the loaders without waiting
// for a batching window.
type cache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]dataloader.Thunk[V]
}

func newCache[K comparable, V any]() *cache[K, V] {
	return &cache[K, V]{m: make(map[K]dataloader.Thunk[V])}
}

func (c *cache[K, V]) Get(_ context.Context, k K) (dataloader.Thunk[V], bool) {
	c.mu.Lock()
	t, ok := c.m[k]
	c.mu.Unlock()
	return t, ok
}

func (c *cache[K, V]) Set(_ context.Context, k K, t dataloader.Thunk[V]) {
	c.mu.Lock()
	c.m[k] = t
	c.mu.Unlock()
}

func (c *cache[K, V]) Delete(_ context.Context, k K) bool {
	c.mu.Lock()
	_, ok := c.m[k]
	delete(c.m, k)
	c.mu.Unlock()
	return ok
}

func (c *cache[K, V]) Clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// claim returns the keys not yet cached and caches a thunk for each that
// waits for done and then reads results. Keys already cached are left alone,
// so a key is never fetched twice.
func (c *cache[K, V]) claim(keys []K, done <-chan struct{}, results *map[K]V, errp *error) []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []K
	for _, k := range keys {
		if _, ok := c.m[k]; ok {
			continue
		}
		c.m[k] = func() (V, error) {
			<-done
			if *errp != nil {
				var zero V
				return zero, *errp
			}
			return (*results)[k], nil
		}
		missing = append(missing, k)
	}
	return missing
}
