package loadtest

import (
	"testing"
	"time"
)

// A read is stale when it started after a newer value was acknowledged.
func TestStaleness(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	st := NewStaleness()
	st.Acked("3", st.Begin("3", "first"), t0)
	st.Acked("3", st.Begin("3", "second"), t0.Add(time.Second))
	st.Begin("3", "third") // never acknowledged
	tests := []struct {
		started    time.Time
		key, value string
		stale      bool
	}{
		{t0.Add(-time.Second), "3", "original", false},
		{t0.Add(time.Millisecond), "3", "original", true},
		{t0.Add(time.Millisecond), "3", "first", false},
		{t0.Add(2 * time.Second), "3", "first", true},
		{t0.Add(2 * time.Second), "3", "second", false},
		{t0.Add(2 * time.Second), "3", "third", false},
		{t0.Add(2 * time.Second), "4", "never written", false},
	}
	for _, tt := range tests {
		if got := st.Check(tt.started, tt.key, tt.value); got != tt.stale {
			t.Errorf("read of %s=%q at +%v: stale %v, want %v", tt.key, tt.value, tt.started.Sub(t0), got, tt.stale)
		}
	}
	if stale, checked := st.Counts(); stale != 2 || checked != len(tests) {
		t.Errorf("Counts = %d stale of %d, want 2 of %d", stale, checked, len(tests))
	}
}
