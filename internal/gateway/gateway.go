// Package gateway assembles amogql from its parts: the amoCRM client with its
// transport policy, the GraphQL executor, the loaders, the playground and the
// HTTP routes. server.go reads the configuration and calls Serve; tests and
// the load command build the same handler through New, so what they exercise
// is what runs in production.
package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/cors"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/accesslog"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/cluster"
	"github.com/amogql/amogql/internal/gqlhttp"
	"github.com/amogql/amogql/internal/loader"
	"github.com/amogql/amogql/internal/metrics"
	"github.com/amogql/amogql/internal/playground"
	"github.com/amogql/amogql/internal/webhook"
)

// Config is the gateway's configuration, read by server.go from the
// environment and flags. The zero value of each limit picks its default.
type Config struct {
	Addr        string
	BaseURL     string // empty: serve the embedded sandbox
	AccessToken string // a long-lived token; empty with no OAuth: forward the client's bearer
	OAuth       *OAuthConfig
	RPS         float64 // upstream requests per second per credential; 0 disables the limiter
	// APIKeys are the keys clients send as X-API-Key. Required whenever the
	// gateway holds amoCRM credentials of its own.
	APIKeys          []string
	CORSOrigins      []string
	NoIntrospection  bool
	MaxDepth         int   // default 12
	MaxUpstreamCalls int   // per operation; default 30
	MaxBodyBytes     int64 // default 1 MiB
	MaxResponseBytes int64 // default gqlhttp.DefaultMaxResponseBytes
	// BodyTimeout bounds reading a request body; WriteTimeout, a client's
	// reading of its answer. Zero picks gqlhttp's defaults.
	BodyTimeout     time.Duration
	WriteTimeout    time.Duration
	APQCacheSize    int // default 1000
	UpstreamTimeout time.Duration
	// TransitBound is how long a sent request may take to reach amoCRM
	// (see ratelimit.DefaultTransitBound); zero picks the default.
	TransitBound    time.Duration
	ShutdownTimeout time.Duration
	SandboxLatency  time.Duration

	// Metrics, if set, is served at /metrics and fed by every layer.
	Metrics *metrics.Metrics
	// Changes feeds the subscriptions; New makes one when it is nil.
	Changes *changes.Hub
	// WebhookSecret turns on POST /webhooks/amocrm/{secret}; PublicURL is
	// where amoCRM reaches the gateway, for registering that route.
	WebhookSecret, PublicURL string
	// CacheTTL is the longest a cached upstream read is served without a
	// change notice; zero turns the read cache off.
	CacheTTL time.Duration
	// MetadataTTL is how long the account's users, pipelines and custom
	// field definitions are kept per credential, in this process; zero
	// reads each at most once per request.
	MetadataTTL time.Duration
	// KeepAlive is how often idle subscriptions are pinged; zero picks DefaultKeepAlive.
	KeepAlive time.Duration
	// ForceResolvers turns off the plan executor: every operation runs
	// through gqlgen's resolvers, for diagnosis (READ_EXECUTOR=resolvers).
	ForceResolvers bool
	// RedisURL, when set, makes this process one replica of a gateway whose
	// replicas share state through that Redis (see cluster.go). Serve
	// connects; New and NewUpstream read Cluster.
	RedisURL string
	// Cluster is the Redis the replicas share; nil: one process.
	Cluster *cluster.Cluster

	relay   *changes.Relay // set by Serve with a Cluster: webhooks go to every replica
	flights *inflight      // set by Serve, which logs what a shutdown cuts
	sockets *sockets       // set by Serve, which closes them on shutdown
}

// DefaultUpstreamTimeout is the timeout of one upstream call when
// Config.UpstreamTimeout is zero.
const DefaultUpstreamTimeout = 20 * time.Second

