package sandbox

import (
	"cmp"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// WithNonAdminToken adds token as the bearer token of an account user
// without administrator rights: every /api/v4 call accepts it except the
// chat methods (GET and POST /api/v4/contacts/chats) and the webhook
// methods (GET, POST and DELETE /api/v4/webhooks), which answer it 403
// problem+json, since amoCRM makes them available to account
// administrators only. It may be given several times.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-chat-list
func WithNonAdminToken(token string) Option {
	return func(c *config) {
		if token != "" {
			c.nonAdmin = append(c.nonAdmin, token)
		}
	}
}

// adminOnly are the routes that need account administrator rights: the
// chat methods and the webhook methods
// (https://www.amocrm.ru/developers/content/crm_platform/webhooks-api).
var adminOnly = map[string]bool{
	"GET /api/v4/contacts/chats":  true,
	"POST /api/v4/contacts/chats": true,
	"GET /api/v4/webhooks":        true,
	"POST /api/v4/webhooks":       true,
	"DELETE /api/v4/webhooks":     true,
}

// nonAdmin reports whether r carries a WithNonAdminToken token.
func (s *Sandbox) nonAdmin(r *http.Request) bool {
	tok := bearerToken(r)
	for _, t := range s.cfg.nonAdmin {
		if tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(t)) == 1 {
			return true
		}
	}
	return false
}

// chatJSON is one contact–chat link; request_id only in POST answers.
type chatJSON struct {
	ChatID    string  `json:"chat_id"`
	ContactID int     `json:"contact_id"`
	ID        int     `json:"id"`
	RequestID *string `json:"request_id,omitempty"`
}

// chatsAnswer is the envelope of both chat methods: unlike entity lists it
// carries _total_items and no paging.
type chatsAnswer struct {
	TotalItems int                   `json:"_total_items"`
	Embedded   map[string][]chatJSON `json:"_embedded"`
}

// topLevelValues collects a top-level array parameter in every encoding:
// name=1 (repeated), name[]=1, name[0]=1, and comma lists.
func topLevelValues(q url.Values, name string) []string {
	var out []string
	for key, vals := range q {
		root, segs, ok := splitBrackets(key)
		if !ok || root != name || len(segs) > 1 || (len(segs) == 1 && segs[0] != "" && !isIndex(segs[0])) {
			continue
		}
		for _, v := range vals {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// listChats serves GET /api/v4/contacts/chats. It takes top-level
// contact_id[] / chat_id[] (not filter[...]); both restrict the result. A
// call with neither is answered 400: upstream's behaviour is unconfirmed,
// and listing every chat of an account is not what the method is for.
func (s *Sandbox) listChats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	chatIDs := topLevelValues(q, "chat_id")
	var contactIDs []int
	for _, v := range topLevelValues(q, "contact_id") {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeAPIError(w, invalidParam(codeInvalidType, "contact_id", "contact_id must hold integers"))
			return
		}
		contactIDs = append(contactIDs, n)
	}
	if len(chatIDs) == 0 && len(contactIDs) == 0 {
		writeAPIError(w, invalidParam(codeFieldMissing, "contact_id", "contact_id or chat_id is required"))
		return
	}
	st := s.store
	st.mu.RLock()
	var found []chatJSON
	for _, l := range st.chats {
		if (len(chatIDs) == 0 || slices.Contains(chatIDs, l.ChatID)) &&
			(len(contactIDs) == 0 || slices.Contains(contactIDs, l.ContactID)) {
			found = append(found, chatJSON{ChatID: l.ChatID, ContactID: l.ContactID, ID: l.ID})
		}
	}
	st.mu.RUnlock()
	if len(found) == 0 {
		writeNoContent(w)
		return
	}
	slices.SortFunc(found, func(a, b chatJSON) int { return cmp.Compare(a.ID, b.ID) })
	writeHAL(w, chatsAnswer{TotalItems: len(found), Embedded: map[string][]chatJSON{"chats": found}})
}

// chatInput is one validated element of a POST /api/v4/contacts/chats body.
type chatInput struct {
	requestID string
	contactID int
	chatID    string
}

// linkChats serves POST /api/v4/contacts/chats. A chat links to one
// contact: linking it elsewhere moves it and gives the link a new id.
func (s *Sandbox) linkChats(w http.ResponseWriter, r *http.Request) {
	items, aerr := readBatch(w, r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	st := s.store
	st.mu.Lock()
	inputs := make([]chatInput, len(items))
	var errs []elementErrors
	for i, raw := range items {
		in, ferrs := parseChatLink(st, raw, i)
		inputs[i] = in
		if len(ferrs) > 0 {
			errs = append(errs, elementErrors{RequestID: in.requestID, Errors: ferrs})
		}
	}
	var out []chatJSON
	if errs == nil {
		for _, in := range inputs {
			l := st.chats[in.chatID]
			if l == nil || l.ContactID != in.contactID {
				l = &chatLink{ID: st.nextChatLinkID, ChatID: in.chatID, ContactID: in.contactID}
				st.nextChatLinkID++
				st.chats[in.chatID] = l
			}
			rid := in.requestID
			out = append(out, chatJSON{ChatID: l.ChatID, ContactID: l.ContactID, ID: l.ID, RequestID: &rid})
		}
	}
	st.mu.Unlock()
	if errs != nil {
		writeAPIError(w, badRequest(errs))
		return
	}
	writeHAL(w, chatsAnswer{TotalItems: len(out), Embedded: map[string][]chatJSON{"chats": out}})
}

// parseChatLink validates one link request; the caller holds a lock.
func parseChatLink(st *store, raw []byte, index int) (chatInput, []fieldError) {
	o := asObj(raw)
	if o == nil {
		return chatInput{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	in := chatInput{requestID: requestID(o, index)}
	switch id := c.integer(o, "contact_id", "contact_id"); {
	case id == nil && c.ok():
		c.fail(codeFieldMissing, "contact_id", "This field is missing.")
	case id != nil && st.contacts[int(*id)] == nil:
		c.fail(codeNotFound, "contact_id", "Contact not found.")
	case id != nil:
		in.contactID = int(*id)
	}
	before := len(c.errs)
	switch chat := c.str(o, "chat_id", "chat_id"); {
	case chat != nil && strings.TrimSpace(*chat) != "":
		in.chatID = strings.TrimSpace(*chat)
	case len(c.errs) == before:
		c.fail(codeFieldMissing, "chat_id", "This field is missing.")
	}
	return in, c.errs
}
