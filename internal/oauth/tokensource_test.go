package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/oauth"
)

func writeStore(t *testing.T, path string, f storeFile) {
	t.Helper()
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readStore(t *testing.T, path string) storeFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read store: %v", err)
	}
	var f storeFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("store is not JSON: %v\n%s", err, data)
	}
	return f
}

func TestTokenSource_ConcurrentCallersShareOneRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(ctx context.Context, ts *oauth.TokenSource) (string, error)
	}{
		{"Token", func(ctx context.Context, ts *oauth.TokenSource) (string, error) { return ts.Token(ctx) }},
		{"RefreshAfter401", func(ctx context.Context, ts *oauth.TokenSource) (string, error) {
			return ts.Refresh(ctx, "stale-access")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acc := newAccount(t)
			acc.delay = 50 * time.Millisecond
			store := filepath.Join(t.TempDir(), "tokens.json")
			writeStore(t, store, storeFile{AccessToken: "stale-access", RefreshToken: acc.issueRefresh(),
				ExpiresAt: time.Now().Add(time.Minute)}) // inside the 5 min window: Token refreshes too
			ts := newSource(t, acc.config(t, "", store))

			const n = 100
			var wg sync.WaitGroup
			got := make([]string, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					tok, err := tt.call(t.Context(), ts)
					if err != nil {
						t.Errorf("caller %d: %v", i, err)
					}
					got[i] = tok
				})
			}
			close(start)
			wg.Wait()
			if r := acc.refreshCount(); r != 1 {
				t.Errorf("token endpoint called %d times by %d concurrent callers, want 1", r, n)
			}
			for i, tok := range got {
				if tok != got[0] || !strings.HasPrefix(tok, "access-") {
					t.Fatalf("caller %d got %q, caller 0 got %q; want the same new token", i, tok, got[0])
				}
			}
		})
	}
}

func TestTokenSource_PersistsRotatedTokens(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "tokens.json")
	initial := acc.issueRefresh()
	ts := newSource(t, acc.config(t, initial, store))

	if _, err := os.Stat(store); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("store exists before any refresh: %v", err)
	}
	first, err := ts.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(store)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("store mode = %o, want 600", mode)
	}
	f1 := readStore(t, store)
	if f1.AccessToken != first || f1.RefreshToken == initial || !acc.isValidRefresh(f1.RefreshToken) {
		t.Errorf("store after the first refresh = %+v; want the new pair (access %s)", f1, first)
	}
	if d := time.Until(f1.ExpiresAt); d < 23*time.Hour || d > 24*time.Hour {
		t.Errorf("expires_at is %s away, want about 24h", d)
	}

	second, err := ts.Refresh(t.Context(), first)
	if !errors.Is(err, oauth.ErrTooSoon) {
		t.Fatalf("Refresh right after a refresh: token %q, err %v; want ErrTooSoon", second, err)
	}

	// A process restarted later rotates again from the stored token.
	ts2 := newSource(t, acc.config(t, initial, store))
	second, err = ts2.Refresh(t.Context(), first)
	if err != nil {
		t.Fatal(err)
	}
	f2 := readStore(t, store)
	if f2.AccessToken != second || f2.RefreshToken == f1.RefreshToken || !acc.isValidRefresh(f2.RefreshToken) {
		t.Errorf("store after the second refresh = %+v; want it rotated", f2)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("store directory holds %d entries, want only the store (no temp files left)", len(entries))
	}
	if fi, _ := os.Stat(store); fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode after rotation = %o, want 600", fi.Mode().Perm())
	}
}

func TestTokenSource_RestartFromStore(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	store := filepath.Join(t.TempDir(), "tokens.json")
	initial := acc.issueRefresh()
	cfg := acc.config(t, initial, store)

	before, err := newSource(t, cfg).Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("WithStore", func(t *testing.T) {
		ts := newSource(t, cfg) // same config: its initial refresh token is spent
		tok, err := ts.Token(t.Context())
		if err != nil || tok != before {
			t.Fatalf("Token after restart = %q, %v; want the stored %q", tok, err, before)
		}
		if acc.refreshCount() != 1 {
			t.Errorf("restart refreshed: %d token endpoint calls, want 1", acc.refreshCount())
		}
		if _, err := ts.Refresh(t.Context(), tok); err != nil {
			t.Errorf("Refresh with the stored refresh token: %v", err)
		}
	})
	t.Run("WithoutStoreTheInitialTokenIsRevoked", func(t *testing.T) {
		ts := newSource(t, acc.config(t, initial, ""))
		_, err := ts.Token(t.Context())
		var ee *oauth.EndpointError
		if !errors.As(err, &ee) || ee.Status != http.StatusUnauthorized || ee.Hint != "Token has been revoked" {
			t.Fatalf("err = %v, want *EndpointError 401 Token has been revoked", err)
		}
		if strings.Contains(err.Error(), initial) || strings.Contains(err.Error(), clientSecret) {
			t.Errorf("error leaks a secret: %v", err)
		}
		// The failure is remembered: no second call within the pause.
		calls := acc.refreshCount()
		if _, err2 := ts.Token(t.Context()); !errors.As(err2, &ee) || acc.refreshCount() != calls {
			t.Errorf("second Token: err %v, %d new endpoint calls; want the same error and none",
				err2, acc.refreshCount()-calls)
		}
	})
}

