package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Write prints r as a human-readable table: totals, latency, then one row per
// query. upstreamCalls is the number of upstream (amoCRM) calls the caller
// counted during the run; when it is 0 or more, Write also prints upstream
// calls per query (upstreamCalls / Requests), the number batching and
// look-ahead exist to keep low. Pass -1 when it is unknown.
func (r *Result) Write(w io.Writer, upstreamCalls int) error {
	if r == nil {
		return errors.New("loadtest: write result: nil result")
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "requests\t%d\n", r.Requests)
	fmt.Fprintf(tw, "errors\t%d (%s)\n", r.Errors, share(r.Errors, r.Requests))
	fmt.Fprintf(tw, "elapsed\t%s\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "throughput\t%.1f req/s\n", r.Throughput)
	fmt.Fprintf(tw, "latency\tmean %s  p50 %s  p95 %s  p99 %s  max %s\n",
		short(r.Mean), short(r.P50), short(r.P95), short(r.P99), short(r.Max))
	if upstreamCalls >= 0 {
		perQuery := "n/a"
		if r.Requests > 0 {
			perQuery = fmt.Sprintf("%.2f", float64(upstreamCalls)/float64(r.Requests))
		}
		fmt.Fprintf(tw, "upstream calls\t%d (%s per query)\n", upstreamCalls, perQuery)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "query\trequests\terrors\tp50\tp95\tp99")
	names := make([]string, 0, len(r.PerQuery))
	for name := range r.PerQuery {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s := r.PerQuery[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", name, s.Requests, s.Errors, short(s.P50), short(s.P95), short(s.P99))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("loadtest: format result: %w", err)
	}
	if r.FirstError != "" {
		fmt.Fprintf(&buf, "\nfirst error: %s\n", r.FirstError)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("loadtest: write result: %w", err)
	}
	return nil
}

// share formats part as a percentage of whole.
func share(part, whole int) string {
	if whole == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(part)/float64(whole))
}

// short rounds d to a precision that reads well next to its magnitude.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}
