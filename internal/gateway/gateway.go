// Package gateway assembles amogql from its parts: the amoCRM client with its
// transport policy, the GraphQL executor, the loaders, the playground and the
// HTTP routes. server.go reads the configuration and calls Serve; tests and
// the load command build the same handler through New, so what they exercise
// is what runs in production.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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

// Config is the gateway's configuration, read by server.go from the
// environment and flags.
type Config struct {
	Addr            string
	BaseURL         string // empty: serve the embedded sandbox
	AccessToken     string // empty with a BaseURL: forward the client's bearer token
	RPS             float64
	APIKeys         []string
	UpstreamTimeout time.Duration
	ShutdownTimeout time.Duration
	SandboxLatency  time.Duration
}

// Serve runs the gateway until ctx is cancelled, then drains in-flight
// requests for at most cfg.ShutdownTimeout. ready, if not nil, is told the
// listening address once requests are accepted.
func Serve(ctx context.Context, cfg Config, log zerolog.Logger, ready func(addr string)) error {
	baseURL, token := cfg.BaseURL, cfg.AccessToken
	if baseURL == "" {
		url, stop, err := StartSandbox(sandbox.New(sandbox.WithLatency(cfg.SandboxLatency)))
		if err != nil {
			return err
		}
		defer stop()
		baseURL, token = url, sandbox.DefaultToken
		log.Info().Str("upstream", url).Msg("no AMOCRM_BASE_URL: serving the embedded sandbox (in-memory amoCRM with demo data)")
	}
	client, err := NewClient(cfg, baseURL, token, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           New(log, cfg, client, token != ""),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Str("playground", "http://"+displayAddr(ln.Addr())+"/").Msg("amogql listening")
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down: draining in-flight requests")
	// ctx is cancelled by now: the drain gets a deadline of its own.
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

// StartSandbox serves an emulator on a loopback port of its own: the gateway
// talks to it over real HTTP, exactly as it talks to amoCRM.
func StartSandbox(sb *sandbox.Sandbox) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox listen: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// NewClient builds the amoCRM client with the gateway's transport policy.
func NewClient(cfg Config, baseURL, token string, log zerolog.Logger) (*amocrm.Client, error) {
	timeout := cfg.UpstreamTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	opts := []amocrm.Option{
		amocrm.WithBaseURL(baseURL),
		amocrm.WithHTTPClient(&http.Client{Timeout: timeout, Transport: newTransport()}),
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

// New builds the gateway's whole HTTP surface. holdsToken tells whether the
// client carries its own credentials; without, each request's bearer token is
// forwarded upstream.
func New(log zerolog.Logger, cfg Config, client *amocrm.Client, holdsToken bool) http.Handler {
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Client: client, Log: log}}))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.Use(extension.Introspection{})
	gql.Use(graph.Lookahead{})
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