func (c Config) withDefaults() Config {
	if c.MaxDepth == 0 {
		c.MaxDepth = 12
	}
	if c.MaxUpstreamCalls == 0 {
		c.MaxUpstreamCalls = 30
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.APQCacheSize == 0 {
		c.APQCacheSize = 1000
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = gqlhttp.DefaultBodyTimeout
	}
	return c
}

// New builds the gateway's whole HTTP surface.
func New(log zerolog.Logger, cfg Config, up *Upstream) http.Handler {
	cfg = cfg.withDefaults()
	if cfg.Changes == nil {
		cfg.Changes = changes.NewHub(0)
	}
	if cfg.sockets == nil {
		cfg.sockets = newSockets()
	}
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Client: up.Client, Log: log, Changes: cfg.Changes}}))
	gql.AddTransport(transport.Options{})
	// Before GET and POST, which would claim WebSocket upgrades and SSE posts.
	gql.AddTransport(newWebsocketTransport(cfg, up, cfg.sockets, log))
	gql.AddTransport(newSSETransport(cfg))
	gql.AddTransport(gqlhttp.GET{MaxResponseBytes: cfg.MaxResponseBytes, WriteTimeout: cfg.WriteTimeout})
	gql.AddTransport(gqlhttp.POST{MaxBodyBytes: cfg.MaxBodyBytes, BodyTimeout: cfg.BodyTimeout,
		MaxResponseBytes: cfg.MaxResponseBytes, WriteTimeout: cfg.WriteTimeout})
	gql.AddTransport(gqlhttp.Unsupported{})
	docs := lru.New[*ast.QueryDocument](1000)
	gql.SetQueryCache(docs)
	const tokenLimit = 3000 // see hostile_test.go Validation/10000RepeatedFields
	gql.SetParserTokenLimit(tokenLimit)
	// See hostile_test.go Validation/AliasBomb: validation work and its
	// error list are bounded before and while gqlgen validates.
	gql.SetValidationRulesFn(gqlhttp.ValidationRules(gqlhttp.DefaultMaxValidationErrors))
	if !cfg.NoIntrospection {
		gql.Use(extension.Introspection{})
	}
	gql.Use(extension.AutomaticPersistedQuery{Cache: newAPQStore(cfg)})
	gql.Use(gqlhttp.RepeatLimit{TokenLimit: tokenLimit, Cache: docs})
	gql.Use(graph.Limits{MaxDepth: cfg.MaxDepth, MaxCalls: cfg.MaxUpstreamCalls})
	gql.Use(graph.Subscriptions{Fresh: freshContext(up.Client, cfg.MaxUpstreamCalls, cfg.Metrics)})
	gql.Use(graph.Lookahead{})
	gql.Use(graph.MutationArguments{})
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.RecoverFunc(log))
	m := cfg.Metrics
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		opCtx := graphql.GetOperationContext(ctx)
		name := opCtx.OperationName
		if name == "" && opCtx.Operation != nil {
			name = opCtx.Operation.Name
		}
		accesslog.From(ctx).SetOperation(name)
		setFlightOperation(ctx, name)
		m.SetOperation(ctx, name)
		return next(ctx)
	})
	gql.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp != nil {
			graph.SortErrors(resp.Errors)
		}
		if resp != nil && len(resp.Errors) > 0 {
			code, _ := resp.Errors[0].Extensions["code"].(string)
			if code == "" {
				code = "error"
			}
			if code == graph.CodeQueryTooComplex {
				m.ObserveRejected("too_complex")
			}
			m.SetOutcome(ctx, code)
		}
		return resp
	})
	if !cfg.ForceResolvers { // last: when it answers, no interceptor behind it runs
		gql.Use(graph.Executor{Client: up.Client})
	}

	mux := http.NewServeMux()
	addRoutes(mux, cfg, gql, up)
	mountWebhook(mux, cfg, up, log)
	return accesslog.Middleware(log, accesslog.WithPathRedactor(webhook.RedactPath))(cfg.flights.middleware(bodyDeadline(cfg.BodyTimeout)(mux)))
}

