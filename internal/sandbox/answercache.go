package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Bounds of the answer cache. A list page of 250 contacts with every
// relation is a few hundred kilobytes, so 32 MiB holds the working set of a
// load test while staying small next to the gateway it measures.
const (
	answerCacheMaxBytes   = 32 << 20
	answerCacheMaxEntries = 4096
	answerMaxBodyBytes    = 4 << 20 // larger answers are served but never kept
)

// WithoutAnswerCache makes every GET run its handler. By default the
// sandbox memoises successful GET answers until the next write to its data,
// so that under load it spends its CPU on the gateway's measurements rather
// than on re-rendering the same pages; the answers are byte-identical.
func WithoutAnswerCache() Option { return func(c *config) { c.noAnswerCache = true } }

// versionedRWMutex is the store's lock. Taking it for writing bumps the
// version, so every mutation of the store invalidates memoised answers
// without any write handler having to remember to.
type versionedRWMutex struct {
	sync.RWMutex
	version atomic.Uint64
}

// Lock takes the write lock and bumps the version before the caller can
// mutate anything. A reader that loaded the old version and then renders
// new data is harmless: its answer is tagged with the old version and is
// therefore never served.
func (m *versionedRWMutex) Lock() {
	m.RWMutex.Lock()
	m.version.Add(1)
}

// answer is one memoised successful GET answer. X-Request-Id is not part of
// header: it must stay unique per request.
type answer struct {
	status int
	header http.Header
	body   []byte
	size   int // what the answer costs the cache, key included
}

// replay writes a to w exactly as the handler wrote it.
func (a *answer) replay(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = slices.Clone(v) // a is shared by concurrent requests
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// answerCache memoises answers for one version of the store; the first
// lookup after a write drops them all.
type answerCache struct {
	lock       *versionedRWMutex // the store's; its version is the truth
	maxBytes   int
	maxEntries int

	mu      sync.Mutex
	version uint64
	entries map[string]*answer
	bytes   int
}

func newAnswerCache(lock *versionedRWMutex) *answerCache {
	return &answerCache{
		lock: lock, maxBytes: answerCacheMaxBytes, maxEntries: answerCacheMaxEntries,
		entries: map[string]*answer{},
	}
}

// sync drops every entry once the store has moved past the version they
// were rendered from. The version is loaded under c.mu, so c.version never
// goes backwards. The caller holds c.mu.
func (c *answerCache) sync() uint64 {
	if v := c.lock.version.Load(); v != c.version {
		c.clear()
		c.version = v
	}
	return c.version
}

func (c *answerCache) clear() {
	clear(c.entries)
	c.bytes = 0
}

// get returns the answer memoised under key for the current store version
// (nil when there is none) and that version, which a miss must hand to put.
func (c *answerCache) get(key string) (*answer, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.sync()
	return c.entries[key], v
}

// put memoises a, rendered from store version v, unless a write has
// happened since: then a may hold data older or newer than the store's,
// and is dropped. When the cache is full it is emptied; the next requests
// refill it with what is actually in use.
func (c *answerCache) put(key string, v uint64, a *answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sync() != v || a.size > c.maxBytes {
		return
	}
	if old := c.entries[key]; old != nil {
		c.bytes -= old.size // a concurrent miss of the same request
		delete(c.entries, key)
	}
	if len(c.entries) >= c.maxEntries || c.bytes+a.size > c.maxBytes {
		c.clear()
	}
	c.entries[key] = a
	c.bytes += a.size
}

// answerKey names everything an answer depends on besides the store: the
// route, the scheme and host of its _links, and the request URI as the
// handler sees it. Parts are length-prefixed so that no two different
// requests can spell the same key.
func answerKey(route, base string, u *url.URL) string {
	var b strings.Builder
	for _, part := range []string{route, base, u.Path, u.RawPath, u.RawQuery} {
		b.WriteString(itoa(len(part)))
		b.WriteByte(':')
		b.WriteString(part)
	}
	return b.String()
}

// serveRoute runs the handler the mux matched for a call that passed the
// fault switches and authentication. A GET of the v4 API is answered from
// the cache when it holds this request's answer for the current data.
func (s *Sandbox) serveRoute(w http.ResponseWriter, r *http.Request, route string) {
	// HEAD matches GET patterns too; it is rare and is simply not cached.
	// Webhook subscriptions live outside the store, so its version does
	// not follow them: their list is never memoised.
	if s.answers == nil || r.Method != http.MethodGet || !strings.HasPrefix(route, "GET /api/v4/") ||
		route == "GET /api/v4/webhooks" {
		s.mux.ServeHTTP(w, r)
		return
	}
	key := answerKey(route, s.baseURL(r), r.URL)
	a, version := s.answers.get(key)
	if a != nil {
		a.replay(w)
		return
	}
	rec := &recordingWriter{ResponseWriter: w}
	s.mux.ServeHTTP(rec, r)
	if a := rec.answer(key); a != nil {
		s.answers.put(key, version, a)
	}
}

// recordingWriter passes a handler's answer through and keeps a copy of it
// when it is a 200 small enough to cache.
type recordingWriter struct {
	http.ResponseWriter
	status   int
	header   http.Header
	body     []byte
	overflow bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		// Headers set after this point are not sent, so this is what the
		// client gets, less the per-request id.
		w.header = w.Header().Clone()
		w.header.Del("X-Request-Id")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.status == http.StatusOK && !w.overflow {
		if len(w.body)+len(p) > answerMaxBodyBytes {
			w.overflow, w.body = true, nil
		} else {
			w.body = append(w.body, p...)
		}
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// answer returns what was recorded under key, or nil when it is not a
// complete 200 answer.
func (w *recordingWriter) answer(key string) *answer {
	if w.status != http.StatusOK || w.overflow || w.body == nil {
		return nil
	}
	size := len(key) + cap(w.body) + 64
	for k, v := range w.header {
		size += len(k)
		for _, s := range v {
			size += len(s)
		}
	}
	return &answer{status: w.status, header: w.header, body: w.body, size: size}
}
