package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
)

// Notes of leads, contacts, companies and customers:
// GET /api/v4/{entity_type}/notes (filter[entity_id] besides the rest),
// GET /api/v4/{entity_type}/{entity_id}/notes, GET
// /api/v4/{entity_type}/notes/{id} (404 for an unknown id; upstream's
// answer is unconfirmed), with filter[id], filter[note_type] and
// filter[updated_at][from|to], order[updated_at|id]; POST
// /api/v4/{entity_type}/notes (entity_id in each note) and POST
// /api/v4/{entity_type}/{entity_id}/notes. A note's params depend on its
// note_type (text for common, service_message and sms; phone, duration,
// source, uniq and link for calls). Note writes send no webhooks in the
// sandbox.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
// (Kommo: https://developers.kommo.com/reference/notes-types)

// note is one note. record carries its id, users and timestamps.
type note struct {
	record
	EntityType string
	EntityID   int
	NoteType   string
	Params     map[string]any
}

// noteTypes are the note types the sandbox accepts in writes, with the
// params each needs.
var noteTypes = map[string][]string{
	"common":                   {"text"},
	"call_in":                  {"phone", "duration", "source", "uniq"},
	"call_out":                 {"phone", "duration", "source", "uniq"},
	"service_message":          {"service", "text"},
	"extended_service_message": {"service", "text"},
	"message_cashier":          {"status", "text"},
	"geolocation":              {"text", "address", "longitude", "latitude"},
	"sms_in":                   {"text", "phone"},
	"sms_out":                  {"text", "phone"},
}

type noteJSON struct {
	ID                int            `json:"id"`
	EntityID          int            `json:"entity_id"`
	CreatedBy         int            `json:"created_by"`
	UpdatedBy         int            `json:"updated_by"`
	CreatedAt         int64          `json:"created_at"`
	UpdatedAt         int64          `json:"updated_at"`
	ResponsibleUserID int            `json:"responsible_user_id"`
	GroupID           int            `json:"group_id"`
	NoteType          string         `json:"note_type"`
	Params            map[string]any `json:"params"`
	AccountID         int            `json:"account_id"`
	Links             selfLinks      `json:"_links"`
}

func renderNote(n *note, base string) noteJSON {
	params := n.Params
	if params == nil {
		params = map[string]any{}
	}
	return noteJSON{
		ID: n.ID, EntityID: n.EntityID, CreatedBy: n.CreatedBy, UpdatedBy: n.UpdatedBy, CreatedAt: n.CreatedAt,
		UpdatedAt: n.UpdatedAt, ResponsibleUserID: n.ResponsibleUserID, GroupID: n.GroupID, NoteType: n.NoteType,
		Params: params, AccountID: AccountID,
		Links: selfLink(base + "/api/v4/" + n.EntityType + "/notes/" + itoa(n.ID)),
	}
}

// notePreds compiles filter[id], filter[note_type], filter[updated_at] and
// filter[entity_id].
func notePreds(f *node) ([]func(*note) bool, *apiError) {
	var preds []func(*note) bool
	for _, name := range []string{"id", "entity_id"} {
		ids, aerr := filterInts(f, name)
		if aerr != nil {
			return nil, aerr
		}
		if ids != nil {
			get := func(n *note) int { return n.ID }
			if name == "entity_id" {
				get = func(n *note) int { return n.EntityID }
			}
			preds = append(preds, func(n *note) bool { return slices.Contains(ids, get(n)) })
		}
	}
	if types := f.kid("note_type").all(); len(types) > 0 {
		preds = append(preds, func(n *note) bool { return slices.Contains(types, n.NoteType) })
	}
	upd, aerr := rangePred(f, "updated_at", func(n *note) *int64 { return &n.UpdatedAt })
	if aerr != nil {
		return nil, aerr
	}
	if upd != nil {
		preds = append(preds, upd)
	}
	return preds, nil
}

// noteSpec lists the notes of entity type e; with byPath, only those of
// the path's {entity_id}.
func noteSpec(e string, byPath bool) listSpec[*note] {
	return listSpec[*note]{
		plural: "notes",
		noun:   "Note",
		order:  []string{"id", "updated_at"},
		rows: func(st *store, r *http.Request) (map[int]*note, *apiError) {
			owner := 0
			if byPath {
				owner, _ = pathID(r, "entity_id")
			}
			out := map[int]*note{}
			for id, n := range st.notes {
				if n.EntityType == e && (!byPath || n.EntityID == owner) {
					out[id] = n
				}
			}
			return out, nil
		},
		preds:  notePreds,
		render: func(_ *store, n *note, _ map[string]bool, base string) any { return renderNote(n, base) },
	}
}

