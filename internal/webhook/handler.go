package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/changes"
)

// Path is the route prefix amoCRM POSTs to: Path + secret. Mount the
// handler on the prefix itself (mux.Handle(webhook.Path, h)), not on a
// method pattern, so that a wrong secret is a 404 whatever the method.
const Path = "/webhooks/amocrm/"

// DefaultMaxBodyBytes bounds a delivery's body when HandlerConfig sets no
// limit. amoCRM sends a few kilobytes per entity.
const DefaultMaxBodyBytes = 1 << 20

// maxSecretLen bounds WEBHOOK_SECRET: it travels in every delivery's URL.
const maxSecretLen = 256

// HandlerConfig is what NewHandler needs.
type HandlerConfig struct {
	// Secret is the last segment of the destination's path; see
	// CheckSecret.
	Secret string
	// Invalidate is called with a delivery's changes before amoCRM's
	// request is answered, so no read that follows the answer is served
	// from what the changes made stale. It must be idempotent: amoCRM may
	// deliver a change more than once. Optional.
	Invalidate func([]changes.Change)
	// Publish is called with a delivery's changes after the answer has
	// been flushed to amoCRM, on the request's goroutine (a graceful
	// shutdown waits for it): it may take its time without delaying the
	// answer, yet should not block for long, as it holds amoCRM's
	// connection. Repeated changes reach it again. Optional.
	Publish func([]changes.Change)
	// Observe, if set, is called once per request, last, with the status
	// answered and the changes of an accepted delivery (nil otherwise), for
	// metrics: Received − At of each change is the webhook's lag.
	Observe func(status int, cs []changes.Change)
	// MaxBodyBytes bounds the body; a larger one is answered 413.
	// Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Log receives a line per refused request and a debug line per
	// delivery; the secret is never logged. The zero value logs nothing.
	Log zerolog.Logger
}

// CheckSecret refuses a webhook secret that is empty, longer than 256
// bytes, or not made of URL-unreserved characters (A–Z a–z 0–9 - . _ ~),
// which a path segment carries unescaped.
func CheckSecret(secret string) error {
	if secret == "" || len(secret) > maxSecretLen {
		return fmt.Errorf("webhook: the secret must be 1 to %d characters long", maxSecretLen)
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return errors.New("webhook: the secret may hold only A-Z a-z 0-9 - . _ ~")
		}
	}
	return nil
}

// RedactPath returns path with the secret after Path replaced, for logs of
// requests that may have reached the webhook route.
func RedactPath(path string) string {
	if _, ok := strings.CutPrefix(path, Path); ok {
		return Path + "REDACTED"
	}
	return path
}

// NewHandler returns the handler of POST Path+secret, amoCRM's webhook
// deliveries. It answers:
//   - 404, exactly as an unknown route, to any request whose secret is
//     wrong (compared in constant time);
//   - 405 to any method but POST, 415 to any body but
//     application/x-www-form-urlencoded;
//   - 413 to a body over MaxBodyBytes, 400 to a malformed one (logged);
//   - 200 to a delivery, once Invalidate has returned; then calls Publish.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if err := CheckSecret(cfg.Secret); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("webhook: max body bytes must not be negative, got %d", cfg.MaxBodyBytes)
	}
	h := &handler{
		secret:     sha256.Sum256([]byte(cfg.Secret)),
		invalidate: cfg.Invalidate,
		publish:    cfg.Publish,
		observe:    cfg.Observe,
		maxBody:    cfg.MaxBodyBytes,
		log:        cfg.Log,
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h, nil
}

type handler struct {
	secret     [sha256.Size]byte // hashed, so the comparison's time says nothing of its length
	invalidate func([]changes.Change)
	publish    func([]changes.Change)
	observe    func(int, []changes.Change)
	maxBody    int64
	log        zerolog.Logger
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	status, cs := h.serve(w, r, received)
	if h.observe != nil {
		h.observe(status, cs)
	}
}

// serve answers r and returns the status and the delivery's changes.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, received time.Time) (int, []changes.Change) {
	if !h.secretOK(r) {
		h.log.Info().Str("remote", r.RemoteAddr).Str("method", r.Method).Msg("webhook: wrong secret")
		http.NotFound(w, r)
		return http.StatusNotFound, nil
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return h.refuse(w, r, http.StatusMethodNotAllowed, "method "+r.Method)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return h.refuse(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q", shorten(r.Header.Get("Content-Type"))))
	}
	if r.ContentLength > h.maxBody {
		return h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes", r.ContentLength))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", h.maxBody))
		}
		return h.refuse(w, r, http.StatusBadRequest, "reading the body: "+err.Error())
	}
	cs, err := ParseBody(body, received)
	if err != nil {
		return h.refuse(w, r, http.StatusBadRequest, err.Error())
	}

	if len(cs) > 0 && h.invalidate != nil {
		h.invalidate(cs)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	flushed := http.NewResponseController(w).Flush() == nil
	h.log.Debug().Int("changes", len(cs)).Int("bytes", len(body)).
		Dur("took", time.Since(received)).Msg("webhook: delivery acknowledged")
	if len(cs) > 0 && h.publish != nil {
		if flushed {
			h.publish(cs)
		} else {
			go h.publish(cs) // the answer leaves only when we return
		}
	}
	return http.StatusOK, cs
}

// secretOK reports whether r's path ends in the secret. It reads the
// {secret} wildcard when the route has one, else the path after Path.
func (h *handler) secretOK(r *http.Request) bool {
	got := r.PathValue("secret")
	if got == "" {
		var ok bool
		if got, ok = strings.CutPrefix(r.URL.Path, Path); !ok {
			return false
		}
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], h.secret[:]) == 1
}

// refuse answers status with its standard text and logs why.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, status int, why string) (int, []changes.Change) {
	h.log.Warn().Int("status", status).Str("remote", r.RemoteAddr).Str("reason", why).
		Msg("webhook: delivery refused")
	http.Error(w, http.StatusText(status), status)
	return status, nil
}
