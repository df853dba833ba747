package gateway

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

// standaloneSandbox serves a sandbox as the load command's child process
// does, on a real socket of this test.
func standaloneSandbox(t *testing.T, latency time.Duration) (*sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(sandbox.WithLatency(latency))
	srv := httptest.NewServer(sb.Standalone())
	t.Cleanup(func() { srv.Close(); sb.Close() })
	return sb, srv.URL
}

// The load command a user runs: it must drive real queries through the
// gateway and report throughput, latency, upstream calls, CPU and the
// latency target per query.
func TestLoadTest_Report(t *testing.T) {
	t.Parallel()
	_, url := standaloneSandbox(t, 2*time.Millisecond)
	var out bytes.Buffer
	err := LoadTest(t.Context(), LoadOptions{
		Latency: 2 * time.Millisecond, Concurrency: 2, Duration: 300 * time.Millisecond,
		Queries: CostQueries[:1], SandboxURL: url,
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`throughput\s+\d+(\.\d+)? req/s`,
		`upstream calls\s+\d+ \(1\.\d\d per query\)`,
		`cpu per query\s+\d.* \(this process: gateway and load generator; the sandbox runs in its own\)`,
		`(?m)^  contact by id, no relations\s+1 calls, 1 in sequence: p50 [0-9.]+m?s, target 4ms: (met|missed)$`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("report lacks %s:\n%s", want, out.String())
		}
	}
}

// The upstream calls the report gives are those the sandbox, in whatever
// process it runs, counted during the load: not the calls it had before,
// nor the reads of its counter.
func TestLoadTest_UpstreamCallsFromTheSandbox(t *testing.T) {
	t.Parallel()
	sb, url := standaloneSandbox(t, 0)
	for range 3 { // calls before the load, which the report must not count
		resp, err := http.Get(url + "/api/v4/account")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	before := sb.TotalCalls()
	var out bytes.Buffer
	err := LoadTest(t.Context(), LoadOptions{
		Concurrency: 2, Duration: 200 * time.Millisecond,
		Queries: CostQueries[:1], SandboxURL: url,
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`upstream calls\s+(\d+) `).FindSubmatch(out.Bytes())
	if m == nil {
		t.Fatalf("no upstream calls line:\n%s", out.String())
	}
	got, _ := strconv.Atoi(string(m[1]))
	if want := sb.TotalCalls() - before; got != want || got == 0 {
		t.Errorf("report says %d upstream calls, the sandbox counted %d during the load:\n%s", got, want, out.String())
	}
}

func TestLoadTest_NeedsASandbox(t *testing.T) {
	t.Parallel()
	if err := LoadTest(t.Context(), LoadOptions{Concurrency: 1, Duration: 100 * time.Millisecond}, &bytes.Buffer{}); err == nil {
		t.Error("LoadTest without a sandbox URL succeeded")
	}
}
