// Package oauth supplies amoCRM OAuth 2.0 access tokens and keeps them fresh.
//
// amoCRM access tokens live 24 hours; refresh tokens live three months and
// are single-use: every refresh returns a new pair and revokes the old
// refresh token, and two refreshes racing with the same token revoke each
// other (401 "Token has been revoked"), after which the integration must be
// re-authorised by hand. So this package refreshes exactly once however many
// requests need it at the same time (single flight), never abandons a refresh
// that has started (its answer holds the only valid refresh token), and
// writes every rotated pair to disk atomically before anything else can
// lose it, so a restart carries on with the current refresh token.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/oauth/step-by-step
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Defaults.
const (
	// DefaultRefreshBefore: a token with less than this left is refreshed
	// before use, so no request is sent with a token about to expire.
	DefaultRefreshBefore = 5 * time.Minute
	// DefaultMinRefreshInterval: a token this process obtained less than
	// this long ago is not refreshed again on a 401, so an upstream that
	// refuses every token cannot make each request burn a refresh token.
	DefaultMinRefreshInterval = 30 * time.Second

	defaultHTTPTimeout = 30 * time.Second
	// failedRefreshPause: after a refresh fails, callers get the current
	// token if it is still valid, else the same error, for this long before
	// the next attempt, instead of one attempt per request.
	failedRefreshPause = 10 * time.Second
)

// Config describes one amoCRM integration installed in one account.
type Config struct {
	// TokenURL is the account's token endpoint,
	// https://{subdomain}.amocrm.ru/oauth2/access_token; TokenURLFor derives
	// it from the account's base URL. Required.
	TokenURL string
	// ClientID and ClientSecret are the integration's ID and secret key.
	// Required.
	ClientID     string
	ClientSecret string
	// RedirectURI is the integration's redirect URI, which amoCRM checks
	// on every refresh.
	RedirectURI string
	// RefreshToken is the refresh token to start from when StorePath holds
	// no tokens yet. Once a rotated pair is stored, the store wins: delete
	// the file to start again from a new RefreshToken.
	RefreshToken string
	// StorePath is the JSON file ({access_token, refresh_token, expires_at},
	// mode 0600) that keeps rotated tokens across restarts. Its directory
	// must exist. Empty keeps tokens in memory only: after a restart the
	// initial RefreshToken is already revoked, so set it in production.
	StorePath string

	// HTTPClient sends the refresh requests. Default: a client with a 30 s
	// timeout over a clone of http.DefaultTransport.
	HTTPClient *http.Client
	// RefreshBefore: default 5 min (DefaultRefreshBefore).
	RefreshBefore time.Duration
	// MinRefreshInterval: default 30 s (DefaultMinRefreshInterval).
	MinRefreshInterval time.Duration
	// OnError, if set, receives each failed refresh attempt, each failed
	// write to StorePath (retried on the next Token call) and each failed
	// call to Redis, for logs and metrics — including those the callers
	// never see, such as an early refresh that failed while the current
	// token was still valid. Errors never contain tokens or secrets.
	OnError func(error)

	// Redis, if set, holds the token pair and its refresh lock, so that the
	// replicas of the gateway serving this integration share one pair and
	// only one of them spends each single-use refresh token (see
	// TokenSource). Nil keeps the pair in this process only.
	Redis redis.UniversalClient
	// RedisPrefix starts every key, e.g. "amogql:". The keys are
	// {prefix}oauth:{<hash of TokenURL and ClientID>}:pair, :lock and
	// :fence; deleting the pair makes the replicas seed it again from
	// their own copy (or from StorePath / RefreshToken when restarted).
	RedisPrefix string
	// Health, if set, says whether Redis is usable and is told of failed
	// calls. Nil: Redis is called whenever needed.
	Health Health
}

// TokenURLFor returns the token endpoint of the account at baseURL (e.g.
// "https://example.amocrm.ru", or a sandbox URL with a path prefix).
func TokenURLFor(baseURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return "", fmt.Errorf("oauth: invalid base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("oauth: invalid base URL %q: want http(s)://host[/path] without user info, query or fragment", u.Redacted())
	}
	return u.JoinPath("oauth2", "access_token").String(), nil
}

