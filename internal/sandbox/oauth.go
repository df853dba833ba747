package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuthClient is an integration registered with the account: the
// client_id / client_secret pair the token endpoint checks, and the
// redirect_uri it must be called with when one is given.
type OAuthClient struct{ ID, Secret, RedirectURI string }

// The OAuth client registered when no WithOAuthClient option is given.
const (
	DefaultClientID     = "sandbox-client-id"
	DefaultClientSecret = "sandbox-client-secret"
	DefaultRedirectURI  = "https://localhost/oauth/callback"
)

// Token lifetimes upstream documents (https://developers.kommo.com/reference/get-token); the access token
// lifetime is configurable with WithAccessTokenTTL.
const (
	refreshTokenTTL = 90 * 24 * time.Hour
	authCodeTTL     = 20 * time.Minute
)

// WithOAuthClient registers an integration with the token endpoint. The
// first one registered is the one IssueRefreshToken issues for. Without
// this option the DefaultClientID client is registered.
func WithOAuthClient(c OAuthClient) Option {
	return func(cfg *config) { cfg.clients = append(cfg.clients, c) }
}

// WithAccessTokenTTL sets how long minted access tokens are accepted
// (default 24h, upstream's lifetime).
func WithAccessTokenTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.accessTTL = d
		}
	}
}

// grant is a refresh token or authorization code: single use, expiring.
type grant struct {
	clientID string
	expires  time.Time
	used     bool
}

// oauthState is what the token endpoint issued.
type oauthState struct {
	mu        sync.Mutex
	clients   []OAuthClient
	accessTTL time.Duration
	access    map[string]time.Time // access token -> expiry
	refresh   map[string]*grant
	codes     map[string]*grant
}

func newOAuthState(cfg config) *oauthState {
	clients := cfg.clients
	if len(clients) == 0 {
		clients = []OAuthClient{{ID: DefaultClientID, Secret: DefaultClientSecret, RedirectURI: DefaultRedirectURI}}
	}
	return &oauthState{
		clients: clients, accessTTL: cfg.accessTTL,
		access: map[string]time.Time{}, refresh: map[string]*grant{}, codes: map[string]*grant{},
	}
}

// accessValid reports whether tok is an access token minted here that has
// not expired at now.
func (o *oauthState) accessValid(tok string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	exp, ok := o.access[tok]
	return ok && now.Before(exp)
}

// IssueRefreshToken returns a fresh, valid refresh token of the first
// registered client, for tests to start a refresh chain from.
func (s *Sandbox) IssueRefreshToken() string {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	tok := "def50200" + randomHex(96)
	o.refresh[tok] = &grant{clientID: o.clients[0].ID, expires: s.cfg.now().Add(refreshTokenTTL)}
	return tok
}

// IssueAuthorizationCode returns a fresh authorization code of the first
// registered client (single use, valid for 20 minutes), as the redirect
// after the user's consent would carry.
func (s *Sandbox) IssueAuthorizationCode() string {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	code := "def50200" + randomHex(48)
	o.codes[code] = &grant{clientID: o.clients[0].ID, expires: s.cfg.now().Add(authCodeTTL)}
	return code
}

// tokenRequest is the body of POST /oauth2/access_token.
type tokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
	Code         string `json:"code"`
	RedirectURI  string `json:"redirect_uri"`
}

