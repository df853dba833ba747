package cache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
)

// Answers kept in Redis by a shared Cache (see shared.go).

// answerFormat versions the key and the encoding of answers in Redis, so
// replicas of different versions never read each other's answers.
const answerFormat = 1

// answerKey returns the Redis key of the answer to req, of key k, fetched
// under snap. It hashes the credential itself, as the memory tier's scopes
// are salted by process; the epoch, known only to who can read Redis,
// salts it instead. The counters' names are hashed too, so a replica that
// plans a URL otherwise (another version) never shares its answers.
func (s *shared) answerKey(req *http.Request, k key, p *plan, snap snapshot) string {
	h := sha256.New()
	var b [binary.MaxVarintLen64]byte
	num := func(v uint64) { h.Write(binary.AppendUvarint(b[:0], v)) }
	num(answerFormat)
	num(snap.epoch)
	for i := range p.n {
		writeString(h, p.topics[i].name)
		num(uint64(p.fields[i]))
		num(snap.v[i])
	}
	writeString(h, req.Header.Get("Authorization"))
	writeString(h, k.method)
	writeString(h, k.host)
	writeString(h, k.path)
	writeString(h, k.query)
	return s.answerPrefix + hex.EncodeToString(h.Sum(nil))
}

// writeString writes s with its length first, so that no two sequences of
// strings hash the same.
func writeString(h hash.Hash, s string) {
	var b [binary.MaxVarintLen64]byte
	h.Write(binary.AppendUvarint(b[:0], uint64(len(s))))
	h.Write([]byte(s))
}

// load returns the answer kept in Redis under rk and how long it may still
// be served. found is false when there is none; ok is false when Redis
// failed (the cache is then bypassed).
func (s *shared) load(ctx context.Context, rk string) (a *answer, ttl time.Duration, found, ok bool) {
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		get = pipe.Get(ctx, rk)
		pttl = pipe.PTTL(ctx, rk)
		return nil
	})
	if errors.Is(get.Err(), redis.Nil) {
		return nil, 0, false, true
	}
	if err != nil {
		s.fail(ctx, err)
		return nil, 0, false, false
	}
	data, _ := get.Bytes()
	ttl = pttl.Val()
	a, derr := decodeAnswer(data)
	if derr != nil || ttl <= 0 {
		// Expired between the two commands, or not ours to read.
		return nil, 0, false, true
	}
	return a, ttl, true, true
}

// put keeps a (in its kept form) in Redis under rk for ttl.
func (s *shared) put(ctx context.Context, rk string, a *answer, ttl time.Duration) bool {
	if err := s.rdb.Set(ctx, rk, encodeAnswer(a), ttl).Err(); err != nil {
		s.fail(ctx, err)
		return false
	}
	return true
}

// encodeAnswer returns a's bytes in Redis: the format, the status, the
// status line, the headers (a count, then each name with its values), each
// string and count as a uvarint length first, then the body up to the end.
func encodeAnswer(a *answer) []byte {
	n := 16 + len(a.statusLine) + len(a.body)
	for name, vs := range a.header {
		n += 8 + len(name)
		for _, v := range vs {
			n += 4 + len(v)
		}
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, answerFormat)
	b = binary.AppendUvarint(b, uint64(a.status))
	b = appendString(b, a.statusLine)
	b = binary.AppendUvarint(b, uint64(len(a.header)))
	for name, vs := range a.header {
		b = appendString(b, name)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	return append(b, a.body...)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errBadAnswer = errors.New("cache: malformed answer in Redis")

// decodeAnswer reverses encodeAnswer; the body is data's own bytes.
func decodeAnswer(data []byte) (*answer, error) {
	d := decoder{b: data}
	if d.uvarint() != answerFormat {
		return nil, errBadAnswer
	}
	a := &answer{status: int(d.uvarint()), statusLine: d.string()}
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each header takes a byte at least
		return nil, errBadAnswer
	}
	a.header = make(http.Header, n)
	for range n {
		name := d.string()
		m := d.uvarint()
		if m > uint64(len(d.b)) {
			return nil, errBadAnswer
		}
		vs := make([]string, m)
		for i := range vs {
			vs[i] = d.string()
		}
		a.header[name] = vs
	}
	if d.bad || a.status < 100 || a.status > 999 {
		return nil, errBadAnswer
	}
	a.body = d.b
	return a, nil
}

// decoder reads what encodeAnswer wrote; bad is set at the first short or
// malformed read, after which every read returns zero.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	if d.bad {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// keepFetched keeps an answer fetched from start on under fk.snap, in Redis
// and in memory, unless the generations in Redis moved on meanwhile.
func (s *shared) keepFetched(ctx context.Context, fk flightKey, p *plan, rk string, start time.Time, fetched *answer) {
	c := s.c
	now, ok := s.snapshot(ctx, p)
	if !ok {
		return
	}
	if now != fk.snap {
		c.obs.CacheStaleRefused(p.resource)
		return
	}
	a := fetched.forKeeping()
	expires := start.Add(c.ttl)
	ttl := expires.Sub(c.now())
	if sizeOf(fk.key, a) > c.maxEntryBytes || ttl < time.Millisecond {
		return
	}
	if s.put(ctx, rk, a, ttl) {
		c.keepKept(fk.key, fk.snap, expires, a)
	}
}
