package webhook

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

	"github.com/amogql/amogql/internal/amocrm"
)

// The events the gateway subscribes to. Names follow amoCRM's
// <action>_<entity> pattern; public integrations show only the confirmed
// ones in use. The others are our reading of the pattern: if amoCRM refuses
// them, the Registrar subscribes to the confirmed ones alone and says so.
// https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
var (
	confirmedSettings = []string{
		"add_contact", "update_contact", "delete_contact", "restore_contact",
		"add_lead", "update_lead", "delete_lead", "restore_lead", "status_lead",
	}
	unconfirmedSettings = []string{
		"responsible_lead",
		"add_company", "update_company", "delete_company", "restore_company",
		"add_customer", "update_customer", "delete_customer",
	}
)

// Settings returns the events the gateway subscribes its destination to:
// add, update, delete and restore of contacts, leads, companies and
// customers, and a lead's status and responsible user.
func Settings() []string {
	return slices.Concat(confirmedSettings, unconfirmedSettings)
}

// Destination returns the URL amoCRM delivers to: publicURL (the gateway's
// externally reachable base URL, which may carry a path prefix) + Path +
// secret.
func Destination(publicURL, secret string) (string, error) {
	if err := CheckSecret(secret); err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimSpace(publicURL))
	switch {
	case err != nil:
		return "", fmt.Errorf("webhook: public URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return "", fmt.Errorf("webhook: public URL %q: want http(s)://host[/prefix]", u.Redacted())
	case u.User != nil, u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return "", fmt.Errorf("webhook: public URL %q: no user info, query or fragment", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + Path + secret
	u.RawPath = ""
	return u.String(), nil
}

// Default intervals of a Registrar.
const (
	DefaultCheckInterval = 10 * time.Minute
	DefaultRetryInterval = time.Minute
	// FirstRetry is the wait after a first failed check: a gateway that
	// starts while amoCRM, the token or the shared budget is not yet
	// ready registers seconds after it is, not a retry interval later.
	FirstRetry = time.Second
)

// RegistrarConfig is what NewRegistrar needs.
type RegistrarConfig struct {
	// Client calls amoCRM with a credential the gateway holds: managing
	// webhooks needs an account administrator's token.
	Client    *amocrm.Client
	PublicURL string
	Secret    string
	// Settings are the events to subscribe to. Default: Settings().
	Settings []string
	// Sort is sent with the subscription; 0 leaves it to amoCRM.
	Sort int
	// Interval is the time between checks. Default DefaultCheckInterval.
	Interval time.Duration
	// RetryInterval is the longest wait before checking again after
	// failed checks: the first retry comes after FirstRetry, each next one
	// twice as late, up to RetryInterval. Default DefaultRetryInterval.
	RetryInterval time.Duration
	// Log gets a line for every change made and every failure; the secret
	// is never logged. The zero value logs nothing.
	Log zerolog.Logger
}

// A Registrar keeps the gateway's destination subscribed with amoCRM.
type Registrar struct {
	client         *amocrm.Client
	dest, secret   string
	settings       []string // narrowed to the confirmed ones if amoCRM refuses the rest
	sort           int
	interval       time.Duration
	retry          time.Duration
	log            zerolog.Logger
	fellBack       bool
	redactedTarget string
}

// NewRegistrar checks cfg and returns a Registrar; it calls nothing yet.
func NewRegistrar(cfg RegistrarConfig) (*Registrar, error) {
	if cfg.Client == nil {
		return nil, errors.New("webhook: registrar needs an amoCRM client")
	}
	dest, err := Destination(cfg.PublicURL, cfg.Secret)
	if err != nil {
		return nil, err
	}
	r := &Registrar{
		client:   cfg.Client,
		dest:     dest,
		secret:   cfg.Secret,
		settings: slices.Clone(cfg.Settings),
		sort:     cfg.Sort,
		interval: cfg.Interval,
		retry:    cfg.RetryInterval,
		log:      cfg.Log,
	}
	if len(r.settings) == 0 {
		r.settings = Settings()
	}
	if r.interval <= 0 {
		r.interval = DefaultCheckInterval
	}
	if r.retry <= 0 {
		r.retry = DefaultRetryInterval
	}
	r.redactedTarget = r.redact(dest)
	return r, nil
}

// Outcome is what a check did.
type Outcome string

// The outcomes of Registrar.Check.
const (
	// Unchanged: the destination was subscribed and enabled.
	Unchanged Outcome = "unchanged"
	// Registered: the destination was not subscribed and now is.
	Registered Outcome = "registered"
	// Reenabled: amoCRM had disabled the destination; it is subscribed
	// again.
	Reenabled Outcome = "reenabled"
	// Extended: the destination lacked some of the settings; they were
	// added to the ones it had.
	Extended Outcome = "extended"
)

// Run checks the subscription at once and then every Interval (sooner
// after a failure, backing off from FirstRetry to RetryInterval) until ctx
// is done.
func (r *Registrar) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := min(FirstRetry, r.retry)
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		next := r.interval
		if _, err := r.Check(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			next, backoff = backoff, min(2*backoff, r.retry)
			r.log.Warn().Err(err).Str("destination", r.redactedTarget).Dur("retry_in", next).
				Msg("webhook: cannot check the subscription with amoCRM")
		} else {
			backoff = min(FirstRetry, r.retry)
		}
		timer.Reset(next)
	}
}

