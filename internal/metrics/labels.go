package metrics

import "sync"

// overflowLabel replaces label values past a labelSet's cap.
const overflowLabel = "other"

// labelSet admits up to max distinct label values and maps every later new
// value to "other". Prometheus keeps every series it has ever seen until the
// process restarts, so a label fed by client input (operation names) must be
// bounded here rather than trusted.
type labelSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func newLabelSet(max int) *labelSet {
	return &labelSet{max: max, seen: make(map[string]struct{}, max)}
}

// admit returns v if it is already known or there is room for it, and
// "other" otherwise.
func (s *labelSet) admit(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return overflowLabel
	}
	s.seen[v] = struct{}{}
	return v
}
