package gateway

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
	"github.com/amogql/amogql/internal/metrics"
)

// Subscriptions are served on /query over two transports: graphql-transport-ws
// on a WebSocket (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md)
// and GraphQL over SSE in its "distinct connections" mode
// (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md).

// DefaultKeepAlive is how often the gateway pings an idle subscription's
// client when Config.KeepAlive is zero: often enough that proxies, which
// commonly drop connections idle for 60 s, keep them open.
const DefaultKeepAlive = 15 * time.Second

// Close codes of graphql-transport-ws and RFC 6455 the gateway sends.
const (
	closeForbidden  = 4403 // graphql-transport-ws: connection_init refused
	closeBadRequest = 4400 // graphql-transport-ws: a malformed connection_init
	closeGoingAway  = 1001 // RFC 6455: the server is shutting down
)

// initTimeout is how long a WebSocket may stay open without connection_init.
const initTimeout = 10 * time.Second

// websocketTransport is gqlgen's WebSocket transport, claiming only real
// WebSocket upgrades (gqlgen's claims any request with an Upgrade header).
type websocketTransport struct{ transport.Websocket }

// Supports claims a GET that asks to become a WebSocket.
func (websocketTransport) Supports(r *http.Request) bool { return isWebsocketUpgrade(r) }

// Do serves the connection. A refused upgrade (a foreign origin, a bad
// handshake) is answered by the WebSocket library; gqlgen would then write a
// second answer after it, which upgradeWriter drops.
func (t websocketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Websocket.Do(&upgradeWriter{ResponseWriter: w}, r, exec)
}

// upgradeWriter lets through only the first answer to an upgrade request.
type upgradeWriter struct {
	http.ResponseWriter
	refused bool // set by socketAcceptor when the upgrade failed and was answered
}

func (w *upgradeWriter) WriteHeader(code int) {
	if !w.refused {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *upgradeWriter) Write(b []byte) (int, error) {
	if w.refused {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *upgradeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isWebsocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// newWebsocketTransport builds the WebSocket transport: the origin check,
// the API key and bearer token taken from connection_init, keepalive pings,
// a bound on each message and on each write, and the sockets tracked for
// shutdown.
func newWebsocketTransport(cfg Config, up *Upstream, socks *sockets, log zerolog.Logger) graphql.Transport {
	accept := coderws.AcceptOptions{OriginPatterns: cfg.CORSOrigins}
	// A page on any origin may connect only when CORS allows any origin;
	// otherwise the same origin and CORS_ORIGINS (matched as scheme://host).
	if slices.Contains(cfg.CORSOrigins, "*") {
		accept = coderws.AcceptOptions{InsecureSkipVerify: true}
	}
	keepAlive := cfg.KeepAlive
	if keepAlive <= 0 {
		keepAlive = DefaultKeepAlive
	}
	limit := cfg.MaxBodyBytes
	return websocketTransport{transport.Websocket{
		Implementation: socketAcceptor{
			inner:        transport.CoderWebsocketImplementation{AcceptOptions: accept},
			socks:        socks,
			writeTimeout: writeTimeout(cfg),
		},
		InitFunc:              initAuth(cfg.APIKeys, up.HoldsToken, cfg.Metrics),
		InitTimeout:           initTimeout,
		ErrorFunc:             logSocketErrors(log),
		KeepAlivePingInterval: keepAlive, // the legacy graphql-ws protocol's "ka"
		PingPongInterval:      keepAlive, // graphql-transport-ws: a client that stops answering is cut after two
		PayloadReadLimit:      &limit,
	}}
}

func writeTimeout(cfg Config) time.Duration {
	if cfg.WriteTimeout > 0 {
		return cfg.WriteTimeout
	}
	return 30 * time.Second
}

// keyPendingKey marks a WebSocket upgrade that came without an X-API-Key
// header: its key must come in connection_init.
type keyPendingKey struct{}

// keyInInit lets WebSocket upgrades without an X-API-Key header past the
// header check (keyed) to unkeyed, marked so that connection_init must carry
// the key: browsers cannot set headers on a WebSocket. An upgrade that does
// send the header, and every other request, goes through keyed.
func keyInInit(keyed, unkeyed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocketUpgrade(r) && r.Header.Get("X-API-Key") == "" {
			unkeyed.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyPendingKey{}, true)))
			return
		}
		keyed.ServeHTTP(w, r)
	})
}

