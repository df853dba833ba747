package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// PacedConfig describes a paced run: a fixed number of clients, each
// starting a round every Every, like people working in front-ends, rather
// than workers sending as fast as answers come back. A paced run measures
// what users see under a realistic arrival rate, which a closed loop cannot:
// a closed loop slows down when the gateway does.
type PacedConfig struct {
	// URL is the GraphQL endpoint; like Config.URL it must be loopback.
	URL string
	// Header holds extra request headers, e.g. X-API-Key.
	Header http.Header
	// Clients is the number of simulated users: at most MaxConcurrency.
	Clients int
	// Every is how often a client starts a round. Clients start spread
	// over the first period; a round that overruns its period starts the
	// next at once (missed periods are skipped, not queued).
	Every time.Duration
	// Duration bounds the run: no round starts after it (at most
	// MaxDuration). Rounds under way are finished.
	Duration time.Duration
	// Round is one client's round: client is its index, round counts from
	// zero. It sends its queries through c.
	Round func(ctx context.Context, c *Caller, client, round int)
}

// PacedResult is what a paced run measured.
type PacedResult struct {
	Rounds  int
	Elapsed time.Duration
	// All covers every query; PerQuery splits it by the names Round gave.
	All      NamedStats
	PerQuery map[string]NamedStats
}

// NamedStats are the statistics of the queries sent under one name.
type NamedStats struct {
	Requests int
	// Errors counts failed requests by their first error's code (the
	// GraphQL error's extensions.code, or "HTTP", "TRANSPORT", "DECODE"
	// when there was no GraphQL answer).
	Errors        map[string]int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// ErrorCount is how many requests failed with code; the empty code counts
// every failure.
func (s NamedStats) ErrorCount(code string) int {
	if code != "" {
		return s.Errors[code]
	}
	n := 0
	for _, c := range s.Errors {
		n += c
	}
	return n
}

// Answer is one GraphQL answer as a Round sees it.
type Answer struct {
	// Started is when the request was sent, for judging what it may
	// return; Latency is how long the whole answer took.
	Started time.Time
	Latency time.Duration
	Data    json.RawMessage
	// Codes are the extensions.code of each GraphQL error, in order.
	Codes []string
}

// Caller sends a client's queries and records them.
type Caller struct {
	url    string
	client *http.Client
	header http.Header
	rec    *recorder
}

// Query sends query with vars and returns the answer. name groups it in
// the result. A transport or HTTP failure is returned as an error and
// counted; GraphQL errors are returned in Answer.Codes and counted too.
func (c *Caller) Query(ctx context.Context, name, query string, vars map[string]any) (*Answer, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("loadtest: encode %s: %w", name, err)
	}
	a := &Answer{Started: time.Now()}
	code, err := c.send(ctx, body, a)
	a.Latency = time.Since(a.Started)
	if code == "" && len(a.Codes) > 0 {
		code = a.Codes[0]
		if code == "" {
			code = "UNKNOWN"
		}
	}
	if ctx.Err() != nil && err != nil {
		return nil, err // cut off by the end of the run: not counted
	}
	c.rec.add(name, a.Latency, code)
	return a, err
}

func (c *Caller) send(ctx context.Context, body []byte, a *Answer) (code string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "TRANSPORT", fmt.Errorf("build request: %w", err)
	}
	req.Header = c.header.Clone()
	resp, err := c.client.Do(req)
	if err != nil {
		return "TRANSPORT", fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "TRANSPORT", fmt.Errorf("read response: %w", err)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		if resp.StatusCode != http.StatusOK {
			return "HTTP", &responseError{fmt.Sprintf("HTTP %d: %s", resp.StatusCode, excerpt(raw))}
		}
		return "DECODE", &responseError{fmt.Sprintf("not JSON (%v): %s", err, excerpt(raw))}
	}
	a.Data = env.Data
	for _, e := range env.Errors {
		a.Codes = append(a.Codes, e.Extensions.Code)
	}
	if resp.StatusCode != http.StatusOK && (len(a.Codes) == 0 || a.Codes[0] == "") {
		return "HTTP", &responseError{fmt.Sprintf("HTTP %d: %s", resp.StatusCode, excerpt(raw))}
	}
	return "", nil
}

