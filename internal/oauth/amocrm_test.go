package oauth_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/oauth"
)

const (
	clientID     = "integration-id"
	clientSecret = "integration-secret"
	redirectURI  = "https://gateway.example/oauth/callback"
)

// account is a local amoCRM account: a token endpoint with single-use
// refresh tokens (reuse answers 401 "Token has been revoked") and an API
// route that accepts only access tokens it issued.
type account struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	refresh   map[string]bool // refresh tokens not yet used
	access    map[string]bool // access tokens accepted by the API
	seq       int
	refreshes int      // calls of the token endpoint
	apiCalls  int      // calls of the API
	apiBodies []string // bodies the API received
	expiresIn int
	delay     time.Duration // token endpoint latency
	failWith  int           // if set, the token endpoint answers this status
	reject401 bool          // the API refuses every token
}

func newAccount(t *testing.T) *account {
	t.Helper()
	a := &account{t: t, refresh: map[string]bool{}, access: map[string]bool{}, expiresIn: 86400}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/access_token", a.token)
	mux.HandleFunc("/api/v4/contacts", a.api)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// issueRefresh returns a fresh valid refresh token, as authorising the
// integration would.
func (a *account) issueRefresh() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	rt := fmt.Sprintf("refresh-%d", a.seq)
	a.refresh[rt] = true
	return rt
}

func (a *account) problem(w http.ResponseWriter, status int, title, detail, hint string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"hint": hint, "title": title, "detail": detail, "status": status,
		"type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
	})
}

func (a *account) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
		RefreshToken string `json:"refresh_token"`
		RedirectURI  string `json:"redirect_uri"`
	}
	decodeErr := json.NewDecoder(r.Body).Decode(&req)
	a.mu.Lock()
	a.refreshes++
	delay, failWith := a.delay, a.failWith
	a.mu.Unlock()
	time.Sleep(delay)

	switch {
	case failWith != 0:
		http.Error(w, "<html>down</html>", failWith)
	case decodeErr != nil || r.Header.Get("Content-Type") != "application/json" || req.GrantType != "refresh_token":
		a.problem(w, http.StatusBadRequest, "Bad Request", "malformed refresh request", "")
	case req.ClientID != clientID || req.ClientSecret != clientSecret || req.RedirectURI != redirectURI:
		a.problem(w, http.StatusUnauthorized, "Некорректный клиент", "Авторизация клиента не прошла", "")
	default:
		a.mu.Lock()
		valid := a.refresh[req.RefreshToken]
		delete(a.refresh, req.RefreshToken) // single use
		var at, rt string
		if valid {
			a.seq++
			at, rt = fmt.Sprintf("access-%d", a.seq), fmt.Sprintf("refresh-%d", a.seq)
			a.access[at], a.refresh[rt] = true, true
		}
		expiresIn := a.expiresIn
		a.mu.Unlock()
		if !valid {
			a.problem(w, http.StatusUnauthorized, "Некорректный запрос", "Refresh token is invalid", "Token has been revoked")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"token_type": "Bearer", "expires_in": expiresIn, "server_time": time.Now().Unix(),
			"access_token": at, "refresh_token": rt,
		})
	}
}

func (a *account) api(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a.mu.Lock()
	a.apiCalls++
	a.apiBodies = append(a.apiBodies, string(body))
	ok := a.access[tok] && !a.reject401
	a.mu.Unlock()
	if !ok {
		a.problem(w, http.StatusUnauthorized, "Unauthorized", "", "")
		return
	}
	w.Header().Set("Content-Type", "application/hal+json")
	io.WriteString(w, `{"_page":1}`)
}

func (a *account) refreshCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refreshes
}

func (a *account) isValidRefresh(rt string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refresh[rt]
}

func (a *account) tokenURL(t *testing.T) string {
	t.Helper()
	u, err := oauth.TokenURLFor(a.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// config returns a Config for the account; the HTTP client's connections
// are closed when the test ends.
func (a *account) config(t *testing.T, refreshToken, storePath string) oauth.Config {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return oauth.Config{
		TokenURL:     a.tokenURL(t),
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURI:  redirectURI,
		RefreshToken: refreshToken,
		StorePath:    storePath,
		HTTPClient:   &http.Client{Timeout: 5 * time.Second, Transport: tr},
	}
}

func newSource(t *testing.T, cfg oauth.Config) *oauth.TokenSource {
	t.Helper()
	ts, err := oauth.New(cfg)
	if err != nil {
		t.Fatalf("oauth.New: %v", err)
	}
	return ts
}

// storeFile is the JSON the TokenSource keeps on disk.
type storeFile struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}
