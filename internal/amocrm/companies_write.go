package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// CreateCompanyRequest is one company of CompaniesService.Create, or the
// company of a complex lead add. No field is required.
type CreateCompanyRequest struct {
	Name               string              `json:"name,omitempty"`
	ResponsibleUserID  int                 `json:"responsible_user_id,omitempty"`
	CreatedBy          int                 `json:"created_by,omitempty"`
	UpdatedBy          int                 `json:"updated_by,omitempty"`
	CreatedAt          int64               `json:"created_at,omitempty"`
	UpdatedAt          int64               `json:"updated_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef            `json:"tags_to_add,omitempty"`
	// Tags is the company's whole tag set, sent as _embedded.tags: nil
	// sends nothing, an empty non-nil slice sends [].
	Tags []TagRef `json:"-"`
	// RequestID is echoed back in the created company and in validation
	// errors; default: the element's index in the batch.
	RequestID string `json:"request_id,omitempty"`
}

// UpdateCompanyRequest is one company of CompaniesService.Update (ID
// required). Pointer fields are sent when non-nil, so "" and 0 are real
// values.
type UpdateCompanyRequest struct {
	ID                 int                 `json:"id,omitempty"`
	Name               *string             `json:"name,omitempty"`
	ResponsibleUserID  *int                `json:"responsible_user_id,omitempty"`
	CreatedBy          *int                `json:"created_by,omitempty"`
	UpdatedBy          *int                `json:"updated_by,omitempty"`
	CreatedAt          *int64              `json:"created_at,omitempty"`
	UpdatedAt          *int64              `json:"updated_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef            `json:"tags_to_add,omitempty"`
	TagsToDelete       []TagRef            `json:"tags_to_delete,omitempty"`
	// Tags replaces the company's whole tag set, as for contacts (see
	// UpdateContactRequest.Tags).
	Tags      []TagRef `json:"-"`
	RequestID string   `json:"request_id,omitempty"`
}

// MarshalJSON adds Tags as _embedded.tags to the body.
func (r CreateCompanyRequest) MarshalJSON() ([]byte, error) {
	type fields CreateCompanyRequest // without this method
	return json.Marshal(struct {
		fields
		Embedded *tagSet `json:"_embedded,omitempty"`
	}{fields(r), embeddedTags(r.Tags)})
}

// MarshalJSON adds Tags as _embedded.tags to the body.
func (r UpdateCompanyRequest) MarshalJSON() ([]byte, error) {
	type fields UpdateCompanyRequest // without this method
	return json.Marshal(struct {
		fields
		Embedded *tagSet `json:"_embedded,omitempty"`
	}{fields(r), embeddedTags(r.Tags)})
}

// Create adds companies in one batch (at most MaxBatch) and returns what
// amoCRM answers for each: ID, RequestID and Links only. A 400 answer is an
// *ErrorResponse whose ValidationErrors name the failing elements by
// request_id, with the path of each problem inside the element.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/companies-api
//
// POST /api/v4/companies
func (s *CompaniesService) Create(ctx context.Context, reqs []*CreateCompanyRequest) ([]*Company, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	return s.write(ctx, http.MethodPost, reqs)
}

// Update edits companies in one batch (at most MaxBatch); every element
// needs its ID. It returns what amoCRM answers for each: ID, Name,
// UpdatedAt and Links only. Errors are as for Create.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/companies-api
//
// PATCH /api/v4/companies
func (s *CompaniesService) Update(ctx context.Context, reqs []*UpdateCompanyRequest) ([]*Company, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if err := checkID(fmt.Sprintf("reqs[%d].ID", i), r.ID); err != nil {
			return nil, nil, err
		}
	}
	return s.write(ctx, http.MethodPatch, reqs)
}

func (s *CompaniesService) write(ctx context.Context, method string, body any) ([]*Company, *Response, error) {
	req, err := s.client.NewRequest(ctx, method, "api/v4/companies", body)
	if err != nil {
		return nil, nil, err
	}
	var out companyList
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(out.Embedded.Companies), resp, nil
}
