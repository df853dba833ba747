package gateway

import (
	"bytes"
	"regexp"
	"testing"
	"time"
)

// The load command a user runs: it must drive real queries through the
// gateway and report throughput, latency, upstream calls, CPU and the
// latency target per query.
func TestLoadTest_Report(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := LoadTest(t.Context(), LoadOptions{
		Latency: 2 * time.Millisecond, Concurrency: 2, Duration: 300 * time.Millisecond,
		Queries: CostQueries[:1],
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`throughput\s+\d+(\.\d+)? req/s`,
		`upstream calls\s+\d+ \(1\.\d\d per query\)`,
		`cpu per query\s+\d`,
		`(?m)^  contact by id, no relations\s+1 calls, 1 in sequence: p50 [0-9.]+m?s, target 4ms: (met|missed)$`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("report lacks %s:\n%s", want, out.String())
		}
	}
}