func TestTokenSource_RefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		expiresIn   time.Duration
		wantRefresh bool
	}{
		{"FarFromExpiry", time.Hour, false},
		{"JustOutsideWindow", 6 * time.Minute, false},
		{"InsideWindow", 4 * time.Minute, true},
		{"Expired", -time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acc := newAccount(t)
			store := filepath.Join(t.TempDir(), "tokens.json")
			writeStore(t, store, storeFile{AccessToken: "stored-access", RefreshToken: acc.issueRefresh(),
				ExpiresAt: time.Now().Add(tt.expiresIn)})
			ts := newSource(t, acc.config(t, "", store))
			tok, err := ts.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			refreshed := tok != "stored-access"
			if refreshed != tt.wantRefresh || acc.refreshCount() != map[bool]int{false: 0, true: 1}[tt.wantRefresh] {
				t.Errorf("token %q after %d endpoint calls; want refreshed = %v", tok, acc.refreshCount(), tt.wantRefresh)
			}
		})
	}
}

func TestTokenSource_ShortLivedTokensAreNotRefreshedOnEveryCall(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	acc.expiresIn = 60 // shorter than the 5 min early-refresh window
	ts := newSource(t, acc.config(t, acc.issueRefresh(), ""))
	first, err := ts.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if tok, err := ts.Token(t.Context()); err != nil || tok != first {
			t.Fatalf("Token = %q, %v; want %q again", tok, err, first)
		}
	}
	if acc.refreshCount() != 1 {
		t.Errorf("%d endpoint calls, want 1: a 60 s token is refreshed at half its life, not on every call", acc.refreshCount())
	}
}

func TestTokenSource_EarlyRefreshFailureKeepsValidToken(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	acc.failWith = http.StatusBadGateway
	store := filepath.Join(t.TempDir(), "tokens.json")
	writeStore(t, store, storeFile{AccessToken: "stored-access", RefreshToken: acc.issueRefresh(),
		ExpiresAt: time.Now().Add(time.Minute)})
	cfg := acc.config(t, "", store)
	var reported atomic.Value
	cfg.OnError = func(err error) { reported.Store(err) }
	ts := newSource(t, cfg)

	for range 3 {
		tok, err := ts.Token(t.Context())
		if err != nil || tok != "stored-access" {
			t.Fatalf("Token = %q, %v; want the still valid stored token", tok, err)
		}
	}
	if acc.refreshCount() != 1 {
		t.Errorf("%d endpoint calls, want 1 (failures pause further attempts)", acc.refreshCount())
	}
	err, _ := reported.Load().(error)
	if !errors.Is(err, oauth.ErrUnavailable) {
		t.Errorf("OnError got %v, want an error matching ErrUnavailable", err)
	}
}

func TestTokenSource_CallerCancelDoesNotAbandonRefresh(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	acc.delay = 100 * time.Millisecond
	store := filepath.Join(t.TempDir(), "tokens.json")
	ts := newSource(t, acc.config(t, acc.issueRefresh(), store))

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := ts.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	// The refresh went on and its rotated pair was kept.
	tok, err := ts.Token(t.Context())
	if err != nil || !strings.HasPrefix(tok, "access-") {
		t.Fatalf("Token = %q, %v; want the pair of the refresh the first caller left", tok, err)
	}
	if acc.refreshCount() != 1 {
		t.Errorf("%d endpoint calls, want 1", acc.refreshCount())
	}
	if f := readStore(t, store); f.AccessToken != tok {
		t.Errorf("store holds %q, want %q", f.AccessToken, tok)
	}
}

func TestNew_Validates(t *testing.T) {
	t.Parallel()
	acc := newAccount(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte("{not json"), 0o600)
	empty := filepath.Join(dir, "empty.json")
	writeStore(t, empty, storeFile{AccessToken: "a"})
	tests := []struct {
		name   string
		mutate func(*oauth.Config)
	}{
		{"NoTokenURL", func(c *oauth.Config) { c.TokenURL = "" }},
		{"RelativeTokenURL", func(c *oauth.Config) { c.TokenURL = "/oauth2/access_token" }},
		{"NoClientID", func(c *oauth.Config) { c.ClientID = "" }},
		{"NoClientSecret", func(c *oauth.Config) { c.ClientSecret = "" }},
		{"NoRefreshTokenNoStore", func(c *oauth.Config) { c.RefreshToken = "" }},
		{"StoreDirMissing", func(c *oauth.Config) { c.StorePath = filepath.Join(dir, "missing", "tokens.json") }},
		{"CorruptStore", func(c *oauth.Config) { c.StorePath = corrupt }},
		{"StoreWithoutRefreshToken", func(c *oauth.Config) { c.StorePath = empty }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := acc.config(t, "refresh-x", "")
			tt.mutate(&cfg)
			if _, err := oauth.New(cfg); err == nil {
				t.Error("New succeeded, want an error")
			} else if strings.Contains(err.Error(), clientSecret) {
				t.Errorf("error leaks the client secret: %v", err)
			}
		})
	}
}

func TestTokenURLFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, want string
		wantErr    bool
	}{
		{base: "https://example.amocrm.ru", want: "https://example.amocrm.ru/oauth2/access_token"},
		{base: "https://example.amocrm.ru/", want: "https://example.amocrm.ru/oauth2/access_token"},
		{base: "https://example.kommo.com", want: "https://example.kommo.com/oauth2/access_token"},
		{base: "http://127.0.0.1:8080/sandbox", want: "http://127.0.0.1:8080/sandbox/oauth2/access_token"},
		{base: "ftp://example.amocrm.ru", wantErr: true},
		{base: "example.amocrm.ru", wantErr: true},
		{base: "https://example.amocrm.ru/?x=1", wantErr: true},
		{base: "https://user:pass@example.amocrm.ru", wantErr: true},
	}
	for _, tt := range tests {
		got, err := oauth.TokenURLFor(tt.base)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("TokenURLFor(%q) = %q, %v; want %q, error %v", tt.base, got, err, tt.want, tt.wantErr)
		}
	}
}
