package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Delivery policy. amoCRM publishes no timeout, retry or auto-disable rule
// for account webhooks (a maintainer only says a hook without a 2xx is
// retried "after some time"; Digital Pipeline hooks are documented as
// suspended after 100 bad answers in 5 minutes,
// https://developers.kommo.com/docs/webhooks-dp). So this is the one
// place the sandbox's own choices live:
//   - each delivery is attempted once, with DefaultWebhookTimeout;
//   - a delivery fails on a transport error, a timeout or a non-2xx answer
//     (redirects are not followed);
//   - DefaultWebhookDisableAfter failures in a row disable the
//     subscription: GET /api/v4/webhooks shows it disabled, its queued
//     deliveries are dropped and nothing more is sent until the
//     destination is posted again;
//   - a destination with maxQueuedDeliveries undelivered events drops new
//     ones, each counted as a failure.
const (
	DefaultWebhookTimeout      = 5 * time.Second
	DefaultWebhookDisableAfter = 5
	maxQueuedDeliveries        = 1000
	maxHookAnswerBytes         = 64 << 10
)

// webhookUserAgent is the User-Agent of amoCRM's webhook requests, as
// published fixtures of real deliveries record it.
const webhookUserAgent = "amoCRM-WebHook-client/1.0"

// WebhookDelivery is one attempt to deliver a webhook, as
// WithWebhookObserver reports it.
type WebhookDelivery struct {
	Destination string
	// Body is the application/x-www-form-urlencoded body sent.
	Body string
	// Status is the destination's HTTP status, 0 when it gave none.
	Status int
	// Err is nil for a 2xx answer.
	Err error
	// Disabled is set when this failure disabled the subscription.
	Disabled bool
}

// WithWebhookTimeout bounds each webhook delivery (default
// DefaultWebhookTimeout); a delivery that takes longer fails.
func WithWebhookTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.hookTimeout = d
		}
	}
}

// WithWebhookDisableAfter sets how many failed deliveries in a row disable
// a subscription (default DefaultWebhookDisableAfter).
func WithWebhookDisableAfter(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.hookDisableAfter = n
		}
	}
}

// WithWebhookObserver calls fn after every delivery attempt, from the
// delivering goroutine and before WaitDeliveries counts the delivery done.
// fn must not block for long: it holds up its destination's queue.
func WithWebhookObserver(fn func(WebhookDelivery)) Option {
	return func(c *config) { c.hookObserver = fn }
}

// WaitDeliveries blocks until every webhook queued so far has been
// attempted (or dropped), or ctx ends. Tests call it after a write instead
// of sleeping.
func (s *Sandbox) WaitDeliveries(ctx context.Context) error {
	for {
		s.hooks.mu.Lock()
		if s.hooks.pending == 0 {
			s.hooks.mu.Unlock()
			return nil
		}
		idle := s.hooks.idle
		s.hooks.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("sandbox: wait for webhook deliveries: %w", ctx.Err())
		}
	}
}

// Close stops webhook delivery: queued deliveries are dropped, those in
// flight are cancelled, and Close returns once no delivery goroutine is
// left. The sandbox keeps serving its API; writes after Close deliver
// nothing.
func (s *Sandbox) Close() {
	h := s.hooks
	h.mu.Lock()
	h.closed = true
	for _, sub := range h.subs {
		h.dropQueue(sub)
	}
	h.mu.Unlock()
	h.cancel()
	h.workers.Wait()
	h.client.CloseIdleConnections()
}

// webhookHub holds the account's subscriptions and a delivery queue per
// destination, drained in order by at most one goroutine per destination.
// That goroutine exists only while its queue is not empty, so an idle
// sandbox holds none. Lock order: the store's lock, then mu.
type webhookHub struct {
	client       *http.Client
	timeout      time.Duration
	disableAfter int
	observer     func(WebhookDelivery)
	baseURL      string          // WithBaseURL's, "" when unset
	ctx          context.Context // cancelled by Close
	cancel       context.CancelFunc
	workers      sync.WaitGroup

	mu       sync.Mutex
	subs     map[string]*hookSub // by destination
	lastBase string              // account link of the last write or subscription
	nextID   int
	pending  int           // queued plus in flight
	idle     chan struct{} // closed when pending drops to 0
	closed   bool
}

// hookSub is one subscription and its queue.
type hookSub struct {
	webhookJSON
	failures int // failed deliveries in a row
	queue    []string
	running  bool // a goroutine is draining queue
}

// firstWebhookID is the id of the first subscription, the one in the
// documentation's list example.
const firstWebhookID = 839656

func newWebhookHub(cfg config) *webhookHub {
	ctx, cancel := context.WithCancel(context.Background())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &webhookHub{
		client: &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: cfg.hookTimeout, disableAfter: cfg.hookDisableAfter, observer: cfg.hookObserver, baseURL: cfg.baseURL,
		ctx: ctx, cancel: cancel,
		subs: map[string]*hookSub{}, lastBase: "http://127.0.0.1", nextID: firstWebhookID, idle: closedChan(),
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// list returns a copy of every subscription.
func (h *webhookHub) list() []webhookJSON {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]webhookJSON, 0, len(h.subs))
	for _, sub := range h.subs {
		j := sub.webhookJSON
		j.Settings = append([]string(nil), sub.Settings...)
		out = append(out, j)
	}
	return out
}

