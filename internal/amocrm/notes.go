package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// NotesService reads and adds the notes of leads, contacts, companies and
// customers (the entries of an entity's feed).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
type NotesService service

// Note types amoCRM documents for the notes API; Note.Params depends on
// the type.
const (
	// NoteCommon: {"text"}.
	NoteCommon = "common"
	// NoteCallIn, NoteCallOut: {"uniq", "duration", "source", "link",
	// "phone", optionally "call_result", "call_status",
	// "call_responsible"}.
	NoteCallIn  = "call_in"
	NoteCallOut = "call_out"
	// NoteServiceMessage, NoteExtendedServiceMessage: {"service", "text"}.
	NoteServiceMessage         = "service_message"
	NoteExtendedServiceMessage = "extended_service_message"
	// NoteMessageCashier: {"status", "text"}.
	NoteMessageCashier = "message_cashier"
	// NoteGeolocation: {"text", "address", "longitude", "latitude"}.
	NoteGeolocation = "geolocation"
	// NoteSMSIn, NoteSMSOut: {"text", "phone"}.
	NoteSMSIn  = "sms_in"
	NoteSMSOut = "sms_out"
	// NoteAttachment: {"file_uuid", "version_uuid", "file_name"}.
	NoteAttachment = "attachment"
)

// Note is a note of an entity.
type Note struct {
	ID int `json:"id"`
	// EntityID is the lead, contact, company or customer the note belongs
	// to.
	EntityID          int    `json:"entity_id"`
	NoteType          string `json:"note_type"`
	ResponsibleUserID int    `json:"responsible_user_id"`
	GroupID           int    `json:"group_id"`
	CreatedBy         int    `json:"created_by"`
	UpdatedBy         int    `json:"updated_by"`
	CreatedAt         int64  `json:"created_at"` // Unix seconds
	UpdatedAt         int64  `json:"updated_at"` // Unix seconds
	// Params is the type's object, kept verbatim (see the Note* constants).
	Params    json.RawMessage `json:"params,omitempty"`
	AccountID int             `json:"account_id"`
	RequestID string          `json:"request_id,omitempty"`
	Links     *Links          `json:"_links,omitempty"`
}

// NoteListOptions are the query parameters of NotesService.List and
// ListByEntity.
type NoteListOptions struct {
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit  int         `url:"limit,omitempty"`
	Filter *NoteFilter `url:"filter,omitempty"`
	// Order: UpdatedAt or ID, "asc" or "desc".
	Order *Order `url:"order,omitempty"`
}

// NoteFilter narrows a note list; slices match any of their values.
type NoteFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID IDs `url:"id,omitempty"`
	// EntityID narrows List to the notes of these entities; ListByEntity
	// refuses it (the entity is in its path).
	EntityID IDs `url:"entity_id,omitempty"`
	// NoteType: filter[note_type][]=common&filter[note_type][]=call_in.
	NoteType  []string `url:"note_type,brackets,omitempty"`
	UpdatedAt *Range   `url:"updated_at,omitempty"`
}

func (o *NoteListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	if o.Order == nil {
		return nil
	}
	if o.Order.CreatedAt != "" {
		return &ArgumentError{Arg: "order[created_at]", Reason: "notes sort by updated_at or id"}
	}
	return o.Order.validate()
}

// noteEntityTypes are the entity types that have notes.
var noteEntityTypes = []string{"leads", "contacts", "companies", "customers"}

// List returns a page of the notes of entityType ("leads", "contacts",
// "companies" or "customers"; anything else is an *ArgumentError), across
// entities unless opts.Filter.EntityID narrows it. An empty page (204)
// returns an empty slice and NextPage 0.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
//
// GET /api/v4/{entity_type}/notes
func (s *NotesService) List(ctx context.Context, entityType string, opts *NoteListOptions) ([]*Note, *Response, error) {
	if err := checkEntityType("entityType", entityType, noteEntityTypes...); err != nil {
		return nil, nil, err
	}
	return s.list(ctx, "api/v4/"+entityType+"/notes", opts)
}

