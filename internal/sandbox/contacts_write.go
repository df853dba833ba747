package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// contactInput is one validated element of a contacts POST or PATCH body.
type contactInput struct {
	requestID                    string
	id                           int // PATCH only
	name, firstName, lastName    *string
	responsible                  *int
	createdBy, updatedBy         *int
	createdAt, updatedAt         *int64
	fields                       fieldsInput
	tagsAdd, tagsDelete, tagsSet []tagRef
	tagsSetGiven                 bool
}

// parseContact validates one element; pathID is the id of a single-object
// PATCH (0 for batches, where the element must carry its id).
func parseContact(st *store, raw json.RawMessage, index int, patch bool, pathID int) (contactInput, []fieldError) {
	o := asObj(raw)
	if o == nil {
		return contactInput{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	in := contactInput{requestID: requestID(o, index), id: pathID}
	if patch && pathID == 0 {
		switch id := c.integer(o, "id", "id"); {
		case id == nil && c.ok():
			c.fail(codeFieldMissing, "id", "This field is missing.")
		case id != nil && st.contacts[int(*id)] == nil:
			c.fail(codeNotFound, "id", "Contact not found.")
		case id != nil:
			in.id = int(*id)
		}
	}
	in.name = c.str(o, "name", "name")
	in.firstName = c.str(o, "first_name", "first_name")
	in.lastName = c.str(o, "last_name", "last_name")
	in.responsible = c.userID(st, o, "responsible_user_id", false)
	in.createdBy = c.userID(st, o, "created_by", true)
	in.updatedBy = c.userID(st, o, "updated_by", true)
	in.createdAt = c.integer(o, "created_at", "created_at")
	in.updatedAt = c.integer(o, "updated_at", "updated_at")
	in.fields = c.fields(o, st.fields[entContacts])
	in.tagsAdd, _ = c.tags(st, entContacts, o, "tags_to_add", false)
	if patch {
		in.tagsDelete, _ = c.tags(st, entContacts, o, "tags_to_delete", true)
	}
	in.tagsSet, in.tagsSetGiven = c.tagSet(st, entContacts, o)
	return in, c.errs
}

// applyContact writes in onto c. The caller holds the write lock.
func (st *store) applyContact(c *contact, in contactInput, now int64, create bool) {
	if in.firstName != nil {
		c.FirstName = *in.firstName
	}
	if in.lastName != nil {
		c.LastName = *in.lastName
	}
	switch {
	case in.name != nil && strings.TrimSpace(*in.name) != "":
		c.Name = *in.name
	case create || in.name != nil:
		// An empty name is made from the person's names.
		c.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	if in.responsible != nil {
		c.ResponsibleUserID = *in.responsible
		c.GroupID = st.groupOf(*in.responsible)
	}
	if in.createdBy != nil {
		c.CreatedBy = *in.createdBy
	}
	c.UpdatedBy = DefaultUserID
	if in.updatedBy != nil {
		c.UpdatedBy = *in.updatedBy
	} else if create {
		c.UpdatedBy = c.CreatedBy
	}
	if in.createdAt != nil {
		c.CreatedAt = *in.createdAt
	}
	c.UpdatedAt = now
	if in.updatedAt != nil {
		c.UpdatedAt = *in.updatedAt
	}
	c.Fields = mergeFields(c.Fields, in.fields.entries)
	c.TagIDs = st.applyTags(entContacts, c.TagIDs, in.tagsSet, in.tagsSetGiven, in.tagsAdd, in.tagsDelete)
}

// mergeFields replaces the values of the fields given and drops fields given
// without values; other fields keep theirs.
func mergeFields(have []cfEntry, given []cfEntry) []cfEntry {
	out := slices.Clone(have)
	for _, g := range given {
		i := slices.IndexFunc(out, func(e cfEntry) bool { return e.FieldID == g.FieldID })
		switch {
		case len(g.Values) == 0 && i >= 0:
			out = slices.Delete(out, i, i+1)
		case len(g.Values) == 0:
		case i >= 0:
			out[i] = g
		default:
			out = append(out, g)
		}
	}
	return out
}

// applyTags computes an entity's tag ids. _embedded.tags replaces the whole
// set, and tags_to_add / tags_to_delete are then ignored: the official PHP
// library documents that amoCRM gives _embedded.tags priority and does not
// apply them (MutateTagsTrait::mutateTags,
// https://github.com/amocrm/amocrm-api-php). Otherwise tags_to_add adds and
// tags_to_delete removes. Tags named by an unknown name are created in the
// dictionary. The caller holds the write lock.
func (st *store) applyTags(entity string, have []int, set []tagRef, setGiven bool, add, del []tagRef) []int {
	if setGiven {
		var ids []int
		for _, ref := range set {
			ids = appendUnique(ids, st.resolveTag(entity, ref, true))
		}
		return ids
	}
	ids := slices.Clone(have)
	for _, ref := range add {
		ids = appendUnique(ids, st.resolveTag(entity, ref, true))
	}
	for _, ref := range del {
		id := st.resolveTag(entity, ref, false)
		ids = slices.DeleteFunc(ids, func(x int) bool { return x == id })
	}
	return ids
}

// resolveTag returns the id a reference names, creating a tag by name when
// create is set; 0 when it names nothing.
func (st *store) resolveTag(entity string, ref tagRef, create bool) int {
	if ref.id != 0 {
		if st.tags[entity][ref.id] != nil {
			return ref.id
		}
		return 0
	}
	if t := st.tagByName(entity, ref.name); t != nil {
		return t.ID
	}
	if !create || ref.name == "" {
		return 0
	}
	return st.addTag(entity, ref.name, "").ID
}

func appendUnique(ids []int, id int) []int {
	if id == 0 || slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// writtenJSON is one entity in a POST/PATCH answer.
type writtenJSON struct {
	ID        int       `json:"id"`
	EntityID  *int      `json:"entity_id,omitempty"` // notes only
	Name      *string   `json:"name,omitempty"`
	UpdatedAt *int64    `json:"updated_at,omitempty"`
	RequestID *string   `json:"request_id,omitempty"`
	Links     selfLinks `json:"_links"`
}

// writeAnswer is the envelope of a batch POST/PATCH answer.
type writeAnswer struct {
	Links    selfLinks      `json:"_links"`
	Embedded map[string]any `json:"_embedded"`
}

// parseContacts validates every element of a batch; the second result is nil
// when all are valid.
func parseContacts(st *store, items []json.RawMessage, patch bool) ([]contactInput, []elementErrors) {
	inputs := make([]contactInput, len(items))
	var errs []elementErrors
	for i, raw := range items {
		in, ferrs := parseContact(st, raw, i, patch, 0)
		inputs[i] = in
		if len(ferrs) > 0 {
			errs = append(errs, elementErrors{RequestID: in.requestID, Errors: ferrs})
		}
	}
	return inputs, errs
}

// createContacts serves POST /api/v4/contacts: all elements are stored, or
// none when any is invalid.
func (s *Sandbox) createContacts(w http.ResponseWriter, r *http.Request) {
	items, aerr := readBatch(w, r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	now := s.cfg.now().Unix()
	st := s.store
	st.mu.Lock()
	inputs, errs := parseContacts(st, items, false)
	var out []writtenJSON
	var written []*contact
	if errs == nil {
		for _, in := range inputs {
			c := &contact{record: record{
				ID: st.nextContactID, ResponsibleUserID: DefaultUserID, GroupID: st.groupOf(DefaultUserID),
				CreatedBy: DefaultUserID, CreatedAt: now,
			}}
			st.nextContactID++
			st.applyContact(c, in, now, true)
			st.contacts[c.ID] = c
			written = append(written, c)
			rid := in.requestID
			out = append(out, writtenJSON{ID: c.ID, RequestID: &rid, Links: selfLink(base + "/api/v4/contacts/" + itoa(c.ID))})
		}
	}
	s.emitContacts(base, hookAdd, written)
	st.mu.Unlock()
	if errs != nil {
		writeAPIError(w, badRequest(errs))
		return
	}
	writeHAL(w, writeAnswer{Links: selfLink(base + "/api/v4/contacts"), Embedded: map[string]any{entContacts: out}})
}

// updateContacts serves PATCH /api/v4/contacts: all elements are applied,
// or none when any is invalid. The body is an array of contacts, or one
// contact object with its id, as the documentation's own example sends it;
// either way the answer is the collection.
func (s *Sandbox) updateContacts(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r)
	var items []json.RawMessage
	switch {
	case aerr != nil:
	case kind(body) == 'o':
		items = []json.RawMessage{body}
	default:
		items, aerr = batchItems(body)
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	now := s.cfg.now().Unix()
	st := s.store
	st.mu.Lock()
	inputs, errs := parseContacts(st, items, true)
	var out []writtenJSON
	var written []*contact
	if errs == nil {
		for _, in := range inputs {
			c := st.contacts[in.id]
			st.applyContact(c, in, now, false)
			written = append(written, c)
			name, updated, rid := c.Name, c.UpdatedAt, in.requestID
			out = append(out, writtenJSON{ID: c.ID, Name: &name, UpdatedAt: &updated, RequestID: &rid, Links: selfLink(base + "/api/v4/contacts/" + itoa(c.ID))})
		}
	}
	s.emitContacts(base, hookUpdate, written)
	st.mu.Unlock()
	if errs != nil {
		writeAPIError(w, badRequest(errs))
		return
	}
	writeHAL(w, writeAnswer{Links: selfLink(base + "/api/v4/contacts"), Embedded: map[string]any{entContacts: out}})
}

// updateContact serves PATCH /api/v4/contacts/{id}: a single object, the
// answer a single object. An unknown id is answered 404 problem+json; that
// status is unconfirmed upstream (GET answers 204 for a missing contact).
func (s *Sandbox) updateContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeProblem(w, http.StatusNotFound, "Not found: "+r.URL.Path)
		return
	}
	body, aerr := readBody(w, r)
	if aerr == nil && kind(body) != 'o' {
		aerr = &apiError{status: http.StatusBadRequest, detail: "request body must be a JSON object"}
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	now := s.cfg.now().Unix()
	st := s.store
	st.mu.Lock()
	c := st.contacts[id]
	var out writtenJSON
	var errs []fieldError
	var in contactInput
	if c != nil {
		if in, errs = parseContact(st, body, 0, true, id); errs == nil {
			st.applyContact(c, in, now, false)
			s.emitContacts(base, hookUpdate, []*contact{c})
			name, updated := c.Name, c.UpdatedAt
			out = writtenJSON{ID: c.ID, Name: &name, UpdatedAt: &updated, Links: selfLink(base + "/api/v4/contacts/" + itoa(c.ID))}
		}
	}
	st.mu.Unlock()
	switch {
	case c == nil:
		writeProblem(w, http.StatusNotFound, "Contact not found")
	case errs != nil:
		writeAPIError(w, badRequest([]elementErrors{{RequestID: in.requestID, Errors: errs}}))
	default:
		writeHAL(w, out)
	}
}
