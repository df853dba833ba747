package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/accesslog"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/breaker"
	"github.com/amogql/amogql/internal/cache"
	"github.com/amogql/amogql/internal/loader"
	"github.com/amogql/amogql/internal/oauth"
	"github.com/amogql/amogql/internal/ratelimit"
	"github.com/amogql/amogql/internal/retry"
)

// OAuthConfig is an amoCRM OAuth 2.0 integration whose access token the
// gateway refreshes itself.
type OAuthConfig struct {
	ClientID, ClientSecret, RedirectURI string
	// RefreshToken starts the chain; rotated tokens are kept in StorePath,
	// which wins over RefreshToken once it exists.
	RefreshToken string
	StorePath    string
}

// Upstream is the amoCRM side of the gateway: the client with its transport
// policy, and what the HTTP edge needs to know about it.
type Upstream struct {
	Client *amocrm.Client
	// HoldsToken is true when the gateway has credentials of its own; false
	// means each client's bearer token is forwarded.
	HoldsToken bool
	// Cache is the read cache in front of amoCRM; nil when it is off.
	Cache *cache.Cache
	// Metadata keeps the account's users, pipelines and field definitions
	// for Config.MetadataTTL, per credential.
	Metadata     *loader.Metadata
	breaker      *breaker.Breaker
	probing      atomic.Bool
	probeTimeout time.Duration
}

// probePath is what a readiness probe asks amoCRM for: the account, the
// cheapest call every token may make.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/account-info
const probePath = "api/v4/account"

// Ready reports whether upstream calls are being let through. It needs no
// client traffic to recover: once the open circuit's cool-down has passed,
// a gateway holding its own token probes amoCRM in the background (one GET
// of the account, spending one rate slot, at most once per cool-down, since
// the breaker admits one probe and reopens for a new cool-down when it
// fails) and is ready again as soon as the probe succeeds; a pass-through
// gateway, which has no token to probe with, reports ready, so that the
// next client call is let through as the probe.
func (u *Upstream) Ready() bool {
	if u.breaker == nil || u.breaker.State() == breaker.Closed {
		return true
	}
	if !u.breaker.ProbeDue() {
		return false
	}
	if !u.HoldsToken {
		return true
	}
	u.probe()
	return false
}

// probe sends one readiness probe unless one is under way. Its answer
// reaches the breaker through the client's layers; Ready reads the result.
func (u *Upstream) probe() {
	if !u.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer u.probing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), u.probeTimeout)
		defer cancel()
		// A probe asks amoCRM itself, never the read cache.
		req, err := u.Client.NewRequest(cache.Bypass(ctx), http.MethodGet, probePath, nil)
		if err != nil {
			return
		}
		_, _ = u.Client.Do(req, nil) // any answer below 500 closes the circuit
	}()
}

// NewUpstream builds the amoCRM client. Its layers, outermost first:
// credentials (a long-lived token, OAuth with refresh and one replay on 401,
// or the caller's own bearer), then the read cache (when CacheTTL is set),
// retries of safe methods, the circuit
// breaker, the per-credential rate limit, the per-operation call budget and
// the request id, then the network. Retries sit outside the breaker and the
// limiter so every attempt waits for a rate slot and an open circuit fails at
// once; the limiter sits inside the breaker so refused calls never spend budget.
func NewUpstream(cfg Config, log zerolog.Logger) (*Upstream, error) {
	return newUpstream(cfg, log, breaker.DefaultCoolDown)
}

