package cache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHit measures a GET answered from the cache, as the amoCRM
// client sends it (a JWT-sized bearer, a list with with= and a filter).
func BenchmarkHit(b *testing.B) {
	rt, req := hitSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, rt, req)
	}
}

// BenchmarkHitParallel is BenchmarkHit from every core at once, which
// shows what the cache's one lock costs.
func BenchmarkHitParallel(b *testing.B) {
	rt, req := hitSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			roundTrip(b, rt, req)
		}
	})
}

// hitSetup returns a cache in front of a real upstream, and a request whose
// answer it has kept.
func hitSetup(b *testing.B) (http.RoundTripper, *http.Request) {
	body := strings.Repeat("x", 8<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		io.WriteString(w, body)
	}))
	b.Cleanup(srv.Close)
	rt := newCache(b).Wrap(srv.Client().Transport)
	req, err := http.NewRequest(http.MethodGet,
		srv.URL+"/api/v4/contacts?filter%5Bid%5D%5B%5D=1&filter%5Bid%5D%5B%5D=2&limit=20&with=leads%2Ccustomers", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 900))
	roundTrip(b, rt, req) // the miss
	return rt, req
}

func roundTrip(b *testing.B, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		b.Error(err)
		return
	}
	resp.Body.Close()
}
