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
	body := strings.Repeat("x", 8<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	rt := newCache(b).Wrap(srv.Client().Transport)
	req, err := http.NewRequest(http.MethodGet,
		srv.URL+"/api/v4/contacts?filter%5Bid%5D%5B%5D=1&filter%5Bid%5D%5B%5D=2&limit=20&with=leads%2Ccustomers", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 900))
	roundTrip := func() {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	roundTrip() // the miss
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		roundTrip()
	}
}