// recorder keeps every request's latency and error code, under a lock:
// a paced run sends a few hundred requests a second at most.
type recorder struct {
	mu      sync.Mutex
	latency map[string][]time.Duration
	errors  map[string]map[string]int
}

func (r *recorder) add(name string, d time.Duration, code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latency[name] = append(r.latency[name], d)
	if code != "" {
		if r.errors[name] == nil {
			r.errors[name] = map[string]int{}
		}
		r.errors[name][code]++
	}
}

// RunPaced runs cfg's clients until cfg.Duration has passed and every round
// under way has finished, or ctx ends (then the partial result comes with
// an error wrapping ctx.Err()).
func RunPaced(ctx context.Context, cfg PacedConfig) (*PacedResult, error) {
	if _, err := checkURL(cfg.URL); err != nil {
		return nil, err
	}
	switch {
	case cfg.Clients <= 0 || cfg.Clients > MaxConcurrency:
		return nil, fmt.Errorf("loadtest: clients %d outside 1..%d", cfg.Clients, MaxConcurrency)
	case cfg.Every <= 0:
		return nil, fmt.Errorf("loadtest: period %s is not positive", cfg.Every)
	case cfg.Duration <= 0 || cfg.Duration > MaxDuration:
		return nil, fmt.Errorf("loadtest: duration %s outside (0, %s]", cfg.Duration, MaxDuration)
	case cfg.Round == nil:
		return nil, fmt.Errorf("loadtest: no round to run")
	}
	client := newClient(cfg.Clients * 4)
	defer client.CloseIdleConnections()
	header := cfg.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/json")
	header.Set("Accept", "application/json")
	rec := &recorder{latency: map[string][]time.Duration{}, errors: map[string]map[string]int{}}
	start := time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	var mu sync.Mutex
	rounds := 0
	for i := range cfg.Clients {
		c := &Caller{url: cfg.URL, client: client, header: header, rec: rec}
		offset := cfg.Every * time.Duration(i) / time.Duration(cfg.Clients)
		wg.Go(func() {
			next := start.Add(offset)
			for round := 0; ; round++ {
				if !SleepUntil(ctx, next) || !next.Before(end) {
					return
				}
				cfg.Round(ctx, c, i, round)
				mu.Lock()
				rounds++
				mu.Unlock()
				next = next.Add(cfg.Every)
				if now := time.Now(); next.Before(now) {
					next = now
				}
			}
		})
	}
	wg.Wait()
	res := &PacedResult{Rounds: rounds, Elapsed: time.Since(start), PerQuery: map[string]NamedStats{}}
	var all []time.Duration
	allErrs := map[string]int{}
	for name, ds := range rec.latency {
		all = append(all, ds...)
		res.PerQuery[name] = namedStats(ds, rec.errors[name])
		for code, n := range rec.errors[name] {
			allErrs[code] += n
		}
	}
	res.All = namedStats(all, allErrs)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("loadtest: paced run interrupted: %w", err)
	}
	return res, nil
}

func namedStats(ds []time.Duration, errs map[string]int) NamedStats {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	s := NamedStats{Requests: len(ds), Errors: errs, P50: percentile(ds, 50), P95: percentile(ds, 95), P99: percentile(ds, 99)}
	if len(ds) > 0 {
		s.Max = ds[len(ds)-1]
	}
	if s.Errors == nil {
		s.Errors = map[string]int{}
	}
	return s
}

// SleepUntil waits for t, reporting false if ctx ended first.
func SleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Short formats d for a report, rounded to what reads well at its size.
func Short(d time.Duration) string { return short(d) }
