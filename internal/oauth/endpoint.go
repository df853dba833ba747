package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// maxBody bounds how much of a token endpoint answer is read.
const maxBody = 64 << 10

var (
	// ErrUnavailable is matched by refresh errors that say nothing about the
	// credentials: the endpoint could not be reached, answered 5xx, or
	// answered something unreadable. Callers report it as the upstream being
	// unavailable.
	ErrUnavailable = errors.New("oauth: token endpoint unavailable")

	// ErrTooSoon is returned by Refresh when the token the upstream refused
	// was obtained moments ago: refreshing again would not help and would
	// spend a refresh token per request. Callers report the original 401.
	ErrTooSoon = errors.New("oauth: token was refreshed moments ago; not refreshing again")
)

// EndpointError is a refusal by amoCRM's token endpoint, e.g. 401 with Hint
// "Token has been revoked" when the refresh token was already used or the
// integration was uninstalled. A 4xx means the integration must be
// re-authorised; a 5xx also matches ErrUnavailable. It never holds a token.
type EndpointError struct {
	Status int
	Title  string
	Detail string
	Hint   string
}

// Error gives the status and amoCRM's title, detail and hint; never a token.
func (e *EndpointError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauth: token endpoint answered %d", e.Status)
	if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Is makes a 5xx EndpointError match ErrUnavailable.
func (e *EndpointError) Is(target error) bool {
	return target == ErrUnavailable && e.Status >= 500
}

// refreshRequest is the body amoCRM's token endpoint takes (JSON).
type refreshRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
	RedirectURI  string `json:"redirect_uri"`
}

// tokenResponse is its answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// exchange spends refreshToken for a new pair. mayHaveLeft is false only
// when the request certainly never reached the endpoint: net/http's
// transport began looking for a connection (httptrace GetConn) and never
// got one (GotConn), e.g. the dial failed. A transport that reports neither
// counts as possibly sent.
func (ts *TokenSource) exchange(ctx context.Context, refreshToken string) (_ tokens, mayHaveLeft bool, _ error) {
	var getConn, gotConn atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { getConn.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})
	next, err := ts.post(ctx, refreshToken)
	return next, gotConn.Load() || !getConn.Load(), err
}

// post sends the refresh request and decodes the answer.
func (ts *TokenSource) post(ctx context.Context, refreshToken string) (tokens, error) {
	body, err := json.Marshal(refreshRequest{
		ClientID:     ts.cfg.ClientID,
		ClientSecret: ts.cfg.ClientSecret,
		GrantType:    "refresh_token",
		RefreshToken: refreshToken,
		RedirectURI:  ts.cfg.RedirectURI,
	})
	if err != nil {
		return tokens{}, fmt.Errorf("oauth: encode refresh request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.cfg.TokenURL, bytes.NewReader(body))
	if err != nil {
		return tokens{}, fmt.Errorf("oauth: build refresh request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "amogql/1.0")

	start := time.Now()
	resp, err := ts.client.Do(req)
	if err != nil {
		return tokens{}, fmt.Errorf("oauth: refresh: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return tokens{}, fmt.Errorf("oauth: read refresh answer: %w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return tokens{}, endpointError(resp.StatusCode, data)
	}
	var tr tokenResponse
	if err := json.Unmarshal(data, &tr); err != nil {
		return tokens{}, fmt.Errorf("oauth: decode refresh answer: %w: %w", ErrUnavailable, err)
	}
	if tr.AccessToken == "" || tr.ExpiresIn <= 0 {
		return tokens{}, fmt.Errorf("oauth: refresh answer lacks access_token or expires_in: %w", ErrUnavailable)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return tokens{}, fmt.Errorf("oauth: refresh answer has token_type %q, want Bearer: %w", clip(tr.TokenType), ErrUnavailable)
	}
	next := tokens{
		access:    tr.AccessToken,
		refresh:   tr.RefreshToken,
		expiresAt: start.Add(time.Duration(tr.ExpiresIn) * time.Second), // counted from before the call: errs early
		issuedAt:  start,
	}
	if next.refresh == "" {
		next.refresh = refreshToken // not rotated this time
	}
	return next, nil
}

// endpointError decodes amoCRM's problem+json refusal; only its descriptive
// fields are kept, clipped.
func endpointError(status int, data []byte) error {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Hint   string `json:"hint"`
	}
	_ = json.Unmarshal(data, &p) // an HTML page keeps only the status
	return &EndpointError{Status: status, Title: clip(p.Title), Detail: clip(p.Detail), Hint: clip(p.Hint)}
}

// clip shortens upstream text for an error message.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
