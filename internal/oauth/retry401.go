package oauth

import (
	"io"
	"net/http"
	"strings"
)

// RetryOn401 returns a RoundTripper middleware that recovers from an access
// token amoCRM refuses before its expiry (revoked, or refreshed by another
// process): on a 401 it calls ts.Refresh once with the token the request
// carried and sends the request again with the new token. Only replayable
// requests are retried (no body, or a body with GetBody); a request is
// retried at most once, and when the refresh fails or yields no new token
// the original 401 is returned as it is. It must run inside the layer that
// sets the Authorization header (in amocrm.NewClient: WithMiddleware).
func RetryOn401(ts *TokenSource) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		if next == nil {
			next = http.DefaultTransport
		}
		return &retry401{ts: ts, next: next}
	}
}

type retry401 struct {
	ts   *TokenSource
	next http.RoundTripper
}

// RoundTrip sends req and, on a 401, refreshes once and sends it again.
func (t *retry401) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	sent, ok := bearer(req.Header.Get("Authorization"))
	if !ok || !(req.Body == nil || req.Body == http.NoBody || req.GetBody != nil) {
		return resp, nil
	}
	fresh, rerr := t.ts.Refresh(req.Context(), sent)
	if rerr != nil || fresh == "" || fresh == sent {
		return resp, nil // the refusal stands; a failed refresh went to Config.OnError
	}
	retry := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, gerr := req.GetBody()
		if gerr != nil {
			return resp, nil
		}
		retry.Body = body
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	retry.Header.Set("Authorization", "Bearer "+fresh)
	return t.next.RoundTrip(retry)
}

// bearer extracts the token of an "Authorization: Bearer <token>" value.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	return tok, ok && strings.EqualFold(scheme, "Bearer") && tok != ""
}
