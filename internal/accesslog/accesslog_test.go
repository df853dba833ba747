package accesslog

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// One line per request, written when it ends, with what deep code added.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, givenID string
		keepsID       bool
		status        int
	}{
		{"sane client id", "abc-123", true, http.StatusOK},
		{"hostile client id", "x\ny", false, http.StatusOK},
		{"too long", strings.Repeat("a", 65), false, http.StatusOK},
		{"no id", "", false, http.StatusBadGateway},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			h := Middleware(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				e := From(r.Context())
				e.SetOperation("Screen")
				e.AddUpstream(200, 3*time.Millisecond)
				e.AddUpstream(0, time.Millisecond)
				w.WriteHeader(tc.status)
			}))
			req := httptest.NewRequest(http.MethodPost, "/query", nil)
			if tc.givenID != "" {
				req.Header.Set(HeaderRequestID, tc.givenID)
			}
			rw := httptest.NewRecorder()
			h.ServeHTTP(rw, req)
			var line struct {
				RequestID      string `json:"request_id"`
				Operation      string `json:"operation"`
				Status         int    `json:"status"`
				UpstreamCalls  int    `json:"upstream_calls"`
				UpstreamErrors int    `json:"upstream_errors"`
			}
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", buf.String(), err)
			}
			if (line.RequestID == tc.givenID) != tc.keepsID || line.RequestID == "" || rw.Header().Get(HeaderRequestID) != line.RequestID {
				t.Errorf("request id %q (given %q), response header %q", line.RequestID, tc.givenID, rw.Header().Get(HeaderRequestID))
			}
			if line.Operation != "Screen" || line.Status != tc.status || line.UpstreamCalls != 2 || line.UpstreamErrors != 1 {
				t.Errorf("line = %+v", line)
			}
			if strings.Count(buf.String(), "\n") != 1 {
				t.Errorf("want exactly one line, got %q", buf.String())
			}
		})
	}
}

func TestNilEntry(t *testing.T) {
	t.Parallel()
	e := From(t.Context()) // no middleware
	e.SetOperation("x")
	e.AddUpstream(200, time.Second)
	if e.RequestID() != "" || e.UpstreamCalls() != 0 {
		t.Error("a nil entry must do nothing")
	}
}
