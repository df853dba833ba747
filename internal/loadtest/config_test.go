package loadtest

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRun_RefusesBadConfig(t *testing.T) {
	t.Parallel()
	ok := queries("a")
	tests := []struct {
		name    string
		cfg     Config
		wantIs  error  // when set, errors.Is must hold
		wantMsg string // when set, the message must contain it
	}{
		// None of these URLs is ever dialled: Run refuses them while
		// checking the config, and the dial guard would refuse them again.
		{name: "PrivateIP", cfg: Config{URL: "http://10.0.0.1/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "PublicName", cfg: Config{URL: "https://example.com/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "NameThatLooksLocal", cfg: Config{URL: "http://localhost.example.com/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "LoopbackAsSubdomain", cfg: Config{URL: "http://127.0.0.1.nip.io/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "Unspecified", cfg: Config{URL: "http://0.0.0.0:8080/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "UserinfoTrick", cfg: Config{URL: "http://127.0.0.1@10.0.0.1/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "MappedPrivate", cfg: Config{URL: "http://[::ffff:10.0.0.1]/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "ZonedIPv6", cfg: Config{URL: "http://[::1%25eth0]/query", Queries: ok}, wantIs: ErrNotLoopback},
		{name: "NoHost", cfg: Config{URL: "/query", Queries: ok}, wantMsg: "scheme"},
		{name: "Empty", cfg: Config{Queries: ok}, wantMsg: "scheme"},
		{name: "OtherScheme", cfg: Config{URL: "ftp://127.0.0.1/query", Queries: ok}, wantMsg: "scheme"},
		{name: "Unparsable", cfg: Config{URL: "http://127.0.0.1:port/query", Queries: ok}, wantMsg: "parse url"},
		{name: "NoQueries", cfg: Config{URL: "http://127.0.0.1/query"}, wantMsg: "no queries"},
		{name: "EmptyQuery", cfg: Config{URL: "http://127.0.0.1/query", Queries: []Query{{Name: "x", Query: " "}}}, wantMsg: "empty query"},
		{name: "UnencodableVariables", cfg: Config{URL: "http://127.0.0.1/query", Queries: []Query{{Name: "x", Query: "{ x }", Variables: map[string]any{"f": math.Inf(1)}}}}, wantMsg: `encode query "x"`},
		{name: "NegativeConcurrency", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, Concurrency: -1}, wantMsg: "concurrency"},
		{name: "TooManyWorkers", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, Concurrency: MaxConcurrency + 1}, wantMsg: "concurrency"},
		{name: "NegativeDuration", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, Duration: -time.Second}, wantMsg: "duration"},
		{name: "TooLong", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, Duration: MaxDuration + time.Second}, wantMsg: "duration"},
		{name: "NegativeWarmup", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, Warmup: -time.Second}, wantMsg: "warmup"},
		{name: "WarmupTooLong", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, Warmup: MaxDuration + time.Second}, wantMsg: "warmup"},
		{name: "NegativeMaxRequests", cfg: Config{URL: "http://127.0.0.1/query", Queries: ok, MaxRequests: -1}, wantMsg: "max requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A context that is already done would make Run fail before
			// sending anything even if the check were missing, so use a live
			// one with a short fuse instead.
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			res, err := Run(ctx, tt.cfg)
			if err == nil {
				t.Fatalf("Run accepted the config: %+v", res)
			}
			if res != nil {
				t.Errorf("want no result with a config error, got %+v", res)
			}
			if took := time.Since(start); took > 100*time.Millisecond {
				t.Errorf("Run took %s to refuse: want a check before any traffic", took)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestNewPlan_Defaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cfg         Config
		wantWorkers int
		wantNames   []string
	}{
		{
			name:        "Zero",
			cfg:         Config{URL: "http://localhost:8080/query", Queries: queries("a")},
			wantWorkers: DefaultConcurrency,
			wantNames:   []string{"a"},
		},
		{
			name:        "FewerWorkersThanRequests",
			cfg:         Config{URL: "http://127.0.0.1/query", Queries: queries("a", "b"), MaxRequests: 3},
			wantWorkers: 3,
			wantNames:   []string{"a", "b"},
		},
		{
			name:        "IPv6Loopback",
			cfg:         Config{URL: "http://[::1]:9000/query", Queries: []Query{{Query: "{ a }"}, {Name: "b", Query: "{ b }"}}},
			wantWorkers: DefaultConcurrency,
			wantNames:   []string{"query#1", "b"},
		},
		{
			name:        "AnyLoopbackIPAndUpperCaseName",
			cfg:         Config{URL: "https://LocalHost/query", Queries: queries("a"), Concurrency: 5},
			wantWorkers: 5,
			wantNames:   []string{"a"},
		},
		{
			name:        "MappedLoopback",
			cfg:         Config{URL: "http://[::ffff:127.3.2.1]/query", Queries: queries("a"), Concurrency: 2},
			wantWorkers: 2,
			wantNames:   []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := newPlan(tt.cfg)
			if err != nil {
				t.Fatalf("newPlan: %v", err)
			}
			if p.workers != tt.wantWorkers {
				t.Errorf("workers = %d, want %d", p.workers, tt.wantWorkers)
			}
			if tt.cfg.Duration == 0 && p.duration != DefaultDuration {
				t.Errorf("duration = %s, want default %s", p.duration, DefaultDuration)
			}
			if strings.Join(p.names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("names = %v, want %v", p.names, tt.wantNames)
			}
		})
	}
}

func TestNewPlan_HeaderIsCopied(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Api-Key": {"k"}}
	p, err := newPlan(Config{URL: "http://127.0.0.1/query", Queries: queries("a"), Header: h})
	if err != nil {
		t.Fatalf("newPlan: %v", err)
	}
	h.Set("X-Api-Key", "changed")
	if got := p.header.Get("X-Api-Key"); got != "k" {
		t.Errorf("header = %q after the caller changed its map, want %q", got, "k")
	}
}
