// Command amogql is a GraphQL gateway in front of the amoCRM / Kommo REST API
// v4. With no upstream configured it serves an embedded sandbox: an in-memory
// amoCRM emulator with demo data, so `go run .` is enough to explore.
//
//	go run .                      serve (see -h for every setting)
//	go run . loadtest [flags]     drive load against the gateway and a sandbox with latency
//	go run . sandbox [flags]      serve the sandbox alone (the load command's child process)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/fleet"
	"github.com/amogql/amogql/internal/gateway"
	"github.com/amogql/amogql/internal/sandbox"
	"github.com/amogql/amogql/internal/webhook"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go onSignals(sigs, cancel, func() {
		fmt.Fprintln(os.Stderr, "amogql: second signal: exiting now, without waiting for in-flight requests")
		os.Exit(1)
	})
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "amogql:", err)
		os.Exit(1)
	}
}

// onSignals starts the graceful shutdown on the first signal (cancel) and
// forces the exit on the second (force): an operator who presses Ctrl-C
// again, or an orchestrator that escalates, does not wait out the drain.
func onSignals(sigs <-chan os.Signal, cancel, force func()) {
	if _, ok := <-sigs; !ok {
		return
	}
	cancel()
	if _, ok := <-sigs; ok {
		force()
	}
}

