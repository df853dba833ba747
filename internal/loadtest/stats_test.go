package loadtest

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{name: "Empty", sorted: nil, p: 50, want: 0},
		{name: "One", sorted: []time.Duration{7}, p: 99, want: 7},
		{name: "P50of100", sorted: hundred, p: 50, want: 50},
		{name: "P95of100", sorted: hundred, p: 95, want: 95},
		{name: "P99of100", sorted: hundred, p: 99, want: 99},
		{name: "P100of100", sorted: hundred, p: 100, want: 100},
		{name: "P50of3", sorted: []time.Duration{1, 2, 3}, p: 50, want: 2},
		{name: "P99of3", sorted: []time.Duration{1, 2, 3}, p: 99, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%d) = %d, want %d", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	w1 := &worker{latency: [][]time.Duration{{3, 1}, {10}}, errors: []int{1, 0}, sum: 14}
	w2 := &worker{latency: [][]time.Duration{{2}, {}}, errors: []int{0, 0}, sum: 2}
	res := summarize([]string{"a", "b"}, []*worker{w1, w2}, 2*time.Second)
	if res.Requests != 4 || res.Errors != 1 {
		t.Errorf("Requests, Errors = %d, %d; want 4, 1", res.Requests, res.Errors)
	}
	if res.P50 != 2 || res.Max != 10 || res.Mean != 4 || res.Throughput != 2 {
		t.Errorf("P50 %d Max %d Mean %d Throughput %f; want 2 10 4 2", res.P50, res.Max, res.Mean, res.Throughput)
	}
	if a := res.PerQuery["a"]; a.Requests != 3 || a.Errors != 1 || a.P50 != 2 || a.P99 != 3 {
		t.Errorf("PerQuery[a] = %+v", a)
	}
	if b := res.PerQuery["b"]; b.Requests != 1 || b.P50 != 10 {
		t.Errorf("PerQuery[b] = %+v", b)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	base := time.Now()
	tests := []struct {
		name                string
		from, end, deadline time.Duration // offsets from base
		want                time.Duration
	}{
		{name: "EndedEarly", from: 0, end: 3, deadline: 10, want: 3},
		{name: "RanPastDeadline", from: 0, end: 12, deadline: 10, want: 10},
		{name: "EndedInWarmup", from: 5, end: 3, deadline: 10, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := window(base.Add(tt.from), base.Add(tt.end), base.Add(tt.deadline))
			if got != tt.want {
				t.Errorf("window = %d, want %d", got, tt.want)
			}
		})
	}
}