// tokenAnswer is the token endpoint's success body.
type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ServerTime   int64  `json:"server_time"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// oauthProblem is the token endpoint's error body; upstream localises the
// titles, the sandbox uses the Russian ones seen in the wild.
type oauthProblem struct {
	Hint   string `json:"hint,omitempty"`
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

const oauthProblemType = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"

func writeOAuthProblem(w http.ResponseWriter, status int, title, hint, detail string) {
	writeJSON(w, status, contentProblem, oauthProblem{Hint: hint, Title: title, Type: oauthProblemType, Status: status, Detail: detail})
}

// accessToken serves POST /oauth2/access_token: exchanges an authorization
// code or a refresh token for a new access token and a new refresh token.
// Both grants are single use: presenting one again is 401 "Token has been
// revoked", which is what two processes refreshing at once run into.
func (s *Sandbox) accessToken(w http.ResponseWriter, r *http.Request) {
	req, ok := readTokenRequest(w, r)
	if !ok {
		writeOAuthProblem(w, http.StatusBadRequest, "Некорректный запрос", "Check the request body", "The request body must be a JSON object or a form")
		return
	}
	now := s.cfg.now()
	o := s.oauth
	o.mu.Lock()
	answer, status, hint := o.exchange(req, now)
	if status == http.StatusOK {
		answer.AccessToken = mintJWT(req.ClientID, s.hostOf(r), now, now.Add(o.accessTTL))
		o.access[answer.AccessToken] = now.Add(o.accessTTL)
		answer.RefreshToken = "def50200" + randomHex(96)
		o.refresh[answer.RefreshToken] = &grant{clientID: req.ClientID, expires: now.Add(refreshTokenTTL)}
		answer.TokenType, answer.ServerTime = "Bearer", now.Unix()
		answer.ExpiresIn = int64(math.Ceil(o.accessTTL.Seconds()))
	}
	o.mu.Unlock()
	switch status {
	case http.StatusOK:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, contentJSON, answer)
	case http.StatusUnauthorized:
		if hint == "" {
			writeOAuthProblem(w, status, "Некорректный клиент", "", "Авторизация клиента не прошла")
			return
		}
		writeOAuthProblem(w, status, "Некорректный запрос", hint, "The refresh token is invalid")
	default:
		writeOAuthProblem(w, status, "Некорректный запрос", hint, "The request is missing a parameter or is malformed")
	}
}

// exchange checks the client and consumes the grant. It answers 200, or
// the status and hint of the failure (401 without hint: bad client). The
// caller holds o.mu.
func (o *oauthState) exchange(req tokenRequest, now time.Time) (tokenAnswer, int, string) {
	var client *OAuthClient
	for i := range o.clients {
		if o.clients[i].ID == req.ClientID {
			client = &o.clients[i]
		}
	}
	if client == nil || client.Secret != req.ClientSecret {
		return tokenAnswer{}, http.StatusUnauthorized, ""
	}
	if req.RedirectURI != "" && client.RedirectURI != "" && req.RedirectURI != client.RedirectURI {
		return tokenAnswer{}, http.StatusBadRequest, "Redirect URI mismatch"
	}
	var g *grant
	switch req.GrantType {
	case "refresh_token":
		if req.RefreshToken == "" {
			return tokenAnswer{}, http.StatusBadRequest, "Check the `refresh_token` parameter"
		}
		if g = o.refresh[req.RefreshToken]; g == nil {
			return tokenAnswer{}, http.StatusUnauthorized, "Cannot decrypt the refresh token"
		}
	case "authorization_code":
		if req.Code == "" {
			return tokenAnswer{}, http.StatusBadRequest, "Check the `code` parameter"
		}
		if g = o.codes[req.Code]; g == nil {
			return tokenAnswer{}, http.StatusBadRequest, "Cannot decrypt the authorization code"
		}
	default:
		return tokenAnswer{}, http.StatusBadRequest, "Unsupported grant type"
	}
	status := http.StatusUnauthorized
	if req.GrantType == "authorization_code" {
		status = http.StatusBadRequest
	}
	switch {
	case g.used:
		return tokenAnswer{}, status, "Token has been revoked"
	case g.clientID != client.ID:
		return tokenAnswer{}, status, "Token is not linked to the client"
	case !now.Before(g.expires):
		return tokenAnswer{}, status, "Token has expired"
	}
	g.used = true
	return tokenAnswer{}, http.StatusOK, ""
}

// readTokenRequest reads a JSON or form-encoded token request.
func readTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, bool) {
	var req tokenRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if r.ParseForm() != nil {
			return req, false
		}
		f := r.PostForm
		return tokenRequest{
			ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"), GrantType: f.Get("grant_type"),
			RefreshToken: f.Get("refresh_token"), Code: f.Get("code"), RedirectURI: f.Get("redirect_uri"),
		}, true
	}
	body, aerr := readBody(w, r)
	if aerr != nil || kind(body) != 'o' || json.Unmarshal(body, &req) != nil {
		return req, false
	}
	return req, true
}

// hostOf is the host the sandbox is reached at, the api_domain claim.
func (s *Sandbox) hostOf(r *http.Request) string {
	if u, err := url.Parse(s.baseURL(r)); err == nil && u.Host != "" {
		return u.Host
	}
	return r.Host
}

// mintJWT returns a JWT-shaped access token with the claims upstream's
// carry. The signature is random bytes: clients read the claims (exp,
// api_domain) and must not try to verify it.
func mintJWT(clientID, apiDomain string, now, exp time.Time) string {
	enc := base64.RawURLEncoding
	jti := randomHex(20)
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "jti": jti})
	claims, _ := json.Marshal(map[string]any{
		"aud": clientID, "jti": jti, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": int64(math.Ceil(float64(exp.UnixMilli()) / 1000)), "sub": itoa(DefaultUserID),
		"grant_type": "", "account_id": AccountID, "base_domain": "amocrm.ru", "version": 2,
		"scopes": []string{"crm", "notifications"}, "api_domain": apiDomain,
	})
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}

// randomHex returns n random hex digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