// initAuth checks connection_init: the API key (when the upgrade did not
// carry it), compared in constant time, and in pass-through mode the
// client's amoCRM token, {"Authorization": "Bearer …"}, which then serves
// every operation of the connection. A refusal closes the socket with 4403
// (4400 for a malformed token), as graphql-transport-ws prescribes.
func initAuth(keys []string, holdsToken bool, m *metrics.Metrics) transport.WebsocketInitFunc {
	encoded := make([][]byte, len(keys))
	for i, k := range keys {
		encoded[i] = []byte(k)
	}
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		if pending, _ := ctx.Value(keyPendingKey{}).(bool); pending && len(encoded) > 0 {
			if !keyMatches(encoded, payloadString(p, "X-API-Key")) {
				m.ObserveRejected("unauthenticated")
				return refuseInit(ctx, closeForbidden, "Forbidden", "missing or invalid X-API-Key in connection_init")
			}
		}
		if !holdsToken {
			if h := payloadString(p, "Authorization"); h != "" {
				token, msg := bearerToken([]string{h})
				if msg != "" {
					m.ObserveRejected("unauthenticated")
					return refuseInit(ctx, closeBadRequest, "Bad Request", msg)
				}
				ctx = amocrm.ContextWithBearer(ctx, token)
			}
		}
		return ctx, nil, nil
	}
}

func refuseInit(ctx context.Context, code int, reason, msg string) (context.Context, *transport.InitPayload, error) {
	ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
	return ctx, nil, errors.New(msg)
}

// payloadString reads a connection_init field by name, in any letter case:
// clients copy header names as they spell them.
func payloadString(p transport.InitPayload, name string) string {
	if v := p.GetString(name); v != "" {
		return v
	}
	for k, v := range p {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s
		}
	}
	return ""
}

// keyMatches compares given with every key in constant time, so timing does
// not reveal how much of a guess was right.
func keyMatches(keys [][]byte, given string) bool {
	ok := 0
	for _, k := range keys {
		ok |= subtle.ConstantTimeCompare([]byte(given), k)
	}
	return ok == 1
}

// sseTransport is gqlgen's GraphQL-over-SSE transport with the gateway's
// body bounds: it reads the body under the request's body deadline and size
// limit, then lifts the deadline (which would otherwise cut the stream: a
// passed read deadline cancels the request's context), and bounds each
// write, so a client that stops reading is cut instead of holding the
// stream.
type sseTransport struct {
	transport.SSE
	maxBodyBytes int64
	writeTimeout time.Duration
}

func newSSETransport(cfg Config) sseTransport {
	keepAlive := cfg.KeepAlive
	if keepAlive <= 0 {
		keepAlive = DefaultKeepAlive
	}
	return sseTransport{SSE: transport.SSE{KeepAlivePingInterval: keepAlive},
		maxBodyBytes: cfg.MaxBodyBytes, writeTimeout: writeTimeout(cfg)}
}

// Do reads the body, then streams the operation's results.
func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rc := http.NewResponseController(w)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBodyBytes))
	if err != nil {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, "BAD_REQUEST", "request body too large or not received in time")
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.SSE.Do(&deadlineWriter{ResponseWriter: w, rc: rc, timeout: t.writeTimeout}, r, exec)
}

// deadlineWriter gives every write and flush of a stream a deadline of its own.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.ResponseWriter.Write(b)
}

