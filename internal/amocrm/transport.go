package amocrm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// The layers NewClient composes, outermost first:
//
//	authTransport → WithMiddleware layers → observerTransport → logTransport → base
//
// so middleware sees the Authorization header, and a retrying middleware
// gives one Observer call and one log line per attempt.

// authTransport sets "Authorization: Bearer <token>" on requests to the
// base URL's origin only: a redirect elsewhere goes without credentials.
type authTransport struct {
	next   http.RoundTripper
	base   *url.URL
	token  string
	source TokenSource
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != t.base.Scheme || req.URL.Host != t.base.Host {
		return t.next.RoundTrip(req)
	}
	token, err := t.tokenFor(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &credentialsError{err: err}
	}
	r := req.Clone(req.Context()) // a RoundTripper must not modify its request
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := t.next.RoundTrip(r)
	if resp != nil {
		// The response the caller keeps (and errors keep) points at the
		// request without credentials.
		resp.Request = req
	}
	return resp, err
}

func (t *authTransport) tokenFor(ctx context.Context) (string, error) {
	var token string
	switch {
	case t.source != nil:
		tok, err := t.source.Token(ctx)
		if err != nil {
			return "", fmt.Errorf("amocrm: token source: %w", err)
		}
		token = strings.TrimSpace(tok)
		if token == "" {
			return "", ErrNoCredentials
		}
	case t.token != "":
		token = t.token
	default:
		tok, ok := BearerFromContext(ctx)
		if !ok {
			return "", ErrNoCredentials
		}
		token = tok
	}
	if !validToken(token) {
		// The message must not quote the token.
		return "", errors.New("amocrm: bearer token has invalid characters")
	}
	return token, nil
}

// validToken refuses tokens that would break or inject into the header.
func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return s != ""
}

// logTransport writes one debug line per attempt. It logs the path and the
// query keys, never query values nor headers.
type logTransport struct {
	next http.RoundTripper
	log  zerolog.Logger
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	ev := t.log.Debug()
	if !ev.Enabled() {
		return resp, err
	}
	ev = ev.Str("method", req.Method).Str("path", req.URL.Path)
	if keys := queryKeys(req.URL); len(keys) > 0 {
		ev = ev.Strs("query_keys", keys)
	}
	ev = ev.Int("status", statusOf(resp)).
		Float64("duration_ms", float64(time.Since(start).Microseconds())/1000)
	if resp != nil {
		if id := resp.Header.Get("X-Request-Id"); id != "" {
			ev = ev.Str("request_id", id)
		}
	}
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Msg("amocrm request")
	return resp, err
}

func queryKeys(u *url.URL) []string {
	if u.RawQuery == "" {
		return nil
	}
	q, _ := url.ParseQuery(u.RawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// observerTransport calls the Observer once per attempt.
type observerTransport struct {
	next    http.RoundTripper
	observe Observer
}

func (t *observerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.observe(req, statusOf(resp), time.Since(start), err)
	return resp, err
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}