// run is the whole program; main only gives it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "loadtest" {
		return runLoadTest(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 1 && args[1] == "sandbox" {
		return runSandbox(ctx, args[1:], stdout, stderr)
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

// logConfig is how the process logs.
type logConfig struct{ Level, Format string }

// setting is one configuration value: an environment variable and the flag
// of the same meaning. A flag wins over its variable.
type setting struct {
	env, flag, def, usage string
	// secret settings never show their value: flag's usage prints each
	// flag's default, and the defaults come from the environment.
	secret bool
	value  *string
}

// loadConfig reads every setting from the environment and from flags.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (gateway.Config, logConfig, error) {
	var cfg gateway.Config
	var lc logConfig
	var v = map[string]*string{}
	settings := []setting{
		{"ADDR", "addr", ":8080", "listen address", false, nil},
		{"AMOCRM_BASE_URL", "amocrm-base-url", "", "amoCRM account URL, e.g. https://example.amocrm.ru; empty serves the embedded sandbox", false, nil},
		{"AMOCRM_ACCESS_TOKEN", "amocrm-access-token", "", "long-lived amoCRM token; with neither it nor OAuth, each client's Authorization: Bearer is forwarded", true, nil},
		{"AMOCRM_CLIENT_ID", "amocrm-client-id", "", "OAuth integration id (with the secret, redirect URI and refresh token: the gateway refreshes its own tokens)", false, nil},
		{"AMOCRM_CLIENT_SECRET", "amocrm-client-secret", "", "OAuth integration secret", true, nil},
		{"AMOCRM_REDIRECT_URI", "amocrm-redirect-uri", "", "OAuth redirect URI registered with the integration", false, nil},
		{"AMOCRM_REFRESH_TOKEN", "amocrm-refresh-token", "", "OAuth refresh token to start from (single-use; rotated tokens go to AMOCRM_TOKEN_STORE)", true, nil},
		{"AMOCRM_TOKEN_STORE", "amocrm-token-store", "amogql-tokens.json", "file (created 0600) that keeps rotated OAuth tokens across restarts", false, nil},
		{"AMOCRM_RPS", "amocrm-rps", "7", "upstream requests per second per credential", false, nil},
		{"GATEWAY_API_KEYS", "gateway-api-keys", "", "comma-separated keys clients send as X-API-Key; required when the gateway holds amoCRM credentials", true, nil},
		{"CORS_ORIGINS", "cors-origins", "", "comma-separated origins allowed to call /query from a browser", false, nil},
		{"GRAPHQL_INTROSPECTION", "graphql-introspection", "true", "serve schema introspection (turn off in production if clients don't need it)", false, nil},
		{"MAX_QUERY_DEPTH", "max-query-depth", "12", "deepest field nesting a query may have", false, nil},
		{"MAX_UPSTREAM_CALLS", "max-upstream-calls", "30", "amoCRM calls one operation may make", false, nil},
		{"MAX_BODY_BYTES", "max-body-bytes", "1048576", "largest request body", false, nil},
		{"MAX_RESPONSE_BYTES", "max-response-bytes", "16777216", "largest answer; a larger one is replaced by a RESPONSE_TOO_LARGE error", false, nil},
		{"BODY_TIMEOUT", "body-timeout", "15s", "how long a client may take to send a request body", false, nil},
		{"WRITE_TIMEOUT", "write-timeout", "30s", "how long a client may take to read an answer", false, nil},
		{"APQ_CACHE_SIZE", "apq-cache-size", "1000", "automatic persisted queries kept in memory", false, nil},
		{"UPSTREAM_TIMEOUT", "upstream-timeout", "20s", "timeout of one upstream call, waits for the rate limit included", false, nil},
		{"UPSTREAM_TRANSIT_BOUND", "upstream-transit-bound", "50ms", "longest a sent request takes to reach amoCRM, which counts it on arrival; raise it for a gateway far from amoCRM's servers", false, nil},
		{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "15s", "how long in-flight requests may finish on shutdown; never less than UPSTREAM_TIMEOUT and a margin, so a write amoCRM is carrying out is answered (a second signal exits at once)", false, nil},
		{"WEBHOOK_SECRET", "webhook-secret", "", "turns on POST /webhooks/amocrm/{secret} for amoCRM's webhooks (1-256 of A-Z a-z 0-9 - . _ ~); with the embedded sandbox a random one is used", true, nil},
		{"PUBLIC_URL", "public-url", "", "the gateway's external base URL; with WEBHOOK_SECRET and a credential the gateway holds, it registers PUBLIC_URL/webhooks/amocrm/SECRET with amoCRM", false, nil},
		{"CACHE_TTL", "cache-ttl", "", "longest a cached amoCRM read is served without a change notice; default 5m when webhooks are on (WEBHOOK_SECRET or the embedded sandbox), else 0; 0 turns the cache off", false, nil},
		{"METADATA_TTL", "metadata-ttl", "1m", "how long the account's users, pipelines and custom field definitions are kept per credential (in this process, also with REDIS_URL); 0 reads them at most once per request", false, nil},
		{"REDIS_URL", "redis-url", "", "Redis shared by the gateway's replicas (redis://[user:password@]host:port/db?read_timeout=500ms&pool_size=20): rate budget, OAuth tokens, read cache, persisted queries, change events; empty keeps all state in this process", true, nil},
		{"READ_EXECUTOR", "read-executor", "plan", "plan: reads the plan executor covers skip gqlgen's per-field execution; resolvers: every operation runs through the resolvers (for diagnosis)", false, nil},
		{"SANDBOX_LATENCY", "sandbox-latency", "0s", "latency the embedded sandbox adds to each upstream call", false, nil},
		{"LOG_LEVEL", "log-level", "info", "debug, info, warn or error", false, nil},
		{"LOG_FORMAT", "log-format", "", "json or console; default console with the sandbox, json otherwise", false, nil},
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	for i := range settings {
		s := &settings[i]
		def := s.def
		if e := getenv(s.env); e != "" {
			def = e
		}
		if s.secret {
			usage := s.usage + " (" + s.env + ")"
			if def != "" {
				usage += "; set in the environment"
			}
			s.value = fs.String(s.flag, "", usage) // the environment's value is applied after Parse
		} else {
			s.value = fs.String(s.flag, def, s.usage+" ("+s.env+")")
		}
		v[s.env] = s.value
	}
	if err := fs.Parse(args[1:]); err != nil {
		return cfg, lc, err
	}
	for _, s := range settings {
		if s.secret && *s.value == "" {
			*s.value = strings.TrimSpace(getenv(s.env))
		}
	}
	get := func(k string) string { return strings.TrimSpace(*v[k]) }
	list := func(k string) []string {
		var out []string
		for _, x := range strings.Split(get(k), ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	var errs []error
	num := func(k string) int64 {
		n, err := strconv.ParseInt(get(k), 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a whole number ≥ 0", k, get(k)))
		}
		return n
	}
	dur := func(k string) time.Duration {
		d, err := time.ParseDuration(get(k))
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a duration such as 20s", k, get(k)))
		}
		return d
	}
	cfg.Addr = get("ADDR")
	cfg.BaseURL = strings.TrimRight(get("AMOCRM_BASE_URL"), "/")
	cfg.AccessToken = get("AMOCRM_ACCESS_TOKEN")
	if id := get("AMOCRM_CLIENT_ID"); id != "" {
		cfg.OAuth = &gateway.OAuthConfig{
			ClientID: id, ClientSecret: get("AMOCRM_CLIENT_SECRET"), RedirectURI: get("AMOCRM_REDIRECT_URI"),
			RefreshToken: get("AMOCRM_REFRESH_TOKEN"), StorePath: get("AMOCRM_TOKEN_STORE"),
		}
		if cfg.AccessToken != "" {
			errs = append(errs, errors.New("set AMOCRM_ACCESS_TOKEN or the OAuth settings, not both"))
		}
	}
	rps, err := strconv.ParseFloat(get("AMOCRM_RPS"), 64)
	if err != nil || rps <= 0 {
		errs = append(errs, fmt.Errorf("AMOCRM_RPS %q: want a positive number", get("AMOCRM_RPS")))
	}
	cfg.RPS = rps
	cfg.APIKeys = list("GATEWAY_API_KEYS")
	cfg.CORSOrigins = list("CORS_ORIGINS")
	introspection, err := strconv.ParseBool(get("GRAPHQL_INTROSPECTION"))
	if err != nil {
		errs = append(errs, fmt.Errorf("GRAPHQL_INTROSPECTION %q: want true or false", get("GRAPHQL_INTROSPECTION")))
	}
	cfg.NoIntrospection = !introspection
	cfg.MaxDepth = int(num("MAX_QUERY_DEPTH"))
	cfg.MaxUpstreamCalls = int(num("MAX_UPSTREAM_CALLS"))
	cfg.MaxBodyBytes = num("MAX_BODY_BYTES")
	cfg.MaxResponseBytes = num("MAX_RESPONSE_BYTES")
	cfg.BodyTimeout = dur("BODY_TIMEOUT")
	cfg.WriteTimeout = dur("WRITE_TIMEOUT")
	cfg.APQCacheSize = int(num("APQ_CACHE_SIZE"))
	cfg.UpstreamTimeout = dur("UPSTREAM_TIMEOUT")
	cfg.TransitBound = dur("UPSTREAM_TRANSIT_BOUND")
	cfg.ShutdownTimeout = dur("SHUTDOWN_TIMEOUT")
	cfg.SandboxLatency = dur("SANDBOX_LATENCY")
	cfg.WebhookSecret = get("WEBHOOK_SECRET")
	if cfg.WebhookSecret != "" {
		if err := webhook.CheckSecret(cfg.WebhookSecret); err != nil {
			errs = append(errs, fmt.Errorf("WEBHOOK_SECRET: %w", err))
		}
	}
	cfg.PublicURL = strings.TrimRight(get("PUBLIC_URL"), "/")
	cfg.RedisURL = strings.TrimSpace(get("REDIS_URL"))
	switch get("READ_EXECUTOR") {
	case "plan":
	case "resolvers":
		cfg.ForceResolvers = true
	default:
		errs = append(errs, fmt.Errorf("READ_EXECUTOR %q: want plan or resolvers", get("READ_EXECUTOR")))
	}
	cfg.MetadataTTL = dur("METADATA_TTL")
	if get("CACHE_TTL") != "" {
		cfg.CacheTTL = dur("CACHE_TTL")
	} else if cfg.WebhookSecret != "" || cfg.BaseURL == "" {
		// Webhooks say when a cached read goes stale; without them only
		// the TTL would, so the cache stays off unless asked for.
		cfg.CacheTTL = 5 * time.Minute
	}
	lc.Level, lc.Format = get("LOG_LEVEL"), get("LOG_FORMAT")
	if lc.Format == "" {
		lc.Format = "json"
		if cfg.BaseURL == "" {
			lc.Format = "console"
		}
	}
	return cfg, lc, errors.Join(errs...)
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

// runLoadTest is `amogql loadtest`: the gateway and a sandbox with injected
// latency on loopback, driven by concurrent clients for a bounded time.
func runLoadTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts gateway.LoadOptions
	fs.DurationVar(&opts.Latency, "latency", 20*time.Millisecond, "latency the sandbox adds to each upstream call")
	fs.IntVar(&opts.Concurrency, "concurrency", 32, "concurrent clients")
	fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "how long to drive load (at most 10m)")
	only := fs.String("query", "", "run only the cost-table queries whose name contains this text, or the one with this benchmark name (e.g. Contacts50LeadsCompanies)")
	fs.BoolVar(&opts.ForceResolvers, "resolvers", false, "run every query through gqlgen's resolvers (READ_EXECUTOR=resolvers), to compare with the plan executor")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (gateway and load generator; without -team the sandbox runs in a child process) to this file")
	team := gateway.DefaultTeamOptions()
	teamMode := fs.Bool("team", false, "run the team workload instead: -clients people each reloading a 20-contact list and contact screens every 2s against an upstream enforcing -rps, 100ms latency and 40s unless -latency/-duration say otherwise, a contact renamed upstream every -change-every")
	fs.BoolVar(&team.Cache, "cache", true, "with -team: the read cache on (CACHE_TTL 5m) or off")
	fs.IntVar(&team.Clients, "clients", team.Clients, "with -team: people with the contacts screen open")
	fs.Float64Var(&team.RPS, "rps", team.RPS, "with -team: requests per second the sandbox allows, and the gateway's AMOCRM_RPS")
	fs.DurationVar(&team.ChangeEvery, "change-every", team.ChangeEvery, "with -team: how often a contact is renamed straight in the sandbox")
	replicas := fs.Int("replicas", 0, "run the replicas workload instead: this many gateway processes sharing one redis-server (installed separately) in front of a sandbox enforcing 7 rps; -clients (default 60) each read a contact of their own for -duration (default 30s), with the read cache on and off; then webhooks across replicas and Redis killed for -kill-redis mid-load")
	killRedis := fs.Duration("kill-redis", 10*time.Second, "with -replicas: how long Redis stays dead in the last load")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *replicas > 0 {
		return runReplicas(ctx, fs, *replicas, *killRedis, stdout)
	}
	if *teamMode {
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "latency":
				team.Latency = opts.Latency
			case "duration":
				team.Duration = opts.Duration
			}
		})
		_, err := gateway.TeamLoad(ctx, team, stdout)
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
		if *only == "" || strings.Contains(q.Name, *only) || q.Bench == *only {
			opts.Queries = append(opts.Queries, q)
		}
	}
	if len(opts.Queries) == 0 {
		return fmt.Errorf("no cost-table query matches %q", *only)
	}
	// The sandbox runs as a child (`amogql sandbox`), so the CPU measured of
	// this process is not the emulator's. -team keeps it in-process: it
	// watches the sandbox's webhook deliveries through its Go API.
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// The child outlives a Ctrl-C until the report has read its counter.
	sb, err := gateway.StartSandboxProcess(context.WithoutCancel(ctx), exe,
		[]string{"sandbox", "-addr", "127.0.0.1:0", "-latency", opts.Latency.String(), "-exit-on-stdin-eof"}, stderr)
	if err != nil {
		return err
	}
	opts.SandboxURL = sb.URL
	err = gateway.LoadTest(ctx, opts, stdout)
	return errors.Join(err, sb.Stop())
}

