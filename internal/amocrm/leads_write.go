package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Status ids every pipeline has: a lead moved to StatusWon or StatusLost is
// closed (closed_at is set).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines
const (
	StatusWon  = 142
	StatusLost = 143
)

// CreateLeadRequest is one lead of LeadsService.Create. No field is
// required: without StatusID and PipelineID the lead goes to the first
// stage of the main pipeline.
type CreateLeadRequest struct {
	Name  string `json:"name,omitempty"`
	Price int    `json:"price,omitempty"`
	// StatusID alone puts the lead in that stage of the main pipeline; give
	// PipelineID too for another pipeline.
	StatusID   int `json:"status_id,omitempty"`
	PipelineID int `json:"pipeline_id,omitempty"`
	// LossReasonID is meaningful with StatusID StatusLost only.
	LossReasonID       int                 `json:"loss_reason_id,omitempty"`
	ResponsibleUserID  int                 `json:"responsible_user_id,omitempty"`
	CreatedBy          int                 `json:"created_by,omitempty"`
	UpdatedBy          int                 `json:"updated_by,omitempty"`
	CreatedAt          int64               `json:"created_at,omitempty"`
	UpdatedAt          int64               `json:"updated_at,omitempty"`
	ClosedAt           int64               `json:"closed_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef            `json:"tags_to_add,omitempty"`
	// Tags is the lead's whole tag set, sent as _embedded.tags: nil sends
	// nothing, an empty non-nil slice sends [].
	Tags []TagRef `json:"-"`
	// Contacts links existing contacts (ID, IsMain), sent as
	// _embedded.contacts; amoCRM reads it on creation only.
	Contacts []EntityRef `json:"-"`
	// Companies links an existing company (at most one), sent as
	// _embedded.companies; amoCRM reads it on creation only.
	Companies []EntityRef `json:"-"`
	// RequestID is echoed back in the created lead and in validation
	// errors; default: the element's index in the batch.
	RequestID string `json:"request_id,omitempty"`
}

// UpdateLeadRequest is one lead of LeadsService.Update (ID required).
// Pointer fields are sent when non-nil, so "" and 0 are real values. A
// status move sets StatusID (and PipelineID to move between pipelines);
// StatusWon or StatusLost closes the lead.
type UpdateLeadRequest struct {
	ID                 int                 `json:"id,omitempty"`
	Name               *string             `json:"name,omitempty"`
	Price              *int                `json:"price,omitempty"`
	StatusID           *int                `json:"status_id,omitempty"`
	PipelineID         *int                `json:"pipeline_id,omitempty"`
	LossReasonID       *int                `json:"loss_reason_id,omitempty"`
	ResponsibleUserID  *int                `json:"responsible_user_id,omitempty"`
	CreatedBy          *int                `json:"created_by,omitempty"`
	UpdatedBy          *int                `json:"updated_by,omitempty"`
	CreatedAt          *int64              `json:"created_at,omitempty"`
	UpdatedAt          *int64              `json:"updated_at,omitempty"`
	ClosedAt           *int64              `json:"closed_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef            `json:"tags_to_add,omitempty"`
	TagsToDelete       []TagRef            `json:"tags_to_delete,omitempty"`
	// Tags replaces the lead's whole tag set, as for contacts (see
	// UpdateContactRequest.Tags).
	Tags      []TagRef `json:"-"`
	RequestID string   `json:"request_id,omitempty"`
}

// leadEmbeddedWrite is the _embedded object of a lead write body. Tags is a
// pointer so that an empty set is sent as [] while an absent one is left
// out.
type leadEmbeddedWrite struct {
	Tags      *[]TagRef `json:"tags,omitempty"`
	Contacts  []any     `json:"contacts,omitempty"`
	Companies []any     `json:"companies,omitempty"`
}

func (e *leadEmbeddedWrite) orNil() *leadEmbeddedWrite {
	if e.Tags == nil && e.Contacts == nil && e.Companies == nil {
		return nil
	}
	return e
}

func tagsPtr(tags []TagRef) *[]TagRef {
	if tags == nil {
		return nil
	}
	return &tags
}

func refs(rs []EntityRef) []any {
	if len(rs) == 0 {
		return nil
	}
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = EntityRef{ID: r.ID, IsMain: r.IsMain} // never links
	}
	return out
}

// MarshalJSON adds Tags, Contacts and Companies as _embedded to the body.
func (r CreateLeadRequest) MarshalJSON() ([]byte, error) {
	type fields CreateLeadRequest // without this method
	emb := &leadEmbeddedWrite{Tags: tagsPtr(r.Tags), Contacts: refs(r.Contacts), Companies: refs(r.Companies)}
	return json.Marshal(struct {
		fields
		Embedded *leadEmbeddedWrite `json:"_embedded,omitempty"`
	}{fields(r), emb.orNil()})
}

