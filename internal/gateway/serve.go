package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/metrics"
	"github.com/amogql/amogql/internal/sandbox"
)

// Serve runs the gateway until ctx is cancelled, then drains in-flight
// requests for drainTimeout(cfg): at least cfg.ShutdownTimeout, and never
// less than the longest upstream call, so a write amoCRM is carrying out
// still gets its answer to the client. Requests still in flight when the
// drain ends are logged and cut. ready, if not nil, is told the listening
// address once requests are accepted.
func Serve(ctx context.Context, cfg Config, log zerolog.Logger, ready func(addr string)) error {
	embedded := cfg.BaseURL == ""
	if embedded {
		url, stop, err := StartSandbox(sandbox.New(sandbox.WithLatency(cfg.SandboxLatency)))
		if err != nil {
			return err
		}
		defer stop()
		cfg.BaseURL, cfg.AccessToken, cfg.OAuth = url, sandbox.DefaultToken, nil
		// The sandbox delivers webhooks like amoCRM: the gateway subscribes
		// to them itself, so subscriptions and the cache work at once.
		if cfg.WebhookSecret == "" {
			cfg.WebhookSecret = newWebhookSecret()
		}
		log.Info().Str("upstream", url).Msg("no AMOCRM_BASE_URL: serving the embedded sandbox (in-memory amoCRM with demo data)")
	} else if (cfg.AccessToken != "" || cfg.OAuth != nil) && len(cfg.APIKeys) == 0 {
		return errors.New("the gateway holds amoCRM credentials: set GATEWAY_API_KEYS so only your clients can use them")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.RedisURL != "" && cfg.Cluster == nil {
		cl, err := openCluster(cfg, log)
		if err != nil {
			return err
		}
		defer cl.Close()
		cfg.Cluster = cl
	}
	up, err := NewUpstream(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	cfg.flights = newInflight()
	cfg.sockets = newSockets()
	if cfg.Changes == nil {
		cfg.Changes = changes.NewHub(0)
	}
	live, stopLive := context.WithCancel(context.Background())
	defer stopLive()
	if cfg.Cluster != nil {
		if cfg.relay, err = startRelay(live, cfg, log); err != nil {
			return err
		}
	}
	drain := drainTimeout(cfg)
	// Request contexts derive from the server's own background context, not
	// from ctx: the signal that starts the drain must not cancel the
	// requests the drain waits for.
	srv := &http.Server{
		Handler:           New(log, cfg, up),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	// Shutdown neither waits for WebSockets (hijacked) nor ends streams:
	// close the sockets with 1001 and end every subscription, so SSE
	// streams finish and the drain waits only for ordinary requests.
	srv.RegisterOnShutdown(func() {
		cfg.sockets.goingAway()
		cfg.Changes.Close()
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if embedded && cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + displayAddr(ln.Addr())
	}
	registerWebhook(live, cfg, up, log)
	cfg.Metrics.WatchSubscriptions(cfg.Changes.Len)
	log.Info().Str("addr", ln.Addr().String()).Str("playground", "http://"+displayAddr(ln.Addr())+"/").
		Bool("api_keys", len(cfg.APIKeys) > 0).Float64("rps", cfg.RPS).Dur("shutdown_drain", drain).
		Bool("webhooks", cfg.WebhookSecret != "").Dur("cache_ttl", cfg.CacheTTL).Msg("amogql listening")
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Dur("drain", drain).Msg("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		n := cfg.flights.logRemaining(log)
		_ = srv.Close()
		<-errc
		return fmt.Errorf("shutdown: %d requests still in flight after the %v drain were cut: %w", n, drain, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info().Msg("stopped")
	return nil
}

// drainTimeout is how long a shutdown waits for in-flight requests: the
// configured ShutdownTimeout, but at least one upstream call's timeout and a
// margin to write the answer. A shorter drain would drop a mutation amoCRM
// carries out anyway, leaving its client with no answer and no way to know
// whether it happened.
func drainTimeout(cfg Config) time.Duration {
	up := cfg.UpstreamTimeout
	if up <= 0 {
		up = DefaultUpstreamTimeout
	}
	return max(cfg.ShutdownTimeout, up+max(time.Second, up/4))
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
	return "http://" + ln.Addr().String(), func() { _ = srv.Close(); sb.Close() }, nil
}
