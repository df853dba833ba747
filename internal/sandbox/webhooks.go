package sandbox

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Webhook subscriptions of the account: GET, POST and DELETE
// /api/v4/webhooks. They live apart from the entity store (see
// webhookHub), so subscribing does not invalidate memoised entity answers,
// and the list itself is never memoised (its disabled flags change as
// deliveries fail, without any write to the store).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/webhooks-api
// (Kommo: https://developers.kommo.com/reference/add-webhooks)

// webhookSettings are the event names a subscription may list. The first
// nine are confirmed by published client code; the others follow the same
// pattern for the entities and events amoCRM's webhook page lists, and are
// unconfirmed names. Anything else is refused, so that a typo such as
// "contact_add" fails at subscription instead of silently never firing;
// whether amoCRM refuses unknown names is itself unconfirmed.
// https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
var webhookSettings = func() map[string]bool {
	m := map[string]bool{"status_lead": true}
	for _, e := range []string{"lead", "contact", "company", "customer", "task"} {
		for _, a := range []string{"add", "update", "delete", "restore", "responsible", "note"} {
			m[a+"_"+e] = true
		}
	}
	for _, s := range []string{"add_talk", "update_talk", "add_catalog", "update_catalog", "delete_catalog", "add_chat_template_review"} {
		m[s] = true
	}
	return m
}()

// webhookJSON is one webhook subscription as the API renders it.
type webhookJSON struct {
	ID          int      `json:"id"`
	Destination string   `json:"destination"`
	CreatedAt   int64    `json:"created_at"`
	UpdatedAt   int64    `json:"updated_at"`
	AccountID   int      `json:"account_id"`
	CreatedBy   int      `json:"created_by"`
	Sort        int      `json:"sort"`
	Disabled    bool     `json:"disabled"`
	Settings    []string `json:"settings"`
}

// webhooksAnswer is the envelope of GET /api/v4/webhooks: like the chats
// list it carries _total_items and no paging.
type webhooksAnswer struct {
	TotalItems int                      `json:"_total_items"`
	Embedded   map[string][]webhookJSON `json:"_embedded"`
}

// listWebhooks serves GET /api/v4/webhooks, ordered by sort then id, with
// the documented filter[destination] (an exact match). An account without
// subscriptions is answered 204 like every other empty amoCRM list; the
// documentation names only 200 and 401 for this method, so that is
// unconfirmed.
func (s *Sandbox) listWebhooks(w http.ResponseWriter, r *http.Request) {
	dest, filtered := webhookFilter(r.URL.Query())
	var out []webhookJSON
	for _, h := range s.hooks.list() {
		if !filtered || h.Destination == dest {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		writeNoContent(w)
		return
	}
	slices.SortFunc(out, func(a, b webhookJSON) int { return cmp.Or(cmp.Compare(a.Sort, b.Sort), cmp.Compare(a.ID, b.ID)) })
	writeHAL(w, webhooksAnswer{TotalItems: len(out), Embedded: map[string][]webhookJSON{"webhooks": out}})
}

// webhookFilter reads filter[destination]; ok is false when it is absent.
func webhookFilter(q url.Values) (dest string, ok bool) {
	if v, has := q["filter[destination]"]; has && len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// subscribeWebhook serves POST /api/v4/webhooks: {destination, settings,
// sort}. It answers the subscription. Posting a destination that is
// already subscribed replaces its settings and sort, keeps its id and
// enables it again, as the amoCRM PHP library's subscribe (a plain POST
// with no update counterpart) implies; amoCRM's exact answer to a repeated
// destination is unconfirmed.
func (s *Sandbox) subscribeWebhook(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	in, errs := parseSubscription(body)
	if errs != nil {
		writeAPIError(w, badRequest([]elementErrors{{RequestID: "0", Errors: errs}}))
		return
	}
	s.hooks.noteBase(s.baseURL(r))
	writeHAL(w, s.hooks.subscribe(in, s.cfg.now().Unix()))
}

// unsubscribeWebhook serves DELETE /api/v4/webhooks: {destination}. It
// answers 204, also for a destination that was not subscribed (amoCRM's
// answer to that is unconfirmed); deliveries still queued for it are
// dropped.
func (s *Sandbox) unsubscribeWebhook(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	o := asObj(body)
	if o == nil {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, detail: "request body must be a JSON object"})
		return
	}
	var c checker
	dest := c.str(o, "destination", "destination")
	if dest == nil && c.ok() {
		c.fail(codeFieldMissing, "destination", "This field is missing.")
	}
	if !c.ok() {
		writeAPIError(w, badRequest([]elementErrors{{RequestID: "0", Errors: c.errs}}))
		return
	}
	s.hooks.unsubscribe(*dest)
	writeNoContent(w)
}

// subscription is a validated POST /api/v4/webhooks body.
type subscription struct {
	destination string
	settings    []string
	sort        int
}

// parseSubscription validates a subscription: destination must be an
// absolute http(s) URL, settings a non-empty array of known event names,
// sort an optional integer.
func parseSubscription(body json.RawMessage) (subscription, []fieldError) {
	o := asObj(body)
	if o == nil {
		return subscription{}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	var in subscription
	switch dest := c.str(o, "destination", "destination"); {
	case dest == nil && c.ok():
		c.fail(codeFieldMissing, "destination", "This field is missing.")
	case dest != nil && !validDestination(*dest):
		c.fail(codeInvalidType, "destination", "This value is not a valid URL.")
	case dest != nil:
		in.destination = *dest
	}
	raw, has := o["settings"]
	var names []json.RawMessage
	switch {
	case !has || kind(raw) == 'z':
		c.fail(codeFieldMissing, "settings", "This field is missing.")
	case kind(raw) != 'a' || json.Unmarshal(raw, &names) != nil:
		c.fail(codeInvalidType, "settings", "This value should be of type array.")
	case len(names) == 0:
		c.fail(codeFieldMissing, "settings", "This collection should contain 1 element or more.")
	}
	for i, n := range names {
		var name string
		path := "settings." + itoa(i)
		switch {
		case kind(n) != 's' || json.Unmarshal(n, &name) != nil:
			c.fail(codeInvalidType, path, "This value should be of type string.")
		case !webhookSettings[name]:
			c.fail(codeNotSupportedChoice, path, "The value you selected is not a valid choice.")
		case !slices.Contains(in.settings, name):
			in.settings = append(in.settings, name)
		}
	}
	if sort := c.integer(o, "sort", "sort"); sort != nil {
		in.sort = int(*sort)
	}
	return in, c.errs
}

// validDestination reports whether u is an absolute http or https URL.
func validDestination(u string) bool {
	p, err := url.Parse(strings.TrimSpace(u))
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}
