package ratelimit_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/ratelimit"
)

// jwt returns a JWT-shaped token with the given claims and a junk signature,
// as amoCRM's access tokens look to a reader that does not verify them.
func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256"})
	c, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + ".c2lnbmF0dXJl"
}

func amoClaims(aud string, account any, jti string) map[string]any {
	return map[string]any{"aud": aud, "jti": jti, "account_id": account, "sub": "504141", "api_domain": "api-b.amocrm.ru"}
}

func TestIntegrationKey(t *testing.T) {
	t.Parallel()
	const integration = "6f17da28-7cf3-46d4-867b-a37946d2ca8b"
	base := jwt(amoClaims(integration, 32055110, "a"))
	tests := []struct {
		name  string
		auth  string
		same  bool // shares base's budget
		ownly bool // keyed by the header itself
	}{
		{name: "OtherUserSameIntegration", auth: "Bearer " + jwt(amoClaims(integration, 32055110, "b")), same: true},
		{name: "SchemeCase", auth: "bearer " + jwt(amoClaims(integration, 32055110, "c")), same: true},
		{name: "AccountAsString", auth: "Bearer " + jwt(amoClaims(integration, "32055110", "d")), same: true},
		{name: "OtherAccount", auth: "Bearer " + jwt(amoClaims(integration, 1, "a"))},
		{name: "OtherIntegration", auth: "Bearer " + jwt(amoClaims("another", 32055110, "a"))},
		{name: "NoAccount", auth: "Bearer " + jwt(map[string]any{"aud": integration}), ownly: true},
		{name: "NoAudience", auth: "Bearer " + jwt(map[string]any{"account_id": 32055110}), ownly: true},
		{name: "NotAJWT", auth: "Bearer long-lived-opaque-token", ownly: true},
		{name: "BadBase64", auth: "Bearer a.!!!.c", ownly: true},
		{name: "NotJSON", auth: "Bearer a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c", ownly: true},
		{name: "FourParts", auth: "Bearer " + jwt(amoClaims(integration, 32055110, "f")) + ".x", ownly: true},
		{name: "Basic", auth: "Basic dXNlcjpwYXNz", ownly: true},
		{name: "Empty", auth: "", ownly: true},
	}
	key := func(auth string) string {
		r, _ := http.NewRequest(http.MethodGet, "http://amocrm.invalid/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return ratelimit.IntegrationKey(r)
	}
	want := key("Bearer " + base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := key(tt.auth)
			if (got == want) != tt.same {
				t.Errorf("IntegrationKey = %q, base's %q; want shared = %v", got, want, tt.same)
			}
			if tt.ownly && got != tt.auth {
				t.Errorf("IntegrationKey = %q, want the header itself", got)
			}
		})
	}
	t.Run("AudienceArrayMatchesItself", func(t *testing.T) {
		t.Parallel()
		a := jwt(map[string]any{"aud": []string{integration}, "account_id": 1, "jti": "x"})
		b := jwt(map[string]any{"aud": []string{integration}, "account_id": 1, "jti": "y"})
		if key("Bearer "+a) != key("Bearer "+b) {
			t.Error("two tokens with the same aud array got different budgets")
		}
	})
}

// In pass-through mode each user brings a token of their own; tokens of
// one integration and account share its budget, so amoCRM never counts
// more than the rate across them in any second.
func TestLimiter_TokensOfOneIntegrationShareBudget(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	client := newClient(t, newLimiter(t, ratelimit.WithRate(7)))
	const tokens = 20
	var wg sync.WaitGroup
	for i := range tokens {
		token := jwt(amoClaims("one-integration", 32055110, fmt.Sprint("user-", i)))
		wg.Go(func() {
			for range 2 {
				if _, err := get(t.Context(), client, up.srv.URL, token); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	at := up.all()
	if len(at) != 2*tokens {
		t.Fatalf("upstream received %d requests, want %d", len(at), 2*tokens)
	}
	for i := 7; i < len(at); i++ {
		if span := at[i].Sub(at[i-7]); span < time.Second {
			t.Fatalf("arrivals %d and %d of one integration are %s apart: 8 within one second", i-7, i, span)
		}
	}
}

// all returns every arrival, of every token, in order.
func (u *upstream) all() []time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []time.Time
	for _, a := range u.arrivals {
		out = append(out, a...)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}