// A TokenSource hands out the current access token and refreshes it. Its
// Token method satisfies amocrm.TokenSource. Build one per integration and
// process with New; it is safe for concurrent use.
//
// With Config.Redis set, the replicas of one integration share the pair in
// Redis: each serves its own copy until it is due, then reads Redis first
// and adopts a pair another replica already rotated, with no request. Only
// the replica holding the refresh lock spends the refresh token, after
// marking it as being spent; the others wait for the pair it writes (or
// serve their current token while it is valid). A token marked spent by a
// refresh that never wrote its answer (the replica died or timed out) is not
// spent again: the replicas return ErrRefreshLost instead. When Redis holds
// no pair (first start, or restarted empty) a replica seeds it from its own
// pair, StorePath or RefreshToken; a pair already in Redis wins over
// StorePath, which is still written as a backup. While Redis is down no
// refresh is attempted, since replicas could no longer agree on who spends
// the single-use refresh token: a valid cached access token keeps being
// served, and once it expires Token fails with an error matching
// ErrStoreUnavailable and ErrUnavailable until Redis is back.
type TokenSource struct {
	cfg    Config
	client *http.Client

	mu         sync.Mutex
	tok        tokens
	obtainedAt time.Time // when this process received tok.access; zero if loaded
	failedAt   time.Time // when the last refresh failed
	failErr    error     // and why
	dirty      bool      // tok is not yet in StorePath

	saveMu sync.Mutex // serialises writes to StorePath
	flight singleflight.Group

	shared *sharedStore // nil without Config.Redis
	resync bool         // under mu: push the pair to Redis at the next chance
	unmark int64        // under mu: the fence of a spending mark to clear there
}

// tokens is one pair as amoCRM issued it.
type tokens struct {
	access    string
	refresh   string
	expiresAt time.Time
	issuedAt  time.Time // zero when loaded from the store
	version   int64     // rotations counted in Redis; 0 without it
}

// refreshDue reports whether t should be refreshed before use: it is
// missing, or has less than RefreshBefore left. A token issued with a
// shorter lifetime than that is refreshed at half its lifetime instead, so
// it is not refreshed again on every call.
func (ts *TokenSource) refreshDue(t tokens, now time.Time) bool {
	if t.access == "" {
		return true
	}
	window := ts.cfg.RefreshBefore
	if !t.issuedAt.IsZero() {
		window = min(window, t.expiresAt.Sub(t.issuedAt)/2)
	}
	return t.expiresAt.Sub(now) <= window
}

// New returns a TokenSource for cfg. It loads StorePath when the file
// exists, else starts from cfg.RefreshToken; it fails when required fields
// are missing, the store is unreadable or corrupt, or its directory does not
// exist. It sends no request: the first Token call refreshes if needed.
func New(cfg Config) (*TokenSource, error) {
	var errs []error
	if cfg.TokenURL == "" {
		errs = append(errs, errors.New("oauth: TokenURL is required"))
	} else if u, err := url.Parse(cfg.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("oauth: TokenURL must be an absolute http(s) URL"))
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		errs = append(errs, errors.New("oauth: ClientID and ClientSecret are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = DefaultMinRefreshInterval
	}
	ts := &TokenSource{cfg: cfg, client: cfg.HTTPClient}
	if cfg.Redis != nil {
		ts.shared = newSharedStore(cfg)
	}
	if ts.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		ts.client = &http.Client{Timeout: defaultHTTPTimeout, Transport: tr}
	}

	if cfg.StorePath != "" {
		if fi, err := os.Stat(filepath.Dir(cfg.StorePath)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("oauth: directory of StorePath %q does not exist", filepath.Dir(cfg.StorePath))
		}
		tok, ok, err := load(cfg.StorePath)
		if err != nil {
			return nil, err
		}
		if ok {
			ts.tok = tok
			return ts, nil
		}
	}
	if cfg.RefreshToken == "" {
		return nil, errors.New("oauth: no refresh token: set RefreshToken (or provide a StorePath holding tokens)")
	}
	ts.tok = tokens{refresh: cfg.RefreshToken}
	return ts, nil
}