// ListByEntity returns a page of the notes of one entity. Errors are as for
// List; opts.Filter.EntityID is an *ArgumentError here.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
//
// GET /api/v4/{entity_type}/{entity_id}/notes
func (s *NotesService) ListByEntity(ctx context.Context, entityType string, entityID int, opts *NoteListOptions) ([]*Note, *Response, error) {
	if err := checkEntityType("entityType", entityType, noteEntityTypes...); err != nil {
		return nil, nil, err
	}
	if err := checkID("entityID", entityID); err != nil {
		return nil, nil, err
	}
	if opts != nil && opts.Filter != nil && len(opts.Filter.EntityID) > 0 {
		return nil, nil, &ArgumentError{Arg: "filter[entity_id]", Reason: "the entity is already in the path"}
	}
	return s.list(ctx, fmt.Sprintf("api/v4/%s/%d/notes", entityType, entityID), opts)
}

func (s *NotesService) list(ctx context.Context, path string, opts *NoteListOptions) ([]*Note, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(path, opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body noteList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Notes), resp, nil
}

// Get returns one note of entityType, or nil (and a nil error) when amoCRM
// answers 204.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
//
// GET /api/v4/{entity_type}/notes/{id}
func (s *NotesService) Get(ctx context.Context, entityType string, id int) (*Note, *Response, error) {
	if err := checkEntityType("entityType", entityType, noteEntityTypes...); err != nil {
		return nil, nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, fmt.Sprintf("api/v4/%s/notes/%d", entityType, id), nil)
	if err != nil {
		return nil, nil, err
	}
	var note *Note
	resp, err := s.client.Do(req, &note)
	if err != nil {
		return nil, resp, err
	}
	return note, resp, nil
}

// AddNoteRequest is one note of NotesService.Add.
type AddNoteRequest struct {
	// EntityID is the lead, contact, company or customer to add the note to.
	EntityID int `json:"entity_id"`
	// NoteType is one of the Note* constants; amoCRM requires it.
	NoteType string `json:"note_type"`
	// Params is the type's object (see the Note* constants and NoteText).
	Params    json.RawMessage `json:"params,omitempty"`
	CreatedBy int             `json:"created_by,omitempty"`
	// IsNeedToTriggerDigitalPipeline runs the pipeline's automations on the
	// note (for incoming messages and calls).
	IsNeedToTriggerDigitalPipeline bool `json:"is_need_to_trigger_digital_pipeline,omitempty"`
	// RequestID is echoed back in the added note and in validation errors;
	// default: the element's index in the batch.
	RequestID string `json:"request_id,omitempty"`
}

// NoteText returns the params of a note whose only parameter is its text,
// e.g. NoteCommon: {"text": text}.
func NoteText(text string) json.RawMessage {
	b, _ := json.Marshal(struct {
		Text string `json:"text"`
	}{text}) // a string always marshals
	return b
}

// Add adds notes to entities of entityType in one batch (at most MaxBatch)
// and returns what amoCRM answers for each: ID, EntityID, RequestID and
// Links. A 400 answer is an *ErrorResponse whose ValidationErrors name the
// failing elements by request_id, with the path of each problem inside the
// element.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
//
// POST /api/v4/{entity_type}/notes
func (s *NotesService) Add(ctx context.Context, entityType string, reqs []*AddNoteRequest) ([]*Note, *Response, error) {
	if err := checkEntityType("entityType", entityType, noteEntityTypes...); err != nil {
		return nil, nil, err
	}
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if err := checkID(fmt.Sprintf("reqs[%d].EntityID", i), r.EntityID); err != nil {
			return nil, nil, err
		}
		if r.Params != nil && !json.Valid(r.Params) {
			return nil, nil, &ArgumentError{Arg: fmt.Sprintf("reqs[%d].Params", i), Reason: "is not valid JSON"}
		}
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "api/v4/"+entityType+"/notes", reqs)
	if err != nil {
		return nil, nil, err
	}
	var out noteList
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(out.Embedded.Notes), resp, nil
}

type noteList struct {
	halPage
	Embedded struct {
		Notes []*Note `json:"notes"`
	} `json:"_embedded"`
}