// notesHandlers returns the handlers of entity type e's notes routes.
// byEntity serves /{e}/{entity_id}/{sub}: ServeMux cannot hold
// /{e}/{entity_id}/notes next to /{e}/notes/{id} (each matches
// /{e}/notes/notes), so the route takes any second segment and answers
// 404 unless it is "notes".
func (s *Sandbox) notesHandlers(e string) (list, get, byEntity, create, createFor http.HandlerFunc) {
	all, owned := noteSpec(e, false), noteSpec(e, true)
	rt := writeRoute{plural: e + "/notes", embedded: "notes", noun: "Note", parse: noteParser(e, 0)}
	list = func(w http.ResponseWriter, r *http.Request) { serveList(s, w, r, all) }
	get = func(w http.ResponseWriter, r *http.Request) { serveGet(s, w, r, all) }
	byEntity = func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("sub") != "notes" {
			writeProblem(w, http.StatusNotFound, "Not found: "+r.URL.Path)
			return
		}
		serveList(s, w, r, owned)
	}
	create = func(w http.ResponseWriter, r *http.Request) { s.serveWrite(w, r, rt, writeCreate) }
	createFor = func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "entity_id")
		if r.PathValue("sub") != "notes" || !ok {
			writeProblem(w, http.StatusNotFound, "Not found: "+r.URL.Path)
			return
		}
		s.store.mu.RLock()
		found := s.store.entityExists(e, id)
		s.store.mu.RUnlock()
		if !found {
			writeProblem(w, http.StatusNotFound, "Entity not found")
			return
		}
		owned := rt
		owned.plural = e + "/" + itoa(id) + "/notes"
		owned.parse = noteParser(e, id)
		s.serveWrite(w, r, owned, writeCreate)
	}
	return
}

// noteParser validates one note of entity type e; owner is the path's
// entity id (0: the note names it in entity_id).
func noteParser(e string, owner int) parseElement {
	return func(st *store, raw json.RawMessage, index int, _ bool, _ int) (writeOp, []fieldError) {
		o := asObj(raw)
		if o == nil {
			return writeOp{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
		}
		var c checker
		op := writeOp{requestID: requestID(o, index)}
		entityID := owner
		if owner == 0 {
			switch id := c.integer(o, "entity_id", "entity_id"); {
			case id == nil && c.ok():
				c.fail(codeFieldMissing, "entity_id", "This field is missing.")
			case id != nil && !st.entityExists(e, int(*id)):
				c.fail(codeNotFound, "entity_id", "Entity not found.")
			case id != nil:
				entityID = int(*id)
			}
		}
		noteType := c.str(o, "note_type", "note_type")
		var need []string
		switch {
		case noteType == nil && c.ok():
			c.fail(codeFieldMissing, "note_type", "This field is missing.")
		case noteType != nil:
			var known bool
			if need, known = noteTypes[*noteType]; !known {
				c.fail(codeNotSupportedChoice, "note_type", "The value you selected is not a valid choice.")
			}
		}
		var params map[string]any
		if raw, has := o["params"]; has && kind(raw) != 'z' {
			if kind(raw) != 'o' || json.Unmarshal(raw, &params) != nil {
				c.fail(codeInvalidType, "params", "This value should be of type object.")
			}
		}
		for _, key := range need {
			if (key == "text" || key == "phone") && params[key] == nil {
				c.fail(codeFieldMissing, "params."+key, "This field is missing.")
			}
		}
		createdBy := c.userID(st, o, "created_by", true)
		responsible := c.userID(st, o, "responsible_user_id", false)
		op.apply = func(now int64, base string, _ *hookBatch) writtenJSON {
			n := &note{record: record{ID: st.nextNoteID, ResponsibleUserID: DefaultUserID, CreatedBy: DefaultUserID, CreatedAt: now, UpdatedAt: now},
				EntityType: e, EntityID: entityID, NoteType: *noteType, Params: params}
			st.nextNoteID++
			setIf(&n.CreatedBy, createdBy)
			setIf(&n.ResponsibleUserID, responsible)
			n.UpdatedBy, n.GroupID = n.CreatedBy, st.groupOf(n.ResponsibleUserID)
			st.notes[n.ID] = n
			j := written(base, e+"/notes", n.ID, now, false)
			owner := n.EntityID
			j.EntityID = &owner
			return j
		}
		return op, c.errs
	}
}