// Token returns a valid access token, refreshing it first when less than
// RefreshBefore is left. Concurrent callers share one refresh. When an early
// refresh fails while the current token is still valid, the current token is
// returned (the error goes to Config.OnError); after a failed refresh the
// next attempt waits 10 s, meanwhile the same error is returned, so a revoked
// integration does not send one refresh per request. It returns *EndpointError
// when amoCRM refuses the refresh (re-authorisation needed), an error
// wrapping ErrUnavailable when the endpoint cannot be reached, or the
// context's error; with Config.Redis also ErrRefreshLost, or an error
// matching ErrStoreUnavailable and ErrUnavailable while Redis is down.
func (ts *TokenSource) Token(ctx context.Context) (string, error) {
	ts.saveIfDirty()
	if ts.shared != nil {
		return ts.sharedToken(ctx)
	}
	ts.mu.Lock()
	cur, failedAt, failErr := ts.tok, ts.failedAt, ts.failErr
	ts.mu.Unlock()

	now := time.Now()
	if !ts.refreshDue(cur, now) {
		return cur.access, nil
	}
	valid := cur.access != "" && now.Before(cur.expiresAt)
	if failErr != nil && now.Sub(failedAt) < failedRefreshPause {
		if valid {
			return cur.access, nil
		}
		return "", failErr
	}
	tok, err := ts.refresh(ctx, func(t tokens) bool { return ts.refreshDue(t, time.Now()) })
	if err != nil && valid && ctx.Err() == nil {
		return cur.access, nil
	}
	return tok, err
}

// Refresh gets a new access token after the upstream refused stale with a
// 401. When stale is no longer the current token, another caller already
// refreshed and the current token is returned without a request. Concurrent
// callers share one refresh. It returns ErrTooSoon when stale was obtained
// less than MinRefreshInterval ago, and otherwise the errors of Token; a
// failed refresh is not retried for 10 s, its error is returned instead.
// With Config.Redis, a pair another replica rotated meanwhile is adopted
// first, however recently this one obtained its own.
func (ts *TokenSource) Refresh(ctx context.Context, stale string) (string, error) {
	if ts.shared != nil {
		return ts.sharedRefresh(ctx, stale)
	}
	ts.mu.Lock()
	cur, obtainedAt, failedAt, failErr := ts.tok, ts.obtainedAt, ts.failedAt, ts.failErr
	ts.mu.Unlock()
	if cur.access != "" && cur.access != stale {
		return cur.access, nil
	}
	if !obtainedAt.IsZero() && time.Since(obtainedAt) < ts.cfg.MinRefreshInterval {
		return "", ErrTooSoon
	}
	if failErr != nil && time.Since(failedAt) < failedRefreshPause {
		return "", failErr
	}
	return ts.refresh(ctx, func(t tokens) bool { return t.access == "" || t.access == stale })
}

// refresh runs one refresh for all concurrent callers. needed is checked
// again inside the flight, against the tokens of that moment, so a caller
// that queued behind a finished refresh takes its result instead of
// spending the new refresh token. The flight is not tied to ctx: a refresh
// abandoned mid-way may have consumed the refresh token upstream, and only
// its answer holds the new one.
func (ts *TokenSource) refresh(ctx context.Context, needed func(tokens) bool) (string, error) {
	ch := ts.flight.DoChan("refresh", func() (any, error) {
		ts.mu.Lock()
		cur := ts.tok
		ts.mu.Unlock()
		if !needed(cur) {
			return cur.access, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultHTTPTimeout)
		defer cancel()
		next, _, err := ts.exchange(fctx, cur.refresh)
		ts.mu.Lock()
		if err != nil {
			ts.failedAt, ts.failErr = time.Now(), err
			ts.mu.Unlock()
			ts.report(err)
			return "", err
		}
		ts.tok, ts.obtainedAt, ts.failErr, ts.dirty = next, time.Now(), nil, true
		ts.mu.Unlock()
		ts.saveIfDirty()
		return next.access, nil
	})
	return awaitRefresh(ctx, ch)
}

// awaitRefresh waits for a refresh flight's token, or for ctx to end; the
// flight goes on either way.
func awaitRefresh(ctx context.Context, ch <-chan singleflight.Result) (string, error) {
	select {
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		tok, _ := res.Val.(string)
		return tok, nil
	case <-ctx.Done():
		return "", fmt.Errorf("oauth: waiting for token refresh: %w", ctx.Err())
	}
}

// report hands an error that does not fail the caller to Config.OnError.
func (ts *TokenSource) report(err error) {
	if ts.cfg.OnError != nil {
		ts.cfg.OnError(err)
	}
}
