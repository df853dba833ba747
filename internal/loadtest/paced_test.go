package loadtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Each client runs its rounds, paced; failures are counted by their code.
func TestRunPaced_CountsByCode(t *testing.T) {
	t.Parallel()
	url := serve(t, &fakeGraphQL{})
	var mu sync.Mutex
	perClient := map[int]int{}
	res, err := RunPaced(t.Context(), PacedConfig{
		URL: url, Clients: 3, Every: 50 * time.Millisecond, Duration: 200 * time.Millisecond,
		Round: func(ctx context.Context, c *Caller, client, round int) {
			mu.Lock()
			perClient[client]++
			mu.Unlock()
			for _, q := range []string{"{ ok }", "{ gqlError }", "{ fail500 }", "{ notJSON }"} {
				if _, err := c.Query(ctx, q, q, nil); err != nil && q == "{ ok }" {
					t.Errorf("ok query: %v", err)
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rounds := 0
	for client := range 3 {
		// Four periods fit in the run; the count is bounded, not exact.
		if n := perClient[client]; n < 1 || n > 4 {
			t.Errorf("client %d ran %d rounds, want 1..4", client, n)
		}
		rounds += perClient[client]
	}
	if res.Rounds != rounds {
		t.Errorf("Rounds = %d, clients ran %d", res.Rounds, rounds)
	}
	want := map[string]map[string]int{
		"{ ok }":       {},
		"{ gqlError }": {"INTERNAL": rounds},
		"{ fail500 }":  {"HTTP": rounds},
		"{ notJSON }":  {"DECODE": rounds},
	}
	for name, codes := range want {
		s := res.PerQuery[name]
		if s.Requests != rounds || len(s.Errors) != len(codes) {
			t.Errorf("%s: %d requests, errors %v; want %d, %v", name, s.Requests, s.Errors, rounds, codes)
		}
		for code, n := range codes {
			if s.Errors[code] != n {
				t.Errorf("%s: %d %s errors, want %d", name, s.Errors[code], code, n)
			}
		}
	}
	if res.All.Requests != 4*rounds || res.All.ErrorCount("") != 3*rounds {
		t.Errorf("all: %d requests, %d errors; want %d, %d", res.All.Requests, res.All.ErrorCount(""), 4*rounds, 3*rounds)
	}
}

func TestRunPaced_Refuses(t *testing.T) {
	t.Parallel()
	round := func(context.Context, *Caller, int, int) {}
	tests := []struct {
		name string
		cfg  PacedConfig
	}{
		{"off the machine", PacedConfig{URL: "http://example.com/query", Clients: 1, Every: time.Second, Duration: time.Second, Round: round}},
		{"no clients", PacedConfig{URL: "http://127.0.0.1:1/query", Every: time.Second, Duration: time.Second, Round: round}},
		{"no period", PacedConfig{URL: "http://127.0.0.1:1/query", Clients: 1, Duration: time.Second, Round: round}},
		{"too long", PacedConfig{URL: "http://127.0.0.1:1/query", Clients: 1, Every: time.Second, Duration: MaxDuration + 1, Round: round}},
		{"no round", PacedConfig{URL: "http://127.0.0.1:1/query", Clients: 1, Every: time.Second, Duration: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := RunPaced(t.Context(), tt.cfg); err == nil {
				t.Error("want an error")
			}
		})
	}
	if _, err := RunPaced(t.Context(), tests[0].cfg); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("off the machine: %v, want ErrNotLoopback", err)
	}
}
