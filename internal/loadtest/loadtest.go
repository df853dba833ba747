// Package loadtest drives a bounded GraphQL load against the gateway on this
// machine and reports what it cost: throughput, latency percentiles, errors
// and, with a count from the caller, upstream calls per query. It exists so a
// change to batching or look-ahead can be measured before it ships, without a
// separate tool. A run is bounded in time, in workers and, optionally, in
// requests, and it refuses any target that is not a loopback address: the load
// must never leave the machine.
package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Query is one GraphQL operation in the mix a run sends. Name labels it in the
// per-query statistics; queries that share a Name share one row.
type Query struct {
	Name      string
	Query     string
	Variables map[string]any
}

// Config describes one run. The zero value of each optional field picks the
// default documented on it; Run rejects values outside the documented bounds
// rather than quietly clamping them.
type Config struct {
	// URL is the GraphQL endpoint, e.g. http://127.0.0.1:8080/query. Its host
	// must be loopback (127.0.0.0/8, ::1 or localhost), and every connection
	// is checked again at dial time, so the load cannot leave the machine.
	URL string
	// Queries are sent round-robin by each worker; at least one is required.
	Queries []Query
	// Concurrency is the number of workers, each with one request in
	// flight: default DefaultConcurrency, at most MaxConcurrency.
	Concurrency int
	// Duration is the measured window, after Warmup: default
	// DefaultDuration, at most MaxDuration.
	Duration time.Duration
	// MaxRequests optionally caps the counted requests (0 = no cap); the run
	// stops at whichever of Duration and MaxRequests comes first. Warm-up
	// requests are not part of the cap.
	MaxRequests int
	// Header holds extra request headers, e.g. X-API-Key.
	Header http.Header
	// Warmup runs the load before the measured window starts, so cold
	// connections and caches don't skew the numbers: default 0, at most
	// MaxDuration. Requests started during warm-up are not counted.
	Warmup time.Duration
}

// QueryStats are the statistics of one named query in a run.
type QueryStats struct {
	Requests, Errors int
	P50, P95, P99    time.Duration
}

// Result is what one run measured. Only requests started after the warm-up
// count; requests cut off by the end of the run count neither as requests nor
// as errors. Latencies cover every counted request, failed ones included, as a
// client would see them.
type Result struct {
	// Requests counts completed requests; Errors counts those among them that
	// failed: transport failures, a status other than 200, a body that is not
	// JSON, or a GraphQL response with "errors".
	Requests, Errors int
	// Elapsed is the measured window: from the end of the warm-up to the end
	// of the last counted request, or the deadline.
	Elapsed time.Duration
	// Throughput is Requests per second of Elapsed.
	Throughput float64
	// P50, P95, P99, Max and Mean are exact over all counted requests.
	P50, P95, P99, Max, Mean time.Duration
	// PerQuery holds the statistics by Query.Name.
	PerQuery map[string]QueryStats
	// FirstError is one failure, with its query name and a bounded excerpt of
	// the body, so a failing run can be diagnosed without a second one.
	FirstError string
}

// Run sends the configured load and returns what it measured. It checks the
// whole Config before sending anything. It returns when the measured window
// ends, MaxRequests requests have completed or ctx is done, whichever comes
// first, and only after every goroutine it started has finished. When ctx is
// done first, Run returns the partial Result together with an error that wraps
// ctx.Err(), so an interrupted caller can still report what was measured.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	p, err := newPlan(cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("loadtest: before start: %w", err)
	}
	client := newClient(p.concurrency)
	defer client.CloseIdleConnections()

	start := time.Now()
	sh := &shared{measureFrom: start.Add(p.warmup), maxRequests: int64(p.maxRequests)}
	deadline := sh.measureFrom.Add(p.duration)
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	workers := make([]*worker, p.workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := newWorker(i, p, client, sh)
		workers[i] = w
		wg.Go(func() { w.run(runCtx) })
	}
	wg.Wait()

	res := summarize(p.names, workers, window(sh.measureFrom, time.Now(), deadline))
	if msg := sh.firstError.Load(); msg != nil {
		res.FirstError = *msg
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("loadtest: run interrupted after %d requests: %w", res.Requests, err)
	}
	return res, nil
}

// shared is the state workers coordinate through.
type shared struct {
	measureFrom time.Time
	maxRequests int64 // 0 = no cap
	issued      atomic.Int64
	firstError  atomic.Pointer[string]
}

// window returns the measured time between from and the earlier of end and
// deadline, or 0 when the run ended before measuring began.
func window(from, end, deadline time.Time) time.Duration {
	if end.After(deadline) {
		end = deadline
	}
	if !end.After(from) {
		return 0
	}
	return end.Sub(from)
}
