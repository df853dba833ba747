package sandbox

import (
	"net/http"
	"testing"
)

func TestAccount(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	r := call(t, srv, http.MethodGet, "/api/v4/account", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != contentHAL {
		t.Fatalf("status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	if a := r.object(t); a["id"] != float64(AccountID) || a["subdomain"] == "" || a["current_user_id"] != float64(DefaultUserID) {
		t.Errorf("account = %v", a)
	}
	if r := callAs(t, srv, "", http.MethodGet, "/api/v4/account", nil); r.status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", r.status)
	}
}