// Flush sends what was written; gqlgen's SSE transport asserts http.Flusher.
func (w *deadlineWriter) Flush() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	_ = w.rc.Flush()
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// freshContext returns what one subscription event (or one operation of a
// WebSocket) needs of its own, as the HTTP middleware gives each request:
// a call budget and loaders whose cache starts empty, so nothing read for an
// earlier change is served for this one.
func freshContext(client *amocrm.Client, maxCalls int, m *metrics.Metrics) func(context.Context) context.Context {
	return func(ctx context.Context) context.Context {
		ctx = context.WithValue(ctx, budgetKey{}, &budget{max: int32(maxCalls)})
		return loader.NewContext(ctx, loader.New(ctx, client, loader.WithBatchObserver(m.ObserveBatch)))
	}
}

// sockets knows the open WebSockets, so a shutdown can close them with
// 1001 "going away" (their clients reconnect elsewhere) instead of leaving
// them to be cut: net/http's Shutdown does not track hijacked connections.
type sockets struct {
	mu      sync.Mutex
	open    map[*socket]struct{}
	closing bool
}

func newSockets() *sockets { return &sockets{open: map[*socket]struct{}{}} }

// goingAway closes every open WebSocket, and every one accepted after it,
// with 1001.
func (s *sockets) goingAway() {
	s.mu.Lock()
	s.closing = true
	open := make([]*socket, 0, len(s.open))
	for c := range s.open {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		_ = c.WriteClose(closeGoingAway, "going away")
	}
}

// Len is the number of open WebSockets.
func (s *sockets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// socketAcceptor accepts WebSockets through inner and tracks them.
type socketAcceptor struct {
	inner        transport.WebsocketImplementation
	socks        *sockets
	writeTimeout time.Duration
}

// Accept upgrades the request and registers the socket.
func (a socketAcceptor) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := a.inner.Accept(w, r, opts)
	if err != nil {
		if uw, ok := w.(*upgradeWriter); ok {
			uw.refused = true
		}
		return nil, fmt.Errorf("accept websocket: %w", err)
	}
	c := &socket{WebsocketConn: conn, socks: a.socks, writeTimeout: a.writeTimeout}
	a.socks.mu.Lock()
	closing := a.socks.closing
	if !closing {
		a.socks.open[c] = struct{}{}
	}
	a.socks.mu.Unlock()
	if closing {
		_ = conn.WriteClose(closeGoingAway, "going away")
	}
	return c, nil
}

// socket is one tracked WebSocket whose writes are bounded in time.
type socket struct {
	transport.WebsocketConn
	socks        *sockets
	writeTimeout time.Duration
}

var (
	_ transport.WebsocketReadLimiter   = (*socket)(nil)
	_ transport.WebsocketReadDeadliner = (*socket)(nil)
)

// WriteJSON writes one message, closing the connection if the client does
// not take it within the write timeout: a client that stops reading would
// otherwise hold the connection's writer, and every subscription on it.
func (c *socket) WriteJSON(v any) error {
	t := time.AfterFunc(c.writeTimeout, func() { _ = c.WebsocketConn.Close() })
	defer t.Stop()
	return c.WebsocketConn.WriteJSON(v)
}

// Close closes the connection and forgets it.
func (c *socket) Close() error {
	c.socks.mu.Lock()
	delete(c.socks.open, c)
	c.socks.mu.Unlock()
	return c.WebsocketConn.Close()
}

// SetReadLimit bounds each message the client sends.
func (c *socket) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

// SetReadDeadline cuts a client that does not answer a ping in time.
func (c *socket) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// logSocketErrors logs WebSocket read and write failures at debug level:
// clients going away is routine.
func logSocketErrors(log zerolog.Logger) transport.WebsocketErrorFunc {
	return func(_ context.Context, err error) {
		log.Debug().Err(err).Msg("websocket")
	}
}
