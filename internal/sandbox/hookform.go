package sandbox

import (
	"net/url"
	"strconv"
	"strings"
)

// The body of a webhook is amoCRM's legacy PHP-style nested form, not v4
// JSON: {entity}[{action}][{i}][{field}]=…, several entities and actions
// in one body, companies under contacts[…] with [type]=company, custom
// fields in the legacy shape ([custom_fields][k][id|name|code],
// [values][j][value], [values][j][enum] holding the enum id) and the
// account under account[…].
// https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
// (Kommo: https://developers.kommo.com/docs/webhooks-general)

// Webhook actions, as they appear in the form and in setting names.
// amoCRM also sends delete, restore, status and responsible; the sandbox
// has no write that causes them.
const (
	hookAdd    = "add"
	hookUpdate = "update"
)

// accountSubdomain is the emulated account's subdomain (GET
// /api/v4/account, account[subdomain] of webhooks).
const accountSubdomain = "sandbox"

// formPair is one field of a form, in the order it is sent.
type formPair struct{ key, value string }

// hookEvent is one action on some entities of one type: it becomes
// {root}[{action}][i][…] for each item. Items hold keys relative to the
// item, e.g. "[id]" or "[custom_fields][0][id]".
type hookEvent struct {
	setting string // the subscription setting it needs, e.g. "add_contact"
	root    string // form root: "contacts" for contacts and companies
	action  string
	items   [][]formPair
}

// newHookEvent names the event of action on entity type entity.
func newHookEvent(entity, action string, items [][]formPair) hookEvent {
	singular := map[string]string{entContacts: "contact", entCompanies: "company", entLeads: "lead", entCustomers: "customer"}[entity]
	root := entity
	if entity == entCompanies {
		root = entContacts
	}
	return hookEvent{setting: action + "_" + singular, root: root, action: action, items: items}
}

// encodeHook renders the events a subscription with settings listens to,
// then the account, as one form body; "" when it listens to none. Items of
// the same root and action are numbered on from one event to the next.
func encodeHook(account []formPair, events []hookEvent, settings []string) string {
	var b strings.Builder
	next := map[string]int{}
	for _, ev := range events {
		if !containsAny(settings, []string{ev.setting}) {
			continue
		}
		prefix := ev.root + "[" + ev.action + "]"
		for _, item := range ev.items {
			i := next[prefix]
			next[prefix]++
			for _, p := range item {
				writePair(&b, prefix+"["+itoa(i)+"]"+p.key, p.value)
			}
		}
	}
	if b.Len() == 0 {
		return ""
	}
	for _, p := range account {
		writePair(&b, p.key, p.value)
	}
	return b.String()
}

func writePair(b *strings.Builder, key, value string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(key))
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(value))
}

// accountPairs is the account part of every webhook; base is the scheme
// and host of the account's API.
func accountPairs(base string) []formPair {
	return []formPair{
		{"account[subdomain]", accountSubdomain},
		{"account[id]", itoa(AccountID)},
		{"account[_links][self]", base},
	}
}

// emitContacts queues the webhook of action on contacts cs to every
// subscription that wants it. The caller holds the store's write lock, so
// the webhook shows the contacts as this write left them and deliveries
// queue in the order writes apply.
func (s *Sandbox) emitContacts(base, action string, cs []*contact) {
	s.hooks.noteBase(base)
	if len(cs) == 0 || !s.hooks.wants(action+"_contact") {
		return
	}
	items := make([][]formPair, len(cs))
	for i, c := range cs {
		items[i] = s.store.hookRecord(entContacts, &c.record, "contact")
	}
	s.hooks.enqueue(base, []hookEvent{newHookEvent(entContacts, action, items)})
}

// emitEvent queues ev, a change no API request made (see DeleteContacts),
// to every subscription that wants it. The caller holds the store's write
// lock.
func (s *Sandbox) emitEvent(ev hookEvent) {
	if len(ev.items) == 0 || !s.hooks.wants(ev.setting) {
		return
	}
	s.hooks.enqueue("", []hookEvent{ev})
}

// hookRecord renders the fields every entity shares, in the order of
// amoCRM's own deliveries: the legacy names first (date_create,
// last_modified, created_user_id, modified_user_id), then the newer v4
// ones, then custom fields and tags. typ is the legacy [type] ("contact",
// "company"), "" for entities that carry none. The caller holds a lock.
func (st *store) hookRecord(entity string, r *record, typ string) []formPair {
	ps := []formPair{
		{"[id]", itoa(r.ID)},
		{"[name]", r.Name},
		{"[responsible_user_id]", itoa(r.ResponsibleUserID)},
		{"[date_create]", i64toa(r.CreatedAt)},
		{"[last_modified]", i64toa(r.UpdatedAt)},
		{"[created_user_id]", itoa(r.CreatedBy)},
		{"[modified_user_id]", itoa(r.UpdatedBy)},
	}
	if typ != "" {
		ps = append(ps, formPair{"[type]", typ})
	}
	ps = append(ps,
		formPair{"[account_id]", itoa(AccountID)},
		formPair{"[created_at]", i64toa(r.CreatedAt)},
		formPair{"[updated_at]", i64toa(r.UpdatedAt)},
	)
	ps = append(ps, st.hookFields(entity, r.Fields)...)
	for k, id := range r.TagIDs {
		if t := st.tags[entity][id]; t != nil {
			key := "[tags][" + itoa(k) + "]"
			ps = append(ps, formPair{key + "[id]", itoa(t.ID)}, formPair{key + "[name]", t.Name})
		}
	}
	return ps
}

// hookFields renders custom field values in the legacy shape. Date fields
// are sent as a bare [values][0]=<timestamp>, as some of amoCRM's
// deliveries do, so receivers meet that shape too. The caller holds a lock.
func (st *store) hookFields(entity string, entries []cfEntry) []formPair {
	fs := st.fields[entity]
	var ps []formPair
	k := 0
	for _, e := range entries {
		f := fs.byID(e.FieldID)
		if f == nil || len(e.Values) == 0 {
			continue
		}
		key := "[custom_fields][" + itoa(k) + "]"
		k++
		ps = append(ps, formPair{key + "[id]", itoa(f.ID)}, formPair{key + "[name]", f.Name})
		if f.Code != "" {
			ps = append(ps, formPair{key + "[code]", f.Code})
		}
		for j, v := range e.Values {
			vkey := key + "[values][" + itoa(j) + "]"
			if f.Type == typeDate {
				ps = append(ps, formPair{vkey, valueText(v.Value)})
				continue
			}
			ps = append(ps, formPair{vkey + "[value]", valueText(v.Value)})
			if v.EnumID != 0 {
				ps = append(ps, formPair{vkey + "[enum]", itoa(v.EnumID)})
			}
		}
	}
	return ps
}

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }
