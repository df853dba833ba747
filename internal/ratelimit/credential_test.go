package ratelimit

import (
	"testing"
	"time"
)

// A 429 that the window should have prevented widens the credential's
// transit bound (doubling, capped at a second), and only that credential's.
func TestCredential_429WidensTransitBound(t *testing.T) {
	t.Parallel()
	l, err := New(WithTransitBound(50 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	a, b := l.acquire(credKey{}), l.acquire(credKey{1})
	defer l.release(a)
	defer l.release(b)
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		l.pauseFor(a, time.Millisecond)
		if got := l.transitOf(a); got != w {
			t.Errorf("after %d 429s: transit bound %s, want %s", i+1, got, w)
		}
	}
	if got := l.transitOf(b); got != 50*time.Millisecond {
		t.Errorf("another credential's bound is %s, want the default 50ms", got)
	}
	a.widenedAt = time.Now().Add(-transitDecay) // a quiet minute
	if got := l.transitOf(a); got != 500*time.Millisecond {
		t.Errorf("after a quiet minute: %s, want halved to 500ms", got)
	}
}