// subscribe adds in, or replaces the settings and sort of its destination
// and enables it again.
func (h *webhookHub) subscribe(in subscription, now int64) webhookJSON {
	h.mu.Lock()
	defer h.mu.Unlock()
	sub := h.subs[in.destination]
	if sub == nil {
		sub = &hookSub{webhookJSON: webhookJSON{
			ID: h.nextID, Destination: in.destination, CreatedAt: now, AccountID: AccountID, CreatedBy: DefaultUserID,
		}}
		h.nextID++
		h.subs[in.destination] = sub
	}
	sub.Settings, sub.Sort, sub.UpdatedAt = in.settings, in.sort, now
	sub.Disabled, sub.failures = false, 0
	j := sub.webhookJSON
	j.Settings = append([]string(nil), sub.Settings...)
	return j
}

// unsubscribe removes the subscription of dest and drops its queue.
func (h *webhookHub) unsubscribe(dest string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if sub := h.subs[dest]; sub != nil {
		h.dropQueue(sub)
		delete(h.subs, dest)
	}
}

// noteBase remembers the account link of a request, for the webhooks of
// changes no request makes.
func (h *webhookHub) noteBase(base string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastBase = base
}

// wants reports whether an enabled subscription listens to any of
// settings, so writes nobody listens to render no webhook.
func (h *webhookHub) wants(settings ...string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sub := range h.subs {
		if !sub.Disabled && containsAny(sub.Settings, settings) {
			return true
		}
	}
	return false
}

func containsAny(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}

// enqueue queues, for every enabled subscription, one delivery holding
// the events it listens to. It never blocks: it is called under the
// store's write lock so that deliveries queue in the order writes apply.
// base is the account link of the write's request; "" (a change no
// request made) uses WithBaseURL's, else the last write's or
// subscription's.
func (h *webhookHub) enqueue(base string, events []hookEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	switch {
	case base != "":
	case h.baseURL != "":
		base = h.baseURL
	default:
		base = h.lastBase
	}
	account := accountPairs(base)
	for _, sub := range h.subs {
		if sub.Disabled {
			continue
		}
		body := encodeHook(account, events, sub.Settings)
		if body == "" {
			continue
		}
		if len(sub.queue) >= maxQueuedDeliveries {
			h.noteResult(sub, false)
			continue
		}
		sub.queue = append(sub.queue, body)
		h.addPending(1)
		if !sub.running {
			sub.running = true
			h.workers.Add(1)
			go h.drain(sub)
		}
	}
}

// drain delivers sub's queue in order and ends when it is empty.
func (h *webhookHub) drain(sub *hookSub) {
	defer h.workers.Done()
	for {
		h.mu.Lock()
		if len(sub.queue) == 0 {
			sub.running = false
			h.mu.Unlock()
			return
		}
		body := sub.queue[0]
		sub.queue[0] = ""
		sub.queue = sub.queue[1:]
		dest := sub.Destination
		h.mu.Unlock()

		status, err := h.post(dest, body)

		h.mu.Lock()
		disabled := h.noteResult(sub, err == nil)
		h.mu.Unlock()
		if h.observer != nil {
			h.observer(WebhookDelivery{Destination: dest, Body: body, Status: status, Err: err, Disabled: disabled})
		}
		h.mu.Lock()
		h.addPending(-1)
		h.mu.Unlock()
	}
}

// noteResult counts a delivery's outcome and disables sub after
// disableAfter failures in a row; it reports whether it just did. The
// caller holds mu.
func (h *webhookHub) noteResult(sub *hookSub, ok bool) bool {
	if ok {
		sub.failures = 0
		return false
	}
	sub.failures++
	if sub.Disabled || sub.failures < h.disableAfter {
		return false
	}
	sub.Disabled = true
	h.dropQueue(sub)
	return true
}

// dropQueue forgets sub's undelivered events. The caller holds mu.
func (h *webhookHub) dropQueue(sub *hookSub) {
	h.addPending(-len(sub.queue))
	sub.queue = nil
}

// addPending moves the pending count and the idle signal with it. The
// caller holds mu.
func (h *webhookHub) addPending(n int) {
	was := h.pending
	h.pending += n
	switch {
	case was == 0 && h.pending > 0:
		h.idle = make(chan struct{})
	case was > 0 && h.pending == 0:
		close(h.idle)
	}
}

// post sends one webhook and reports the destination's status.
func (h *webhookHub) post(dest, body string) (int, error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest, strings.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook to %s: %w", dest, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", webhookUserAgent)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook to %s: %w", dest, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHookAnswerBytes))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook to %s: answered %d", dest, resp.StatusCode)
	}
	return resp.StatusCode, nil
}