// runSandbox is `amogql sandbox`: the in-memory amoCRM emulator alone, so
// that the load command can run it in a process of its own.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: amogql sandbox [flags]

Serves the in-memory amoCRM emulator with its demo data, and GET /_sandbox/calls
(its call count), until SIGTERM or SIGINT. The first line on stdout is where,
as JSON: {"url":"http://127.0.0.1:PORT"}. The load command runs it as a child.

`)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:0", "listen address; port 0 picks a free one")
	latency := fs.Duration("latency", 0, "latency added to each /api/v4 call")
	contacts := fs.Int("contacts", 300, "generated demo contacts (companies, leads and customers scale with them)")
	stdinEOF := fs.Bool("exit-on-stdin-eof", false, "also exit when stdin closes, so a parent process that dies takes the sandbox with it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sandbox: unexpected arguments %q", fs.Args())
	}
	var stdin io.Reader
	if *stdinEOF {
		stdin = os.Stdin
	}
	sb := sandbox.New(sandbox.WithLatency(*latency), sandbox.WithContacts(*contacts))
	return gateway.ServeSandboxProcess(ctx, *addr, sb, stdin, stdout)
}

// runReplicas is `amogql loadtest -replicas N`: this program, run as N
// gateway processes beside one redis-server and a sandbox enforcing 7 rps.
func runReplicas(ctx context.Context, fs *flag.FlagSet, n int, killRedis time.Duration, stdout io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o := fleet.RunOptions{Exe: exe, Replicas: n, Clients: 60, Duration: 30 * time.Second, KillRedisFor: killRedis, TokenTTL: 40 * time.Second}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "duration":
			o.Duration, _ = time.ParseDuration(f.Value.String())
			o.TokenTTL = max(o.Duration+o.Duration/3, 2*time.Second)
		case "clients":
			o.Clients, _ = strconv.Atoi(f.Value.String())
		}
	})
	return fleet.Run(ctx, o, stdout)
}
