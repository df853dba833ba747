package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/loadtest"
	"github.com/amogql/amogql/internal/sandbox"
)

// LoadOptions configure LoadTest.
type LoadOptions struct {
	Latency     time.Duration // added by the sandbox to every upstream call
	Concurrency int
	Duration    time.Duration
	Queries     []CostQuery // default: every CostQueries entry
	// SandboxURL is the sandbox the gateway calls, serving
	// sandbox.Standalone (for its call count) with opts.Latency: normally
	// a SandboxProcess, so the CPU LoadTest measures of its own process
	// is not the emulator's.
	SandboxURL string
	// ForceResolvers runs every query through gqlgen's resolvers, as
	// READ_EXECUTOR=resolvers does, to measure them beside the plan.
	ForceResolvers bool
}

// LoadTest starts the gateway on loopback in front of opts.SandboxURL,
// drives the load and prints throughput, latency percentiles, upstream
// calls and this process's CPU per query to out.
func LoadTest(ctx context.Context, opts LoadOptions, out io.Writer) error {
	if len(opts.Queries) == 0 {
		opts.Queries = CostQueries
	}
	if opts.SandboxURL == "" {
		return errors.New("load: no sandbox URL")
	}
	// No rate limit: the load measures the gateway, not amoCRM's budget.
	cfg := Config{BaseURL: opts.SandboxURL, AccessToken: sandbox.DefaultToken, UpstreamTimeout: 30 * time.Second, MaxUpstreamCalls: 100,
		ForceResolvers: opts.ForceResolvers}
	up, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: New(zerolog.Nop(), cfg, up), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	queries := make([]loadtest.Query, len(opts.Queries))
	for i, q := range opts.Queries {
		queries[i] = loadtest.Query{Name: q.Name, Query: q.Query}
	}
	fmt.Fprintf(out, "amogql load: %d workers for %v, sandbox latency %v per upstream call, %d queries round-robin\n",
		opts.Concurrency, opts.Duration, opts.Latency, len(queries))
	calls0, cerr := sandboxCalls(ctx, opts.SandboxURL)
	if cerr != nil {
		return cerr
	}
	cpu0, cpuOK := processCPU()
	res, err := loadtest.Run(ctx, loadtest.Config{
		URL: "http://" + ln.Addr().String() + "/query", Queries: queries,
		Concurrency: opts.Concurrency, Duration: opts.Duration,
	})
	if res == nil {
		return err
	}
	cpu1, _ := processCPU()
	// Read even when the run was interrupted: the report covers what ran.
	calls := -1 // Write leaves the line out
	if calls1, cerr := settledCalls(context.WithoutCancel(ctx), opts.SandboxURL); cerr != nil {
		fmt.Fprintf(out, "upstream calls  unknown: %v\n", cerr)
	} else {
		calls = calls1 - calls0
	}
	if werr := res.Write(out, calls); werr != nil {
		return werr
	}
	if cpuOK && res.Requests > 0 {
		// The sandbox is another process; the load generator is not, and
		// its share (encoding requests, reading answers) is included.
		fmt.Fprintf(out, "cpu per query   %v (this process: gateway and load generator; the sandbox runs in its own)\n",
			((cpu1 - cpu0) / time.Duration(res.Requests)).Round(time.Microsecond))
	}
	fmt.Fprintf(out, "\ntarget: p50 within round trips in sequence x %v + %v\n", opts.Latency, latencyAllowance)
	for _, q := range opts.Queries {
		target := time.Duration(q.Sequential)*opts.Latency + latencyAllowance
		p50 := res.PerQuery[q.Name].P50
		verdict := "met"
		if p50 > target {
			verdict = "missed"
		}
		fmt.Fprintf(out, "  %-62s %d calls, %d in sequence: p50 %v, target %v: %s\n",
			q.Name, q.Calls, q.Sequential, p50.Round(10*time.Microsecond), target, verdict)
	}
	return err
}

// latencyAllowance is what the gateway may add to a query's upstream round
// trips at the median: the latency target the report checks.
const latencyAllowance = 2 * time.Millisecond

// settledCalls reads the sandbox's call count once it has stopped moving.
// The load ends by cancelling the queries in flight, and an upstream call
// a cancelled query had already sent can reach the sandbox, and be
// counted, after the gateway has given up on it.
func settledCalls(ctx context.Context, base string) (int, error) {
	n, err := sandboxCalls(ctx, base)
	for range 40 { // at most 2 s
		if err != nil {
			return 0, err
		}
		time.Sleep(50 * time.Millisecond)
		var next int
		if next, err = sandboxCalls(ctx, base); err == nil && next == n {
			return n, nil
		}
		n = next
	}
	return n, err
}

// sandboxCalls reads the sandbox's call count from its Standalone endpoint.
func sandboxCalls(ctx context.Context, base string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+sandbox.CallsPath, nil)
	if err != nil {
		return 0, fmt.Errorf("sandbox calls: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sandbox calls: %w", err)
	}
	defer resp.Body.Close()
	var r sandbox.CallsReport
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("sandbox calls: GET %s answered %s", sandbox.CallsPath, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, fmt.Errorf("sandbox calls: %w", err)
	}
	return r.Total, nil
}