// Check makes sure the destination is subscribed once, enabled, with every
// setting: it lists the subscriptions (GET /api/v4/webhooks) and subscribes
// (POST) only when the destination is missing, disabled or short of
// settings. Errors never show the secret. Check is not safe for concurrent
// use; Run calls it from one goroutine.
func (r *Registrar) Check(ctx context.Context) (Outcome, error) {
	hooks, _, err := r.client.Webhooks.List(ctx, &amocrm.WebhookListOptions{
		Filter: &amocrm.WebhookFilter{Destination: r.dest},
	})
	if err != nil {
		return "", r.wrap("list subscriptions", err)
	}
	var found *amocrm.Webhook
	for _, h := range hooks {
		if h.Destination == r.dest {
			found = h
			break
		}
	}
	log := r.log.With().Str("destination", r.redactedTarget).Logger()
	switch {
	case found == nil:
		if _, err := r.subscribe(ctx, nil); err != nil {
			return "", err
		}
		log.Info().Strs("settings", r.settings).Msg("webhook: destination registered with amoCRM")
		return Registered, nil
	case found.Disabled:
		hook, err := r.subscribe(ctx, found.Settings)
		if err != nil {
			return "", err
		}
		if hook.Disabled { // subscribing again did not enable it: start afresh
			if _, err := r.client.Webhooks.Unsubscribe(ctx, r.dest); err != nil {
				return "", r.wrap("unsubscribe the disabled destination", err)
			}
			if _, err := r.subscribe(ctx, found.Settings); err != nil {
				return "", err
			}
		}
		log.Warn().Msg("webhook: amoCRM had disabled the destination; registered it again")
		return Reenabled, nil
	case r.lacking(found.Settings):
		if _, err := r.subscribe(ctx, found.Settings); err != nil {
			return "", err
		}
		log.Info().Strs("settings", r.settings).Msg("webhook: settings added to the destination")
		return Extended, nil
	}
	log.Debug().Msg("webhook: destination subscribed and enabled")
	return Unchanged, nil
}

// subscribe subscribes the destination to r.settings and to the settings
// it already has (another admin's additions stay). If amoCRM refuses the
// unconfirmed setting names, it narrows r.settings to the confirmed ones
// and tries once more.
func (r *Registrar) subscribe(ctx context.Context, had []string) (*amocrm.Webhook, error) {
	hook, _, err := r.client.Webhooks.Subscribe(ctx, &amocrm.SubscribeWebhookRequest{
		Destination: r.dest, Settings: union(had, r.settings), Sort: r.sort,
	})
	var er *amocrm.ErrorResponse
	if err != nil && !r.fellBack && errors.As(err, &er) && er.Status == http.StatusBadRequest {
		r.log.Warn().Err(r.wrap("subscribe", err)).Strs("dropped", unconfirmedSettings).
			Msg("webhook: amoCRM refused the settings; subscribing to the confirmed ones only")
		r.fellBack = true
		r.settings = slices.DeleteFunc(r.settings, func(s string) bool { return slices.Contains(unconfirmedSettings, s) })
		hook, _, err = r.client.Webhooks.Subscribe(ctx, &amocrm.SubscribeWebhookRequest{
			Destination: r.dest, Settings: union(had, r.settings), Sort: r.sort,
		})
	}
	if err != nil {
		return nil, r.wrap("subscribe", err)
	}
	return hook, nil
}

// lacking reports whether have misses any of r.settings.
func (r *Registrar) lacking(have []string) bool {
	for _, s := range r.settings {
		if !slices.Contains(have, s) {
			return true
		}
	}
	return false
}

// union is a's settings followed by b's that a lacks.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (r *Registrar) redact(s string) string {
	return strings.ReplaceAll(s, r.secret, "REDACTED")
}

// wrap describes a failed step; its message never holds the secret, which
// an upstream error detail could echo.
func (r *Registrar) wrap(step string, err error) error {
	return &redactedError{msg: "webhook: " + step + ": " + r.redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
