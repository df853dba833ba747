package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// WebhooksService manages the account's webhook subscriptions: the URLs
// amoCRM POSTs a form-encoded notice to when an entity changes. Every
// method needs an account administrator's token.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
type WebhooksService service

// Webhook is one subscription: a destination URL and the events it gets.
type Webhook struct {
	ID          WebhookID `json:"id"`
	Destination string    `json:"destination"`
	AccountID   int       `json:"account_id"`
	// Settings are the events delivered, e.g. "add_contact", "status_lead".
	Settings  []string `json:"settings"`
	CreatedBy int      `json:"created_by"`
	CreatedAt int64    `json:"created_at"` // Unix seconds
	UpdatedAt int64    `json:"updated_at"` // Unix seconds
	Sort      int      `json:"sort"`
	// Disabled is true once amoCRM has stopped delivering to the
	// destination; subscribing it again turns delivery back on.
	Disabled bool `json:"disabled"`
}

// WebhookID is a subscription's id. amoCRM's official PHP library types it
// as a string while answers may carry a number, so both decode.
type WebhookID string

// UnmarshalJSON accepts a string, a number or null.
func (id *WebhookID) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(raw, []byte("null")):
		return nil
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("webhook id: %w", err)
		}
		*id = WebhookID(s)
		return nil
	default:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return fmt.Errorf("webhook id: %w", err)
		}
		*id = WebhookID(n.String())
		return nil
	}
}

// WebhookListOptions are the query parameters of WebhooksService.List.
type WebhookListOptions struct {
	Filter *WebhookFilter `url:"filter,omitempty"`
}

// WebhookFilter narrows the list of subscriptions.
type WebhookFilter struct {
	// Destination is an exact match: filter[destination]=https://….
	Destination string `url:"destination,omitempty"`
}

// SubscribeWebhookRequest is the body of WebhooksService.Subscribe.
type SubscribeWebhookRequest struct {
	// Destination is the URL amoCRM POSTs to. Subscribing a destination
	// that is already subscribed replaces its settings.
	Destination string `json:"destination"`
	// Settings are the events to deliver; at least one.
	Settings []string `json:"settings"`
	// Sort orders deliveries among the account's webhooks; 0 leaves it to
	// amoCRM.
	Sort int `json:"sort,omitempty"`
}

// List returns the account's webhook subscriptions. An empty answer (204)
// returns an empty slice.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
//
// GET /api/v4/webhooks
func (s *WebhooksService) List(ctx context.Context, opts *WebhookListOptions) ([]*Webhook, *Response, error) {
	u, err := addOptions("api/v4/webhooks", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body webhookList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Webhooks), resp, nil
}

// Subscribe subscribes a destination to events and returns the
// subscription. An empty Destination or Settings list is an *ArgumentError.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
//
// POST /api/v4/webhooks
func (s *WebhooksService) Subscribe(ctx context.Context, r *SubscribeWebhookRequest) (*Webhook, *Response, error) {
	switch {
	case r == nil:
		return nil, nil, &ArgumentError{Arg: "r", Reason: "must not be nil"}
	case strings.TrimSpace(r.Destination) == "":
		return nil, nil, &ArgumentError{Arg: "r.Destination", Reason: "must not be empty"}
	case len(r.Settings) == 0:
		return nil, nil, &ArgumentError{Arg: "r.Settings", Reason: "must not be empty"}
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "api/v4/webhooks", r)
	if err != nil {
		return nil, nil, err
	}
	hook := new(Webhook)
	resp, err := s.client.Do(req, hook)
	if err != nil {
		return nil, resp, err
	}
	return hook, resp, nil
}

// Unsubscribe removes the subscription of destination. An empty
// destination is an *ArgumentError.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
//
// DELETE /api/v4/webhooks
func (s *WebhooksService) Unsubscribe(ctx context.Context, destination string) (*Response, error) {
	if strings.TrimSpace(destination) == "" {
		return nil, &ArgumentError{Arg: "destination", Reason: "must not be empty"}
	}
	req, err := s.client.NewRequest(ctx, http.MethodDelete, "api/v4/webhooks", struct {
		Destination string `json:"destination"`
	}{destination})
	if err != nil {
		return nil, err
	}
	return s.client.Do(req, nil)
}

type webhookList struct {
	halPage
	Embedded struct {
		Webhooks []*Webhook `json:"webhooks"`
	} `json:"_embedded"`
}
