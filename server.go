// Command amogql is a GraphQL gateway in front of the amoCRM / Kommo REST API
// v4. With no upstream configured it serves an embedded sandbox: an in-memory
// amoCRM emulator with demo data, so `go run .` is enough to explore.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/accesslog"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
	"github.com/amogql/amogql/internal/playground"
	"github.com/amogql/amogql/internal/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "amogql:", err)
		os.Exit(1)
	}
}

// config is everything the gateway is told at start-up. Each setting is an
// environment variable and a flag of the same meaning; the flag wins.
type config struct {
	Addr            string
	BaseURL         string
	AccessToken     string
	RPS             float64
	APIKeys         []string
	LogLevel        string
	LogFormat       string
	UpstreamTimeout time.Duration
	ShutdownTimeout time.Duration
	SandboxLatency  time.Duration
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var keys, rps, upstreamTimeout, shutdownTimeout, latency string
	fs.StringVar(&cfg.Addr, "addr", env("ADDR", ":8080"), "listen address (ADDR)")
	fs.StringVar(&cfg.BaseURL, "amocrm-base-url", env("AMOCRM_BASE_URL", ""), "amoCRM account URL, e.g. https://example.amocrm.ru; empty serves the embedded sandbox (AMOCRM_BASE_URL)")
	fs.StringVar(&cfg.AccessToken, "amocrm-access-token", env("AMOCRM_ACCESS_TOKEN", ""), "long-lived amoCRM token; empty forwards the client's Authorization: Bearer (AMOCRM_ACCESS_TOKEN)")
	fs.StringVar(&rps, "amocrm-rps", env("AMOCRM_RPS", "7"), "upstream requests per second per credential (AMOCRM_RPS)")
	fs.StringVar(&keys, "gateway-api-keys", env("GATEWAY_API_KEYS", ""), "comma-separated keys clients send as X-API-Key (GATEWAY_API_KEYS)")
	fs.StringVar(&cfg.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("LOG_FORMAT", ""), "json or console; default console with the sandbox, json otherwise (LOG_FORMAT)")
	fs.StringVar(&upstreamTimeout, "upstream-timeout", env("UPSTREAM_TIMEOUT", "20s"), "timeout of one upstream call (UPSTREAM_TIMEOUT)")
	fs.StringVar(&shutdownTimeout, "shutdown-timeout", env("SHUTDOWN_TIMEOUT", "15s"), "how long in-flight requests may finish on shutdown (SHUTDOWN_TIMEOUT)")
	fs.StringVar(&latency, "sandbox-latency", env("SANDBOX_LATENCY", "0s"), "latency the embedded sandbox adds to each upstream call (SANDBOX_LATENCY)")
	if err := fs.Parse(args[1:]); err != nil {
		return cfg, err
	}
	var err error
	if _, err = fmt.Sscan(rps, &cfg.RPS); err != nil || cfg.RPS <= 0 {
		return cfg, fmt.Errorf("AMOCRM_RPS %q: want a positive number", rps)
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
			return cfg, fmt.Errorf("%s %q: want a duration such as 20s", name, d.raw)
		}
	}
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.APIKeys = append(cfg.APIKeys, k)
		}
	}
	if cfg.LogFormat == "" {
		cfg.LogFormat = "json"
		if cfg.BaseURL == "" {
			cfg.LogFormat = "console"
		}
	}
	return cfg, nil
}

func newLogger(cfg config, out io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("LOG_LEVEL %q: %w", cfg.LogLevel, err)
	}
	switch cfg.LogFormat {
	case "json":
	case "console":
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly}
	default:
		return zerolog.Nop(), fmt.Errorf("LOG_FORMAT %q: want json or console", cfg.LogFormat)
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// run is the whole program; main only gives it the process's surroundings,
// so tests start the real gateway in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg, stdout)
	if err != nil {
		return err
	}

	baseURL, token := cfg.BaseURL, cfg.AccessToken
	if baseURL == "" {
		sb, url, stop, err := startSandbox(cfg)
		if err != nil {
			return err
		}
		defer stop()
		_ = sb
		baseURL, token = url, sandbox.DefaultToken
		log.Info().Str("upstream", url).Msg("no AMOCRM_BASE_URL: serving the embedded sandbox (in-memory amoCRM with demo data)")
	}

	client, err := newClient(cfg, baseURL, token, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           newServer(log, cfg, client, token != ""),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Str("playground", "http://"+displayAddr(ln.Addr())+"/").Msg("amogql listening")

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down: draining in-flight requests")
	// The run context is cancelled by now: shutdown gets a fresh deadline.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info().Msg("stopped")
	return nil
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}

// startSandbox serves the emulator on a loopback port of its own: the gateway
// talks to it over real HTTP, exactly as it talks to amoCRM.
func startSandbox(cfg config) (*sandbox.Sandbox, string, func(), error) {
	sb := sandbox.New(sandbox.WithLatency(cfg.SandboxLatency))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("sandbox listen: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return sb, "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func newClient(cfg config, baseURL, token string, log zerolog.Logger) (*amocrm.Client, error) {
	opts := []amocrm.Option{
		amocrm.WithBaseURL(baseURL),
		amocrm.WithHTTPClient(&http.Client{Timeout: cfg.UpstreamTimeout, Transport: newTransport()}),
		amocrm.WithLogger(log),
		amocrm.WithObserver(func(req *http.Request, status int, d time.Duration, _ error) {
			accesslog.From(req.Context()).AddUpstream(status, d)
		}),
	}
	if token != "" {
		opts = append(opts, amocrm.WithToken(token))
	}
	return amocrm.NewClient(opts...)
}

// newTransport keeps enough idle connections for a whole batch of concurrent
// loader calls to one host; the default of 2 would reopen them every query.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 64
	return t
}

// newServer builds the gateway's whole HTTP surface.
func newServer(log zerolog.Logger, cfg config, client *amocrm.Client, holdsToken bool) http.Handler {
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Client: client, Log: log}}))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.Use(extension.Introspection{})
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.RecoverFunc(log))
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		accesslog.From(ctx).SetOperation(graphql.GetOperationContext(ctx).OperationName)
		return next(ctx)
	})

	mux := http.NewServeMux()
	addRoutes(mux, gql, client, holdsToken)
	return accesslog.Middleware(log)(mux)
}

// addRoutes is the gateway's entire API surface.
func addRoutes(mux *http.ServeMux, gql http.Handler, client *amocrm.Client, holdsToken bool) {
	query := loader.Middleware(client)(gql)
	if !holdsToken {
		query = forwardBearer(query)
	}
	mux.Handle("/query", query)
	mux.Handle("GET /healthz", http.HandlerFunc(healthz))
	pg := playground.Handler("/query", playground.WithDefaultQuery(graph.ExampleQuery))
	mux.Handle("/{$}", pg)
	mux.Handle("/playground/", pg)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"ok"}`)
}

// forwardBearer hands the client's own amoCRM token to the upstream calls
// when the gateway holds none of its own.
func forwardBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && strings.TrimSpace(token) != "" {
			r = r.WithContext(amocrm.ContextWithBearer(r.Context(), strings.TrimSpace(token)))
		}
		next.ServeHTTP(w, r)
	})
}