// MarshalJSON adds Tags as _embedded.tags to the body.
func (r UpdateLeadRequest) MarshalJSON() ([]byte, error) {
	type fields UpdateLeadRequest // without this method
	return json.Marshal(struct {
		fields
		Embedded *tagSet `json:"_embedded,omitempty"`
	}{fields(r), embeddedTags(r.Tags)})
}

// Create adds leads in one batch (at most MaxBatch) and returns what amoCRM
// answers for each: ID, RequestID and Links only. A 400 answer is an
// *ErrorResponse whose ValidationErrors name the failing elements by
// request_id, with the path of each problem inside the element.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
//
// POST /api/v4/leads
func (s *LeadsService) Create(ctx context.Context, reqs []*CreateLeadRequest) ([]*Lead, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	return s.write(ctx, http.MethodPost, "api/v4/leads", reqs)
}

// Update edits leads in one batch (at most MaxBatch); every element needs
// its ID. It returns what amoCRM answers for each: ID, UpdatedAt and Links
// only. Errors are as for Create.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
//
// PATCH /api/v4/leads
func (s *LeadsService) Update(ctx context.Context, reqs []*UpdateLeadRequest) ([]*Lead, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if err := checkID(fmt.Sprintf("reqs[%d].ID", i), r.ID); err != nil {
			return nil, nil, err
		}
	}
	return s.write(ctx, http.MethodPatch, "api/v4/leads", reqs)
}

func (s *LeadsService) write(ctx context.Context, method, path string, body any) ([]*Lead, *Response, error) {
	req, err := s.client.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, nil, err
	}
	var out leadList
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(out.Embedded.Leads), resp, nil
}

// ComplexLeadRequest is one element of LeadsService.CreateComplex: a new
// lead with at most one new contact and one new company, which amoCRM
// creates and links together in one call. At most 40 custom field values
// per entity are accepted.
type ComplexLeadRequest struct {
	// Lead is the lead; its Contacts and Companies must be empty (the new
	// ones go in Contact and Company).
	Lead CreateLeadRequest
	// Contact is the new contact, nil for none.
	Contact *CreateContactRequest
	// Company is the new company, nil for none.
	Company *CreateCompanyRequest
}

// MarshalJSON writes the lead with the contact and company in its
// _embedded, as the complex add expects.
func (r ComplexLeadRequest) MarshalJSON() ([]byte, error) {
	type fields CreateLeadRequest // without its MarshalJSON
	emb := &leadEmbeddedWrite{Tags: tagsPtr(r.Lead.Tags)}
	if r.Contact != nil {
		emb.Contacts = []any{r.Contact}
	}
	if r.Company != nil {
		emb.Companies = []any{r.Company}
	}
	return json.Marshal(struct {
		fields
		Embedded *leadEmbeddedWrite `json:"_embedded,omitempty"`
	}{fields(r.Lead), emb.orNil()})
}

// ComplexLeadResult is amoCRM's answer for one lead of a complex add.
type ComplexLeadResult struct {
	ID int `json:"id"`
	// ContactID and CompanyID are 0 when none was sent.
	ContactID int `json:"contact_id"`
	CompanyID int `json:"company_id"`
	// RequestID is an array in this answer, unlike in the other writes.
	RequestID []string `json:"request_id"`
	// Merged reports that duplicate control merged the lead into an
	// existing one, whose ID this is.
	Merged bool `json:"merged"`
}

// CreateComplex adds leads, each with its new contact and company, in one
// call (at most MaxComplexBatch leads). The answer is a bare array, one
// result per lead. Errors are as for Create.
//
// amoCRM API docs: https://developers.kommo.com/reference/complex-leads
//
// POST /api/v4/leads/complex
func (s *LeadsService) CreateComplex(ctx context.Context, reqs []*ComplexLeadRequest) ([]*ComplexLeadResult, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxComplexBatch); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if len(r.Lead.Contacts) > 0 || len(r.Lead.Companies) > 0 {
			return nil, nil, &ArgumentError{Arg: fmt.Sprintf("reqs[%d].Lead", i), Reason: "links existing contacts or companies; a complex add takes new ones in Contact and Company"}
		}
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "api/v4/leads/complex", reqs)
	if err != nil {
		return nil, nil, err
	}
	var out []*ComplexLeadResult
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(out), resp, nil
}
