package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/cache"
	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/webhook"
)

// Live data: amoCRM's webhooks tell the gateway what changed. Each change
// drops what the read cache kept of it, before the webhook is answered, so
// no read after amoCRM hears the 2xx can be stale; then it goes to the
// subscriptions, whose fetch of the changed entity is a cache miss shared by
// every subscriber of the same credential.

// newCache builds the read cache, or nil when CACHE_TTL is zero.
func newCache(cfg Config) (*cache.Cache, error) {
	if cfg.CacheTTL <= 0 {
		return nil, nil
	}
	opts := []cache.Option{cache.WithTTL(cfg.CacheTTL)}
	if cfg.UpstreamTimeout > 0 {
		// A call several requests share outlives the one that started it;
		// it is still one upstream call.
		opts = append(opts, cache.WithCallTimeout(cfg.UpstreamTimeout))
	}
	if cfg.Metrics != nil {
		opts = append(opts, cache.WithObserver(cfg.Metrics))
	}
	if cl := cfg.Cluster; cl != nil {
		// Shared: a change any replica hears of is seen by every read.
		opts = append(opts, cache.WithRedis(cl.Client(), cl.Prefix(), cl))
	}
	return cache.New(opts...)
}

// mountWebhook serves amoCRM's webhooks at POST /webhooks/amocrm/{secret}
// when WEBHOOK_SECRET is set.
func mountWebhook(mux *http.ServeMux, cfg Config, up *Upstream, log zerolog.Logger) {
	if cfg.WebhookSecret == "" {
		return
	}
	h, err := webhook.NewHandler(webhook.HandlerConfig{
		Secret:     cfg.WebhookSecret,
		Invalidate: func(cs []changes.Change) { invalidate(up.Cache, cs) },
		Publish:    func(cs []changes.Change) { publish(cfg, cs) },
		Observe:    cfg.Metrics.ObserveWebhook,
		Log:        log,
	})
	if err != nil {
		// Serve checks the secret before it gets here; a caller of New
		// that did not gets no webhook route rather than a crash.
		log.Error().Err(err).Msg("webhooks off")
		return
	}
	mux.Handle(webhook.Path, h)
}

// invalidate drops what c kept of each changed entity.
func invalidate(c *cache.Cache, cs []changes.Change) {
	if c == nil {
		return
	}
	for _, ch := range cs {
		c.Invalidate(ch.Entity, ch.ID)
	}
}

// newWebhookSecret makes the secret of the embedded sandbox's webhooks,
// which nobody configures.
func newWebhookSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// registerWebhook keeps PUBLIC_URL/webhooks/amocrm/SECRET subscribed with
// amoCRM until ctx ends, when the gateway holds a credential to do it with.
// A gateway that only forwards its clients' tokens cannot: it logs how to
// register by hand.
func registerWebhook(ctx context.Context, cfg Config, up *Upstream, log zerolog.Logger) {
	if cfg.WebhookSecret == "" {
		return
	}
	if cfg.PublicURL == "" {
		log.Warn().Msg("WEBHOOK_SECRET without PUBLIC_URL: the webhook route is served, but not registered with amoCRM; register PUBLIC_URL/webhooks/amocrm/<WEBHOOK_SECRET> by hand")
		return
	}
	if !up.HoldsToken {
		log.Warn().Strs("settings", webhook.Settings()).
			Msg("pass-through mode: the gateway holds no token to register its webhook with; an account administrator registers PUBLIC_URL/webhooks/amocrm/<WEBHOOK_SECRET> by hand (POST /api/v4/webhooks with these settings)")
		return
	}
	r, err := webhook.NewRegistrar(webhook.RegistrarConfig{Client: up.Client, PublicURL: cfg.PublicURL, Secret: cfg.WebhookSecret, Log: log})
	if err != nil {
		log.Error().Err(err).Msg("webhook registration off")
		return
	}
	// Registration must see amoCRM's own view (a disabled webhook), not a
	// cached answer.
	go r.Run(cache.Bypass(ctx))
}
