package sandbox

import (
	"net/http"
	"time"
)

// OAuthClient is an integration registered with the account.
type OAuthClient struct{ ID, Secret, RedirectURI string }

// oauthState holds issued tokens; the token endpoint is not implemented yet.
type oauthState struct{}

func newOAuthState(config) *oauthState                   { return &oauthState{} }
func (o *oauthState) accessValid(string, time.Time) bool { return false }

// accessToken serves POST /oauth2/access_token (not implemented yet).
func (s *Sandbox) accessToken(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, http.StatusNotImplemented, "the OAuth endpoint is not implemented yet")
}
