package loadtest

import (
	"sync"
	"time"
)

// Staleness judges reads against writes made behind the system under load:
// a read that started after the system acknowledged a write, and still
// returned an older value, is stale. Each written value must be unique (a
// value never written counts as the one before every write), so a value
// read names the write it comes from.
type Staleness struct {
	mu       sync.Mutex
	seqOf    map[string]int       // a written value → its sequence number
	versions map[string][]version // by key, in write order
	stale    int
	checked  int
}

type version struct {
	seq   int
	acked time.Time // zero until acknowledged
}

// NewStaleness returns a checker with no writes.
func NewStaleness() *Staleness {
	return &Staleness{seqOf: map[string]int{}, versions: map[string][]version{}}
}

// Begin notes a write of value to key before it is made and returns its
// sequence number, for Acked.
func (s *Staleness) Begin(key, value string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := len(s.seqOf) + 1
	s.seqOf[value] = seq
	s.versions[key] = append(s.versions[key], version{seq: seq})
	return seq
}

// Acked notes when the system acknowledged write seq of key; reads started
// after at must see it or a later write. A write never acknowledged holds
// no read to it.
func (s *Staleness) Acked(key string, seq int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.versions[key] {
		if v.seq == seq {
			s.versions[key][i].acked = at
		}
	}
}

// Check judges the value of key read by a request sent at started.
func (s *Staleness) Check(started time.Time, key, value string) (stale bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checked++
	want := 0
	for _, v := range s.versions[key] {
		if !v.acked.IsZero() && v.acked.Before(started) {
			want = v.seq
		}
	}
	if s.seqOf[value] < want {
		s.stale++
		return true
	}
	return false
}

// Counts returns the stale reads and the reads checked so far.
func (s *Staleness) Counts() (stale, checked int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stale, s.checked
}
