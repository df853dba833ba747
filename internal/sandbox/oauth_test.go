package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// refreshBody is a refresh_token grant of the default client.
func refreshBody(token string) map[string]string {
	return map[string]string{
		"client_id": DefaultClientID, "client_secret": DefaultClientSecret, "grant_type": "refresh_token",
		"refresh_token": token, "redirect_uri": DefaultRedirectURI,
	}
}

// exchange posts a token request and decodes a successful answer.
func exchange(t *testing.T, srv *httptest.Server, body any) (tokenAnswer, reply) {
	t.Helper()
	r := callAs(t, srv, "", "POST", "/oauth2/access_token", body)
	var a tokenAnswer
	if r.status == http.StatusOK {
		r.decode(t, &a)
	}
	return a, r
}

// jwtClaims decodes the claims of a JWT-shaped token.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not JWT-shaped", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("claims: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return claims
}

func TestOAuthRefreshChain(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	sb, srv := start(t, WithClock(clock.now))
	first := sb.IssueRefreshToken()
	a, r := exchange(t, srv, refreshBody(first))
	if r.status != http.StatusOK || r.header.Get("Content-Type") != contentJSON {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	now := clock.now().Unix()
	if a.TokenType != "Bearer" || a.ExpiresIn != 86400 || a.ServerTime != now || a.RefreshToken == "" || a.RefreshToken == first {
		t.Errorf("answer = %+v", a)
	}
	claims := jwtClaims(t, a.AccessToken)
	host := strings.TrimPrefix(srv.URL, "http://")
	if claims["exp"] != float64(now+86400) || claims["api_domain"] != host || claims["aud"] != DefaultClientID {
		t.Errorf("claims = %v", claims)
	}
	// The minted access token is accepted by /api/v4.
	if r := callAs(t, srv, a.AccessToken, "GET", "/api/v4/contacts/3", nil); r.status != http.StatusOK {
		t.Errorf("minted token: %d", r.status)
	}
	// The old refresh token is spent; the new one works once.
	if _, r := exchange(t, srv, refreshBody(first)); r.status != http.StatusUnauthorized {
		t.Fatalf("reuse: %d", r.status)
	} else {
		var p oauthProblem
		r.decode(t, &p)
		if p.Hint != "Token has been revoked" || p.Type != oauthProblemType || p.Status != 401 || p.Title == "" || p.Detail == "" {
			t.Errorf("reuse answer = %+v", p)
		}
		if r.header.Get("Content-Type") != contentProblem {
			t.Errorf("reuse Content-Type = %q", r.header.Get("Content-Type"))
		}
	}
	b, r := exchange(t, srv, refreshBody(a.RefreshToken))
	if r.status != http.StatusOK || b.AccessToken == a.AccessToken {
		t.Fatalf("second refresh: %d", r.status)
	}
	// Old access tokens stay valid until they expire.
	if r := callAs(t, srv, a.AccessToken, "GET", "/api/v4/contacts/3", nil); r.status != http.StatusOK {
		t.Errorf("first access token after refresh: %d", r.status)
	}
	clock.advance(24*time.Hour + time.Second)
	if r := callAs(t, srv, b.AccessToken, "GET", "/api/v4/contacts/3", nil); r.status != http.StatusUnauthorized {
		t.Errorf("expired access token: %d", r.status)
	}
	if r := call(t, srv, "GET", "/api/v4/contacts/3", nil); r.status != http.StatusOK {
		t.Errorf("the configured token never expires: %d", r.status)
	}
}

func TestOAuthFormAndCode(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithAccessTokenTTL(time.Hour))
	form := url.Values{
		"client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret},
		"grant_type": {"authorization_code"}, "code": {sb.IssueAuthorizationCode()}, "redirect_uri": {DefaultRedirectURI},
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/oauth2/access_token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var a tokenAnswer
	err = json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || a.ExpiresIn != 3600 {
		t.Fatalf("code exchange: %d %+v %v", resp.StatusCode, a, err)
	}
	body := map[string]string{"client_id": DefaultClientID, "client_secret": DefaultClientSecret,
		"grant_type": "authorization_code", "code": form.Get("code")}
	if _, r := exchange(t, srv, body); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "revoked") {
		t.Errorf("code reuse: %d %s", r.status, r.body)
	}
	if _, r := exchange(t, srv, refreshBody(a.RefreshToken)); r.status != http.StatusOK {
		t.Errorf("refresh after code: %d", r.status)
	}
}

func TestOAuthErrors(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	other := OAuthClient{ID: "other", Secret: "s2"}
	sb, srv := start(t, WithClock(clock.now), WithOAuthClient(OAuthClient{ID: "main", Secret: "s1", RedirectURI: "https://app/cb"}), WithOAuthClient(other))
	old := sb.IssueRefreshToken()
	clock.advance(91 * 24 * time.Hour)
	fresh := sb.IssueRefreshToken()
	body := func(mod func(m map[string]string)) map[string]string {
		m := map[string]string{"client_id": "main", "client_secret": "s1", "grant_type": "refresh_token", "refresh_token": fresh}
		mod(m)
		return m
	}
	tests := []struct {
		name   string
		body   any
		status int
		hint   string
	}{
		{"WrongSecret", body(func(m map[string]string) { m["client_secret"] = "x" }), 401, ""},
		{"UnknownClient", body(func(m map[string]string) { m["client_id"] = "x" }), 401, ""},
		{"OtherClientsToken", body(func(m map[string]string) { m["client_id"], m["client_secret"] = "other", "s2" }), 401, "Token is not linked to the client"},
		{"RedirectMismatch", body(func(m map[string]string) { m["redirect_uri"] = "https://evil/cb" }), 400, "Redirect URI mismatch"},
		{"UnsupportedGrant", body(func(m map[string]string) { m["grant_type"] = "password" }), 400, "Unsupported grant type"},
		{"MissingRefreshToken", body(func(m map[string]string) { delete(m, "refresh_token") }), 400, "Check the `refresh_token` parameter"},
		{"UnknownRefreshToken", body(func(m map[string]string) { m["refresh_token"] = "nope" }), 401, "Cannot decrypt the refresh token"},
		{"ExpiredRefreshToken", body(func(m map[string]string) { m["refresh_token"] = old }), 401, "Token has expired"},
		{"MissingCode", body(func(m map[string]string) { m["grant_type"] = "authorization_code" }), 400, "Check the `code` parameter"},
		{"NotJSON", "client_id=main", 400, "Check the request body"},
		{"JSONArray", `[]`, 400, "Check the request body"},
	}
	for _, tt := range tests {
		_, r := exchange(t, srv, tt.body)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
			continue
		}
		var p oauthProblem
		r.decode(t, &p)
		if p.Hint != tt.hint || p.Type != oauthProblemType || p.Status != tt.status || p.Title == "" {
			t.Errorf("%s: answer = %+v", tt.name, p)
		}
	}
	if _, r := exchange(t, srv, body(func(map[string]string) {})); r.status != http.StatusOK {
		t.Errorf("valid refresh after the failures: %d %s", r.status, r.body)
	}
}

// Two processes refreshing with the same token: exactly one wins.
func TestOAuthConcurrentRefresh(t *testing.T) {
	t.Parallel()
	sb, srv := start(t)
	tok := sb.IssueRefreshToken()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, r := exchange(t, srv, refreshBody(tok))
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[401] != 7 {
		t.Errorf("statuses = %v, want one 200 and seven 401", statuses)
	}
}
