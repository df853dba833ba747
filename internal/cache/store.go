package cache

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"io"
	"net/http"
	"strconv"
	"time"
)

// key identifies an answer: who asked (a salted hash of the Authorization
// header, never the header itself), how and for what.
type key struct {
	scope  [sha256.Size]byte
	method string
	host   string
	path   string
	query  string // canonical: see readQuery
}

func (c *Cache) scopeOf(r *http.Request) [sha256.Size]byte {
	var buf [2048]byte // amoCRM's JWTs fit, so hashing allocates nothing
	b := append(buf[:0], c.salt[:]...)
	b = append(b, r.Header.Get("Authorization")...)
	return sha256.Sum256(b)
}

// answer is an upstream answer, read in full. It is never modified once
// made, so one answer can be handed to many requests.
type answer struct {
	status     int
	statusLine string
	header     http.Header
	body       []byte
}

// keptHeaders are the headers a kept answer replays: what the client needs
// to read the body. Others (the upstream's request id, its date) describe
// the first call, not the replay.
var keptHeaders = []string{"Content-Type"}

// forKeeping returns a's kept form.
func (a *answer) forKeeping() *answer {
	k := *a
	k.header = make(http.Header, len(keptHeaders))
	for _, name := range keptHeaders {
		if v := a.header.Values(name); len(v) > 0 {
			k.header[name] = v
		}
	}
	return &k
}

// response returns a fresh response carrying a, for req.
func (a *answer) response(req *http.Request) *http.Response {
	var body io.ReadCloser = http.NoBody
	if len(a.body) > 0 {
		// A reader of its own over the shared bytes: reading copies them
		// out, and nothing can write through it.
		r := new(bodyReader)
		r.Reset(a.body)
		body = r
	}
	return &http.Response{
		Status:        a.statusLine,
		StatusCode:    a.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        a.header.Clone(),
		Body:          body,
		ContentLength: int64(len(a.body)),
		Request:       req,
	}
}

// bodyReader is a replayed body: one allocation instead of a reader and a
// closer.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

func statusLine(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// keepable reports whether an answer may be kept: a full 200 or 204, never
// an error nor a partial answer.
func keepable(status int) bool {
	return status == http.StatusOK || status == http.StatusNoContent
}

// entry is a kept answer.
type entry struct {
	key     key
	snap    snapshot // the generations its answer was fetched under
	expires time.Time
	ans     *answer
	size    int64
}

// entryOverhead approximates what an entry costs besides its body and URL:
// the entry, its list element, map slot and header.
const entryOverhead = 320

func sizeOf(k key, a *answer) int64 {
	n := int64(len(a.body) + len(k.host) + len(k.path) + len(k.query) + len(k.method) + entryOverhead)
	for name, vs := range a.header {
		n += int64(len(name))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}

// lookup returns the answer kept for k if it was fetched under snap, the
// generations now, and has not expired. A stale entry is dropped.
func (c *Cache) lookup(k key, snap snapshot) (*answer, bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if e.snap != snap || !now.Before(e.expires) {
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.ans, true
}

// keep stores a, fetched under snap from start on, unless it is too big.
func (c *Cache) keep(k key, snap snapshot, start time.Time, a *answer) {
	c.keepKept(k, snap, start.Add(c.ttl), a.forKeeping())
}

// keepKept stores a, in its kept form, until expires, unless it is too big.
func (c *Cache) keepKept(k key, snap snapshot, expires time.Time, a *answer) {
	size := sizeOf(k, a)
	if size > c.maxEntryBytes {
		return
	}
	e := &entry{key: k, snap: snap, expires: expires, ans: a, size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
	c.entries[k] = c.lru.PushFront(e)
	c.bytes += size
	for len(c.entries) > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

// clear drops every entry.
func (c *Cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.lru.Init()
	c.bytes = 0
}

// remove drops an entry. Call with c.mu held.
func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	delete(c.entries, e.key)
	c.bytes -= e.size
}
