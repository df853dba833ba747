package sandbox

import (
	"cmp"
	"encoding/json"
	"net/http"
	"strings"
)

// This file is the frame the writes of leads, companies, tasks and notes
// share (contacts_write.go predates it): a batch is validated whole under
// the write lock and applied only when every element is valid, so a 400
// leaves the account untouched, as amoCRM does with a batch it rejects.

// writeOp is one validated element: apply stores it and returns its entry
// in the answer. apply runs under the write lock, after every element of
// the batch has validated.
type writeOp struct {
	requestID string
	apply     func(now int64, base string, hooks *hookBatch) writtenJSON
}

// parseElement validates one element of a body. pathID is the id of a
// single-object PATCH (0 otherwise); patch tells create from update.
type parseElement func(st *store, raw json.RawMessage, index int, patch bool, pathID int) (writeOp, []fieldError)

// writeKind is how a write route takes its body.
type writeKind int

const (
	writeCreate    writeKind = iota // POST: a non-empty array
	writeUpdate                     // PATCH collection: an array, or one object with its id
	writeUpdateOne                  // PATCH /{id}: one object; the answer is one object
)

// writeRoute describes one entity type's write routes.
type writeRoute struct {
	plural   string                       // path after /api/v4/ of the answer's self link
	embedded string                       // _embedded key of the answer; "" means plural
	noun     string                       // "Lead", for "Lead not found"
	exists   func(st *store, id int) bool // for writeUpdateOne's 404
	parse    parseElement
}

// serveWrite answers a POST or PATCH of rt as kind describes.
func (s *Sandbox) serveWrite(w http.ResponseWriter, r *http.Request, rt writeRoute, kind writeKind) {
	pathIDv := 0
	if kind == writeUpdateOne {
		id, ok := pathID(r, "id")
		if !ok {
			writeProblem(w, http.StatusNotFound, "Not found: "+r.URL.Path)
			return
		}
		pathIDv = id
	}
	items, aerr := writeItems(w, r, kind)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	now := s.cfg.now().Unix()
	st := s.store
	st.mu.Lock()
	if kind == writeUpdateOne && !rt.exists(st, pathIDv) {
		st.mu.Unlock()
		writeProblem(w, http.StatusNotFound, rt.noun+" not found")
		return
	}
	ops := make([]writeOp, len(items))
	var errs []elementErrors
	for i, raw := range items {
		op, ferrs := rt.parse(st, raw, i, kind != writeCreate, pathIDv)
		ops[i] = op
		if len(ferrs) > 0 {
			errs = append(errs, elementErrors{RequestID: op.requestID, Errors: ferrs})
		}
	}
	var out []writtenJSON
	if errs == nil {
		hooks := &hookBatch{}
		for _, op := range ops {
			j := op.apply(now, base, hooks)
			if kind != writeUpdateOne {
				rid := op.requestID
				j.RequestID = &rid
			}
			out = append(out, j)
		}
		s.emitBatch(base, hooks)
	}
	st.mu.Unlock()
	switch {
	case errs != nil:
		writeAPIError(w, badRequest(errs))
	case kind == writeUpdateOne:
		writeHAL(w, out[0])
	default:
		key := cmp.Or(rt.embedded, rt.plural)
		writeHAL(w, writeAnswer{Links: selfLink(base + "/api/v4/" + rt.plural), Embedded: map[string]any{key: out}})
	}
}

// writeItems reads the body as wk expects it.
func writeItems(w http.ResponseWriter, r *http.Request, wk writeKind) ([]json.RawMessage, *apiError) {
	if wk == writeCreate {
		return readBatch(w, r)
	}
	body, aerr := readBody(w, r)
	switch {
	case aerr != nil:
		return nil, aerr
	case kind(body) == 'o':
		return []json.RawMessage{body}, nil
	case wk == writeUpdateOne:
		return nil, &apiError{status: http.StatusBadRequest, detail: "request body must be a JSON object"}
	}
	return batchItems(body)
}

// updateID reads the id of a batch PATCH element (or takes the path's),
// failing when it names nothing that exists.
func (c *checker) updateID(o obj, pathID int, exists func(int) bool, noun string) int {
	if pathID != 0 {
		return pathID
	}
	id := c.integer(o, "id", "id")
	switch {
	case id == nil && c.ok():
		c.fail(codeFieldMissing, "id", "This field is missing.")
	case id != nil && !exists(int(*id)):
		c.fail(codeNotFound, "id", noun+" not found.")
	case id != nil:
		return int(*id)
	}
	return 0
}

// hookBatch collects the webhook events of one write, one event per
// setting, items in the order they were applied.
type hookBatch struct{ events []hookEvent }

func (b *hookBatch) add(entity, action string, item []formPair) {
	ev := newHookEvent(entity, action, nil)
	for i := range b.events {
		if b.events[i].setting == ev.setting {
			b.events[i].items = append(b.events[i].items, item)
			return
		}
	}
	ev.items = [][]formPair{item}
	b.events = append(b.events, ev)
}

// emitBatch queues the events of one write to the subscriptions that want
// them. The caller holds the store's write lock.
func (s *Sandbox) emitBatch(base string, b *hookBatch) {
	s.hooks.noteBase(base)
	settings := make([]string, len(b.events))
	for i, ev := range b.events {
		settings[i] = ev.setting
	}
	if len(b.events) == 0 || !s.hooks.wants(settings...) {
		return
	}
	s.hooks.enqueue(base, b.events)
}

// boolean reads an optional bool key; nil when absent or null.
func (c *checker) boolean(o obj, key, path string) *bool {
	raw, has := o[key]
	if !has || kind(raw) == 'z' {
		return nil
	}
	if kind(raw) != 'b' {
		c.fail(codeInvalidType, path, "This value should be of type bool.")
		return nil
	}
	v := strings.TrimSpace(string(raw)) == "true"
	return &v
}

// prefixed returns errs with prefix put before every path, for elements
// nested in another (the contact of a complex lead).
func prefixed(prefix string, errs []fieldError) []fieldError {
	for i := range errs {
		errs[i].Path = strings.TrimSuffix(prefix+"."+errs[i].Path, ".")
	}
	return errs
}

// written is the answer entry of one written entity: id and link, and the
// new updated_at for an update.
func written(base, plural string, id int, updatedAt int64, update bool) writtenJSON {
	j := writtenJSON{ID: id, Links: selfLink(base + "/api/v4/" + plural + "/" + itoa(id))}
	if update {
		j.UpdatedAt = &updatedAt
	}
	return j
}
