package cache

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCache_MemoryBound(t *testing.T) {
	t.Parallel()
	// Pages of 1000 bytes; /api/v4/huge has 5000.
	serve := func(w http.ResponseWriter, r *http.Request) {
		n := 1000
		if r.URL.Path == "/api/v4/huge" {
			n = 5000
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}
	tests := []struct {
		name      string
		opts      []Option
		maxLen    int
		maxBytes  int64
		keptFirst bool // whether the first of 10 pages is still kept
	}{
		{"Entries", []Option{WithMaxEntries(3)}, 3, 1 << 20, false},
		{"Bytes", []Option{WithMaxBytes(4000)}, 3, 4000, false},
		{"Roomy", nil, 10, 1 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, serve)
			c := newCache(t, tt.opts...)
			hc := clientFor(c, up)
			page := func(i int) string { return fmt.Sprintf("%s/api/v4/contacts?page=%d", up.URL, i) }
			for i := range 10 {
				get(t, hc, page(i))
			}
			if c.Len() > tt.maxLen || c.Bytes() > tt.maxBytes {
				t.Errorf("Len, Bytes = %d, %d, want at most %d, %d", c.Len(), c.Bytes(), tt.maxLen, tt.maxBytes)
			}
			before := up.count("GET /api/v4/contacts")
			get(t, hc, page(9)) // the last read is always kept
			get(t, hc, page(0))
			wantCalls := 1
			if tt.keptFirst {
				wantCalls = 0
			}
			if got := up.count("GET /api/v4/contacts") - before; got != wantCalls {
				t.Errorf("calls for the newest and the oldest page = %d, want %d", got, wantCalls)
			}
		})
	}
	t.Run("AnswerOverEntryLimitServedNotKept", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, serve)
		c := newCache(t, WithMaxEntryBytes(4000))
		hc := clientFor(c, up)
		for range 2 {
			if r := get(t, hc, up.URL+"/api/v4/huge"); len(r.body) != 5000 {
				t.Fatalf("body of %d bytes, want 5000", len(r.body))
			}
		}
		if got := up.count("GET /api/v4/huge"); got != 2 || c.Len() != 0 {
			t.Errorf("calls, Len = %d, %d, want 2, 0", got, c.Len())
		}
	})
	t.Run("AnswerOverResponseLimitFails", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, serve)
		hc := clientFor(newCache(t, WithMaxResponseBytes(4000)), up)
		if r := do(t.Context(), hc, http.MethodGet, up.URL+"/api/v4/huge", "t1"); r.err == nil {
			t.Fatalf("got %d with %d bytes, want an error", r.status, len(r.body))
		}
	})
}

func TestCache_Off(t *testing.T) {
	t.Parallel()
	next := http.DefaultTransport
	if got := newCache(t, WithTTL(0)).Wrap(next); got != next {
		t.Errorf("Wrap with a TTL of 0 = %T, want the transport itself", got)
	}
}

func TestCache_Bypass(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, echo)
	c := newCache(t)
	hc := clientFor(c, up)
	url := up.URL + "/api/v4/users/1"
	get(t, hc, url)
	for range 2 {
		if r := do(Bypass(t.Context()), hc, http.MethodGet, url, "t1"); r.err != nil {
			t.Fatal(r.err)
		}
	}
	if got := up.total(); got != 3 {
		t.Errorf("upstream calls = %d, want 3 (bypassing reads reach amoCRM)", got)
	}
}

func TestNew_InvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"NegativeTTL", WithTTL(-time.Second), "TTL must not be negative"},
		{"NoEntries", WithMaxEntries(0), "max entries must be positive"},
		{"NoBytes", WithMaxBytes(0), "max bytes must be positive"},
		{"NoEntryBytes", WithMaxEntryBytes(-1), "max entry bytes must be positive"},
		{"NoResponseBytes", WithMaxResponseBytes(0), "max response bytes must be positive"},
		{"NoCallTimeout", WithCallTimeout(0), "call timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want %q", err, tt.want)
			}
		})
	}
}
