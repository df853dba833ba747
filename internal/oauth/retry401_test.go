package oauth_test

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/oauth"
)

// authLayer stands in for amocrm's auth transport: it sets the bearer from
// the TokenSource on a clone of each request, outside the middleware.
type authLayer struct {
	ts   *oauth.TokenSource
	next http.RoundTripper
}

func (a authLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := a.ts.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return a.next.RoundTrip(r)
}

func apiClient(t *testing.T, ts *oauth.TokenSource) *http.Client {
	t.Helper()
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: authLayer{ts: ts, next: oauth.RetryOn401(ts)(base)}}
}

// staleSource returns a TokenSource whose stored access token the account
// does not accept (revoked before its expiry) but whose refresh token works.
func staleSource(t *testing.T, acc *account) *oauth.TokenSource {
	t.Helper()
	store := filepath.Join(t.TempDir(), "tokens.json")
	writeStore(t, store, storeFile{AccessToken: "revoked-access", RefreshToken: acc.issueRefresh(),
		ExpiresAt: time.Now().Add(12 * time.Hour)})
	return newSource(t, acc.config(t, "", store))
}

func TestRetryOn401_RefreshesAndReplays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		method       string
		body         func() io.Reader
		wantStatus   int
		wantRefresh  int
		wantAPICalls int
	}{
		{"Get", http.MethodGet, nil, http.StatusOK, 1, 2},
		{"PostReplaysBody", http.MethodPost, func() io.Reader { return bytes.NewReader([]byte(`[{"name":"Иван"}]`)) },
			http.StatusOK, 1, 2},
		// A body without GetBody cannot be sent twice: the 401 is returned.
		{"PostUnreplayable", http.MethodPost, func() io.Reader { return io.MultiReader(strings.NewReader(`[{}]`)) },
			http.StatusUnauthorized, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acc := newAccount(t)
			c := apiClient(t, staleSource(t, acc))
			var body io.Reader
			if tt.body != nil {
				body = tt.body()
			}
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, acc.srv.URL+"/api/v4/contacts", body)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			acc.mu.Lock()
			defer acc.mu.Unlock()
			if acc.refreshes != tt.wantRefresh || acc.apiCalls != tt.wantAPICalls {
				t.Errorf("%d refreshes, %d API calls; want %d, %d", acc.refreshes, acc.apiCalls, tt.wantRefresh, tt.wantAPICalls)
			}
			if tt.wantStatus == http.StatusOK && tt.body != nil {
				want, _ := io.ReadAll(tt.body())
				for i, b := range acc.apiBodies {
					if b != string(want) {
						t.Errorf("API call %d got body %q, want %q", i+1, b, want)
					}
				}
			}
		})
	}
}

func TestRetryOn401_ConcurrentRequestsShareOneRefresh(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	acc.delay = 30 * time.Millisecond
	c := apiClient(t, staleSource(t, acc))
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := c.Get(acc.srv.URL + "/api/v4/contacts")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d, want 200 after the replay", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if r := acc.refreshCount(); r != 1 {
		t.Errorf("%d refreshes for %d concurrent 401s, want 1", r, n)
	}
}

func TestRetryOn401_NoRefreshLoop(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	acc.reject401 = true // every token is refused, fresh ones too
	c := apiClient(t, staleSource(t, acc))
	for range 3 {
		resp, err := c.Get(acc.srv.URL + "/api/v4/contacts")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want the 401 returned", resp.StatusCode)
		}
	}
	acc.mu.Lock()
	defer acc.mu.Unlock()
	// First request: 401, refresh, replay, 401. Later ones carry the fresh
	// token, which is not refreshed again so soon.
	if acc.refreshes != 1 || acc.apiCalls != 4 {
		t.Errorf("%d refreshes, %d API calls; want 1 and 4", acc.refreshes, acc.apiCalls)
	}
}