// newUpstream is NewUpstream with the circuit breaker's cool-down, which
// tests shorten.
func newUpstream(cfg Config, log zerolog.Logger, coolDown time.Duration) (*Upstream, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("AMOCRM_BASE_URL %q: want the account's URL, e.g. https://example.amocrm.ru", cfg.BaseURL)
	}
	timeout := cfg.UpstreamTimeout
	if timeout <= 0 {
		timeout = DefaultUpstreamTimeout
	}
	up := &Upstream{HoldsToken: cfg.AccessToken != "" || cfg.OAuth != nil, probeTimeout: timeout,
		Metadata: loader.NewMetadata(cfg.MetadataTTL)}

	var layers []func(http.RoundTripper) http.RoundTripper
	opts := []amocrm.Option{
		amocrm.WithBaseURL(cfg.BaseURL),
		amocrm.WithHTTPClient(&http.Client{Timeout: timeout, Transport: newTransport()}),
		amocrm.WithLogger(log),
		amocrm.WithObserver(func(req *http.Request, status int, d time.Duration, err error) {
			accesslog.From(req.Context()).AddUpstream(status, d)
			cfg.Metrics.ObserveUpstream(req, status, d, err)
		}),
	}
	switch {
	case cfg.OAuth != nil:
		tokenURL, err := oauth.TokenURLFor(cfg.BaseURL)
		if err != nil {
			return nil, err
		}
		oc := oauth.Config{
			TokenURL: tokenURL, ClientID: cfg.OAuth.ClientID, ClientSecret: cfg.OAuth.ClientSecret,
			RedirectURI: cfg.OAuth.RedirectURI, RefreshToken: cfg.OAuth.RefreshToken, StorePath: cfg.OAuth.StorePath,
			HTTPClient: &http.Client{Timeout: timeout},
			OnError:    func(err error) { log.Warn().Err(err).Msg("amoCRM token refresh failed") },
		}
		if cl := cfg.Cluster; cl != nil {
			// The pair and its refresh lock live in Redis: a refresh
			// token works once, whichever replica spends it.
			oc.Redis, oc.RedisPrefix, oc.Health = cl.Client(), cl.Prefix(), cl
		}
		ts, err := oauth.New(oc)
		if err != nil {
			return nil, err
		}
		opts = append(opts, amocrm.WithTokenSource(ts))
		layers = append(layers, oauth.RetryOn401(ts))
	case cfg.AccessToken != "":
		opts = append(opts, amocrm.WithToken(cfg.AccessToken))
	}

	if up.Cache, err = newCache(cfg); err != nil {
		return nil, err
	}
	if up.Cache != nil {
		// Outside retries, breaker and rate limit: an answer from the
		// cache spends none of them.
		layers = append(layers, up.Cache.Wrap)
	}
	rp, err := retry.New()
	if err != nil {
		return nil, err
	}
	br, err := breaker.New(
		breaker.WithCoolDown(coolDown),
		// The upstream timeout covers the wait for a rate slot too: a call
		// that ran out of time before amoCRM held it for half of it (or a
		// second) was overload of the gateway, not an outage of amoCRM.
		breaker.WithPatience(min(breaker.DefaultPatience, timeout/2)),
		breaker.WithOnStateChange(func(from, to breaker.State) {
			log.Warn().Str("from", from.String()).Str("to", to.String()).Msg("amoCRM circuit breaker")
			cfg.Metrics.SetBreakerState(to.String())
		}))
	if err != nil {
		return nil, err
	}
	up.breaker = br
	layers = append(layers, rp.Wrap, br.Wrap)
	if cfg.RPS > 0 {
		opts := []ratelimit.Option{ratelimit.WithRate(cfg.RPS), ratelimit.WithObserver(cfg.Metrics.ObserveLimiterWait)}
		if cfg.TransitBound > 0 {
			opts = append(opts, ratelimit.WithTransitBound(cfg.TransitBound))
		}
		if cl := cfg.Cluster; cl != nil {
			opts = append(opts, ratelimit.WithShared(cl.Client(), cl.Prefix(), cl, cl.Replicas))
		}
		rl, err := ratelimit.New(opts...)
		if err != nil {
			return nil, err
		}
		layers = append(layers, rl.Wrap)
	}
	layers = append(layers, callBudget, requestID)
	opts = append(opts, amocrm.WithMiddleware(layers...))

	if up.Client, err = amocrm.NewClient(opts...); err != nil {
		return nil, err
	}
	return up, nil
}

// newTransport keeps enough idle connections for a whole batch of concurrent
// loader calls to one host; the default of 2 would reopen them every query.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 64
	return t
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// requestID carries the client request's id to amoCRM, so one id follows a
// query through the gateway's log and, if asked, amoCRM support.
func requestID(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if id := accesslog.From(r.Context()).RequestID(); id != "" && r.Header.Get(accesslog.HeaderRequestID) == "" {
			r = r.Clone(r.Context())
			r.Header.Set(accesslog.HeaderRequestID, id)
		}
		return next.RoundTrip(r)
	})
}

// callBudgetError refuses an upstream call past the operation's budget, so
// one expensive query cannot drain the 7-requests-per-second budget that
// every client of the account shares. It is marked not sent, so retries
// leave it alone.
type callBudgetError struct{ max int }

func (e *callBudgetError) Error() string {
	return fmt.Sprintf("%v (at most %d)", graph.ErrCallBudget, e.max)
}
func (e *callBudgetError) Unwrap() error { return graph.ErrCallBudget }
func (e *callBudgetError) NotSent() bool { return true }

type budget struct {
	max  int32
	used atomic.Int32
}

type budgetKey struct{}

func callBudget(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if b, ok := r.Context().Value(budgetKey{}).(*budget); ok && b.used.Add(1) > b.max {
			return nil, &callBudgetError{max: int(b.max)}
		}
		return next.RoundTrip(r)
	})
}
