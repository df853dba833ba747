package loadtest

import (
	"slices"
	"time"
)

// summarize merges the workers' records into a Result measured over elapsed.
// It releases each worker's slices as it goes, so the peak stays near two
// copies of the latency record.
func summarize(names []string, workers []*worker, elapsed time.Duration) *Result {
	res := &Result{Elapsed: elapsed, PerQuery: make(map[string]QueryStats, len(names))}
	byQuery := make([][]time.Duration, len(names))
	var sum time.Duration
	for _, w := range workers {
		sum += w.sum
	}
	for i, name := range names {
		n, errs := 0, 0
		for _, w := range workers {
			n += len(w.latency[i])
			errs += w.errors[i]
		}
		all := make([]time.Duration, 0, n)
		for _, w := range workers {
			all = append(all, w.latency[i]...)
			w.latency[i] = nil
		}
		slices.Sort(all)
		byQuery[i] = all
		res.PerQuery[name] = QueryStats{
			Requests: n,
			Errors:   errs,
			P50:      percentile(all, 50),
			P95:      percentile(all, 95),
			P99:      percentile(all, 99),
		}
		res.Requests += n
		res.Errors += errs
	}
	all := make([]time.Duration, 0, res.Requests)
	for i := range byQuery {
		all = append(all, byQuery[i]...)
		byQuery[i] = nil
	}
	slices.Sort(all)
	res.P50, res.P95, res.P99 = percentile(all, 50), percentile(all, 95), percentile(all, 99)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
		res.Mean = sum / time.Duration(len(all))
	}
	if elapsed > 0 {
		res.Throughput = float64(res.Requests) / elapsed.Seconds()
	}
	return res
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of the
// ascending slice sorted: the smallest value with at least p% of the values
// at or below it. It returns 0 for an empty slice.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p*n/100)
	return sorted[min(max(rank, 1), len(sorted))-1]
}