// addRoutes is the gateway's entire API surface, with each route's middleware.
func addRoutes(mux *http.ServeMux, cfg Config, gql http.Handler, up *Upstream) {
	m := cfg.Metrics
	query := loader.Middleware(up.Client, loader.WithBatchObserver(m.ObserveBatch), loader.WithMetadata(up.Metadata))(gql)
	if !up.HoldsToken {
		query = forwardBearer(m)(query)
	}
	query = limitCalls(cfg.MaxUpstreamCalls)(query)
	query = keyInInit(requireAPIKey(cfg.APIKeys, m)(query), query)
	query = limitBody(cfg.MaxBodyBytes, m)(query)
	query = m.Middleware(query)
	if len(cfg.CORSOrigins) > 0 {
		query = cors.New(cors.Options{
			AllowedOrigins: cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Content-Type", "Authorization", "X-API-Key", "X-Request-Id", "Accept"},
			ExposedHeaders: []string{"X-Request-Id"},
			MaxAge:         600,
		}).Handler(query)
	}
	mux.Handle("/query", query)
	mux.Handle("GET /healthz", http.HandlerFunc(healthz))
	mux.Handle("GET /readyz", readyz(up, cfg.Cluster))
	if m != nil {
		mux.Handle("GET /metrics", m.Handler())
	}
	pg := playground.Handler("/query", playground.WithDefaultQuery(graph.ExampleQuery))
	mux.Handle("/{$}", pg)
	mux.Handle("/playground/", pg)
}

// healthz answers liveness: the process serves HTTP.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"ok"}`)
}

// readyz answers readiness: 503 while the circuit to amoCRM is open, so a
// load balancer can send clients elsewhere instead of into fast failures.
// A replica whose Redis is down answers 200 "degraded": it still serves
// (every replica shares the one Redis, so taking them all out of the load
// balancer would turn a degraded gateway into no gateway), and says so.
func readyz(up *Upstream, cl *cluster.Cluster) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !up.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"status":"upstream circuit open"}`)
			return
		}
		if cl != nil {
			if s := cl.Status(); !s.Up {
				_ = json.NewEncoder(w).Encode(map[string]any{
					"status": "degraded", "redis": "down", "since": s.Since.UTC().Format(time.RFC3339),
					"effect": "rate budget: a local share; read cache: bypassed; subscriptions: this replica's webhooks only",
				})
				return
			}
		}
		_, _ = io.WriteString(w, `{"status":"ready"}`)
	})
}

// forwardBearer hands the client's own amoCRM token to the upstream calls
// when the gateway holds none of its own. A request without an Authorization
// header goes on (its resolvers answer UNAUTHENTICATED, and __typename costs
// nothing); a header that is not "Bearer <token>" is refused here, before its
// body is read and without an amoCRM call: forwarded, a malformed token was
// either refused by the HTTP client as an internal error or spent an amoCRM
// call to learn that it is wrong. The scheme is case-insensitive and the
// token is RFC 6750's b64token (https://www.rfc-editor.org/rfc/rfc6750#section-2.1),
// which amoCRM's JWT access tokens are.
func forwardBearer(m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h, present := r.Header["Authorization"]
			if !present || r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			token, msg := bearerToken(h)
			if msg != "" {
				refuseUnread(w)
				m.ObserveRejected("unauthenticated")
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
				writeError(w, http.StatusUnauthorized, graph.CodeUnauthenticated, msg)
				return
			}
			next.ServeHTTP(w, r.WithContext(amocrm.ContextWithBearer(r.Context(), token)))
		})
	}
}

// bearerToken returns the token of an Authorization header, or why the
// header is not one; the message never quotes the header.
func bearerToken(h []string) (token, msg string) {
	if len(h) != 1 {
		return "", "send one Authorization header: Bearer <amoCRM access token>"
	}
	scheme, token, _ := strings.Cut(strings.Trim(h[0], " "), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", "the Authorization header must use the Bearer scheme: Bearer <amoCRM access token>"
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", "the Authorization header has no token: send Bearer <amoCRM access token>"
	}
	if !isB64Token(token) {
		return "", "the Bearer token is malformed: an amoCRM access token has only letters, digits and - . _ ~ + / ="
	}
	return token, ""
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
