package loadtest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestResult_Write(t *testing.T) {
	t.Parallel()
	res := &Result{
		Requests: 200, Errors: 2, Elapsed: 2 * time.Second, Throughput: 100,
		P50: 1500 * time.Microsecond, P95: 3 * time.Millisecond, P99: 9 * time.Millisecond,
		Max: 1200 * time.Millisecond, Mean: 2 * time.Millisecond,
		PerQuery: map[string]QueryStats{
			"contacts": {Requests: 100, P50: time.Millisecond},
			"contact":  {Requests: 100, Errors: 2, P50: 2 * time.Millisecond},
		},
		FirstError: "query contact: HTTP 500: {\"errors\":[]}",
	}
	tests := []struct {
		name     string
		res      *Result
		upstream int
		want     []string
		notWant  []string
	}{
		{
			name: "WithUpstream", res: res, upstream: 300,
			want: []string{"requests        200", "errors          2 (1.00%)", "throughput      100.0 req/s",
				"p50 1.5ms", "max 1.2s", "upstream calls  300 (1.50 per query)",
				"query     requests  errors  p50", "contact   100       2       2ms",
				"first error: query contact: HTTP 500"},
		},
		{name: "UpstreamUnknown", res: res, upstream: -1, notWant: []string{"upstream"}},
		{name: "NoRequests", res: &Result{}, upstream: 0, want: []string{"upstream calls  0 (n/a per query)", "errors          0 (0%)"}, notWant: []string{"first error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := tt.res.Write(&b, tt.upstream); err != nil {
				t.Fatalf("Write: %v", err)
			}
			out := b.String()
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
			if i, j := strings.Index(out, "contact "), strings.Index(out, "contacts "); i < 0 || j < i {
				if tt.res.PerQuery != nil {
					t.Errorf("want rows sorted by name:\n%s", out)
				}
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestResult_WriteErrors(t *testing.T) {
	t.Parallel()
	if err := (&Result{}).Write(failingWriter{}, -1); !errors.Is(err, errDiskFull) {
		t.Errorf("Write to a failing writer = %v, want it to wrap %v", err, errDiskFull)
	}
	var nilResult *Result
	if err := nilResult.Write(&strings.Builder{}, -1); err == nil {
		t.Error("Write on a nil result succeeded, want an error")
	}
}
