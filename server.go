// Command amogql is a GraphQL gateway in front of the amoCRM / Kommo REST API
// v4. With no upstream configured it serves an embedded sandbox: an in-memory
// amoCRM emulator with demo data, so `go run .` is enough to explore.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "amogql:", err)
		os.Exit(1)
	}
}

// logConfig is how the process logs.
type logConfig struct{ Level, Format string }

// loadConfig reads every setting from the environment and from flags of the
// same meaning; a flag wins over its variable.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (gateway.Config, logConfig, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg gateway.Config
	var lc logConfig
	var keys, rps, upstreamTimeout, shutdownTimeout, latency string
	fs.StringVar(&cfg.Addr, "addr", env("ADDR", ":8080"), "listen address (ADDR)")
	fs.StringVar(&cfg.BaseURL, "amocrm-base-url", env("AMOCRM_BASE_URL", ""), "amoCRM account URL, e.g. https://example.amocrm.ru; empty serves the embedded sandbox (AMOCRM_BASE_URL)")
	fs.StringVar(&cfg.AccessToken, "amocrm-access-token", env("AMOCRM_ACCESS_TOKEN", ""), "long-lived amoCRM token; empty forwards the client's Authorization: Bearer (AMOCRM_ACCESS_TOKEN)")
	fs.StringVar(&rps, "amocrm-rps", env("AMOCRM_RPS", "7"), "upstream requests per second per credential (AMOCRM_RPS)")
	fs.StringVar(&keys, "gateway-api-keys", env("GATEWAY_API_KEYS", ""), "comma-separated keys clients send as X-API-Key (GATEWAY_API_KEYS)")
	fs.StringVar(&lc.Level, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&lc.Format, "log-format", env("LOG_FORMAT", ""), "json or console; default console with the sandbox, json otherwise (LOG_FORMAT)")
	fs.StringVar(&upstreamTimeout, "upstream-timeout", env("UPSTREAM_TIMEOUT", "20s"), "timeout of one upstream call (UPSTREAM_TIMEOUT)")
	fs.StringVar(&shutdownTimeout, "shutdown-timeout", env("SHUTDOWN_TIMEOUT", "15s"), "how long in-flight requests may finish on shutdown (SHUTDOWN_TIMEOUT)")
	fs.StringVar(&latency, "sandbox-latency", env("SANDBOX_LATENCY", "0s"), "latency the embedded sandbox adds to each upstream call (SANDBOX_LATENCY)")
	if err := fs.Parse(args[1:]); err != nil {
		return cfg, lc, err
	}
	var err error
	if _, err = fmt.Sscan(rps, &cfg.RPS); err != nil || cfg.RPS <= 0 {
		return cfg, lc, fmt.Errorf("AMOCRM_RPS %q: want a positive number", rps)
	}
	for name, d := range map[string]struct {
		raw string
		dst *time.Duration
	}{
		"UPSTREAM_TIMEOUT": {upstreamTimeout, &cfg.UpstreamTimeout},
		"SHUTDOWN_TIMEOUT": {shutdownTimeout, &cfg.ShutdownTimeout},
		"SANDBOX_LATENCY":  {latency, &cfg.SandboxLatency},
	} {
		if *d.dst, err = time.ParseDuration(d.raw); err != nil || *d.dst < 0 {
			return cfg, lc, fmt.Errorf("%s %q: want a duration such as 20s", name, d.raw)
		}
	}
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.APIKeys = append(cfg.APIKeys, k)
		}
	}
	if lc.Format == "" {
		lc.Format = "json"
		if cfg.BaseURL == "" {
			lc.Format = "console"
		}
	}
	return cfg, lc, nil
}

func newLogger(lc logConfig, out io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(lc.Level)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("LOG_LEVEL %q: %w", lc.Level, err)
	}
	switch lc.Format {
	case "json":
	case "console":
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly}
	default:
		return zerolog.Nop(), fmt.Errorf("LOG_FORMAT %q: want json or console", lc.Format)
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// run is the whole program; main only gives it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "loadtest" {
		return runLoadTest(ctx, args[1:], stdout, stderr)
	}
	cfg, logCfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(logCfg, stdout)
	if err != nil {
		return err
	}
	return gateway.Serve(ctx, cfg, log, nil)
}

// runLoadTest is `amogql loadtest`: the gateway and a sandbox with injected
// latency on loopback, driven by concurrent clients for a bounded time.
func runLoadTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts gateway.LoadOptions
	fs.DurationVar(&opts.Latency, "latency", 20*time.Millisecond, "latency the sandbox adds to each upstream call")
	fs.IntVar(&opts.Concurrency, "concurrency", 32, "concurrent clients")
	fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "how long to drive load (at most 10m)")
	only := fs.String("query", "", "run only the cost-table queries whose name contains this text")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (gateway, sandbox and load) to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, q := range gateway.CostQueries {
		if *only == "" || strings.Contains(q.Name, *only) {
			opts.Queries = append(opts.Queries, q)
		}
	}
	if len(opts.Queries) == 0 {
		return fmt.Errorf("no cost-table query matches %q", *only)
	}
	return gateway.LoadTest(ctx, opts, stdout)
}
