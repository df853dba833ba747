package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ContactsService handles contacts and their chat links.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api
type ContactsService service

// Contact is an amoCRM contact.
type Contact struct {
	ID                int    `json:"id"`
	Name              string `json:"name"`
	FirstName         string `json:"first_name"`
	LastName          string `json:"last_name"`
	ResponsibleUserID int    `json:"responsible_user_id"`
	// GroupID is the group of the responsible user.
	GroupID   int   `json:"group_id"`
	CreatedBy int   `json:"created_by"`
	UpdatedBy int   `json:"updated_by"`
	CreatedAt int64 `json:"created_at"` // Unix seconds
	UpdatedAt int64 `json:"updated_at"` // Unix seconds
	// ClosestTaskAt is nil when the contact has no open task.
	ClosestTaskAt *int64 `json:"closest_task_at"`
	IsDeleted     bool   `json:"is_deleted"`
	// CustomFieldsValues is nil when upstream sends null (no values).
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values"`
	AccountID          int                 `json:"account_id"`
	// RequestID is only set in create responses: the request_id sent, or the
	// element's index in the batch.
	RequestID string           `json:"request_id,omitempty"`
	Links     *Links           `json:"_links,omitempty"`
	Embedded  *ContactEmbedded `json:"_embedded,omitempty"`
}

// ContactEmbedded holds a contact's related entities. A nil slice means
// upstream did not send the key (e.g. Leads without with=leads); an empty
// non-nil slice means it sent [].
type ContactEmbedded struct {
	Tags []Tag `json:"tags"`
	// Companies holds at most one company.
	Companies []EntityRef `json:"companies"`
	// Leads needs with=leads.
	Leads []EntityRef `json:"leads"`
	// Customers needs with=customers.
	Customers []EntityRef `json:"customers"`
	// CatalogElements needs with=catalog_elements.
	CatalogElements []CatalogElementLink `json:"catalog_elements"`
}

// ContactListOptions are the query parameters of ContactsService.List.
type ContactListOptions struct {
	// With adds related entities: "leads", "customers", "catalog_elements".
	With []string `url:"with,comma,omitempty"`
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit int `url:"limit,omitempty"`
	// Query searches the filled fields of contacts.
	Query  string         `url:"query,omitempty"`
	Filter *ContactFilter `url:"filter,omitempty"`
	// Order: UpdatedAt or ID, "asc" or "desc".
	Order *Order `url:"order,omitempty"`
}

// ContactFilter narrows a contact list; slices match any of their values.
type ContactFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID                IDs      `url:"id,omitempty"`
	Name              []string `url:"name,brackets,omitempty"`
	CreatedBy         []int    `url:"created_by,brackets,omitempty"`
	UpdatedBy         []int    `url:"updated_by,brackets,omitempty"`
	ResponsibleUserID []int    `url:"responsible_user_id,brackets,omitempty"`
	// CreatedAt: filter[created_at][from]=…&filter[created_at][to]=….
	CreatedAt     *Range `url:"created_at,omitempty"`
	UpdatedAt     *Range `url:"updated_at,omitempty"`
	ClosestTaskAt *Range `url:"closest_task_at,omitempty"`
	// CustomFieldsValues: filter[custom_fields_values][<field_id>][]=v, or
	// […][from]/[to] for numeric and date fields.
	CustomFieldsValues CustomFieldFilters `url:"custom_fields_values,omitempty"`
}

func (o *ContactListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	return o.Order.validate()
}

// CreateContactRequest is one contact of ContactsService.Create. No field is
// required.
type CreateContactRequest struct {
	Name               string              `json:"name,omitempty"`
	FirstName          string              `json:"first_name,omitempty"`
	LastName           string              `json:"last_name,omitempty"`
	ResponsibleUserID  int                 `json:"responsible_user_id,omitempty"`
	CreatedBy          int                 `json:"created_by,omitempty"`
	UpdatedBy          int                 `json:"updated_by,omitempty"`
	CreatedAt          int64               `json:"created_at,omitempty"`
	UpdatedAt          int64               `json:"updated_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef            `json:"tags_to_add,omitempty"`
	// Tags is the contact's whole tag set, sent as _embedded.tags: nil sends
	// nothing, an empty non-nil slice sends []. As on update, amoCRM ignores
	// TagsToAdd when Tags is sent.
	Tags []TagRef `json:"-"`
	// RequestID is echoed back in the created contact and in validation
	// errors; default: the element's index in the batch.
	RequestID string `json:"request_id,omitempty"`
}

// UpdateContactRequest is one contact of ContactsService.Update (ID
// required) or the body of UpdateOne (ID taken from the argument). Pointer
// fields are sent when non-nil, so "" and 0 are real values.
type UpdateContactRequest struct {
	ID                 int                 `json:"id,omitempty"`
	Name               *string             `json:"name,omitempty"`
	FirstName          *string             `json:"first_name,omitempty"`
	LastName           *string             `json:"last_name,omitempty"`
	ResponsibleUserID  *int                `json:"responsible_user_id,omitempty"`
	CreatedBy          *int                `json:"created_by,omitempty"`
	UpdatedBy          *int                `json:"updated_by,omitempty"`
	CreatedAt          *int64              `json:"created_at,omitempty"`
	UpdatedAt          *int64              `json:"updated_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef            `json:"tags_to_add,omitempty"`
	TagsToDelete       []TagRef            `json:"tags_to_delete,omitempty"`
	// Tags replaces the contact's whole tag set, sent as _embedded.tags: nil
	// leaves the tags alone, an empty non-nil slice removes them all. When
	// it is sent amoCRM ignores TagsToAdd and TagsToDelete, as the official
	// PHP library notes (MutateTagsTrait::mutateTags,
	// https://github.com/amocrm/amocrm-api-php).
	Tags      []TagRef `json:"-"`
	RequestID string   `json:"request_id,omitempty"`
}

// tagSet is the _embedded object of a write body.
type tagSet struct {
	Tags []TagRef `json:"tags"`
}

// embeddedTags is the _embedded of a body carrying tags: nil when tags is
// nil, so that the key is left out.
func embeddedTags(tags []TagRef) *tagSet {
	if tags == nil {
		return nil
	}
	return &tagSet{Tags: tags}
}

// MarshalJSON adds Tags as _embedded.tags to the body.
func (r CreateContactRequest) MarshalJSON() ([]byte, error) {
	type fields CreateContactRequest // without this method
	return json.Marshal(struct {
		fields
		Embedded *tagSet `json:"_embedded,omitempty"`
	}{fields(r), embeddedTags(r.Tags)})
}

// MarshalJSON adds Tags as _embedded.tags to the body.
func (r UpdateContactRequest) MarshalJSON() ([]byte, error) {
	type fields UpdateContactRequest // without this method
	return json.Marshal(struct {
		fields
		Embedded *tagSet `json:"_embedded,omitempty"`
	}{fields(r), embeddedTags(r.Tags)})
}

// List returns a page of contacts. An empty page (204) returns an empty slice
// and NextPage 0. It returns *ArgumentError for a limit above 250.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-list
//
// GET /api/v4/contacts
func (s *ContactsService) List(ctx context.Context, opts *ContactListOptions) ([]*Contact, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/contacts", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body contactList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Contacts), resp, nil
}

// Get returns one contact, or nil (and a nil error) when amoCRM answers 204
// because the contact does not exist.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contact-detail
//
// GET /api/v4/contacts/{id}
func (s *ContactsService) Get(ctx context.Context, id int, opts *GetOptions) (*Contact, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/contacts/"+strconv.Itoa(id), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var contact *Contact
	resp, err := s.client.Do(req, &contact)
	if err != nil {
		return nil, resp, err
	}
	return contact, resp, nil
}

// Create adds contacts in one batch and returns what amoCRM answers for
// each: ID, RequestID and Links only. A 400 answer is an *ErrorResponse whose
// ValidationErrors name the failing elements by request_id.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-add
//
// POST /api/v4/contacts
func (s *ContactsService) Create(ctx context.Context, reqs []*CreateContactRequest) ([]*Contact, *Response, error) {
	if err := checkBatch("reqs", reqs); err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "api/v4/contacts", reqs)
	if err != nil {
		return nil, nil, err
	}
	var body contactList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Contacts), resp, nil
}

// Update edits contacts in one batch; every element needs its ID. It
// returns what amoCRM answers for each: ID, Name, UpdatedAt and Links only.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-edit
//
// PATCH /api/v4/contacts
func (s *ContactsService) Update(ctx context.Context, reqs []*UpdateContactRequest) ([]*Contact, *Response, error) {
	if err := checkBatch("reqs", reqs); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if err := checkID(fmt.Sprintf("reqs[%d].ID", i), r.ID); err != nil {
			return nil, nil, err
		}
	}
	req, err := s.client.NewRequest(ctx, http.MethodPatch, "api/v4/contacts", reqs)
	if err != nil {
		return nil, nil, err
	}
	var body contactList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Contacts), resp, nil
}

// UpdateOne edits the contact id. The body is req without its ID (a
// different non-zero req.ID is an *ArgumentError). It returns the contact
// amoCRM answers with, whether as a single object or as a one-element
// collection; nil if the answer is empty.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-edit
//
// PATCH /api/v4/contacts/{id}
func (s *ContactsService) UpdateOne(ctx context.Context, id int, req *UpdateContactRequest) (*Contact, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	if req == nil {
		return nil, nil, &ArgumentError{Arg: "req", Reason: "must not be nil"}
	}
	if req.ID != 0 && req.ID != id {
		return nil, nil, &ArgumentError{Arg: "req.ID", Reason: fmt.Sprintf("is %d, but the contact to update is %d", req.ID, id)}
	}
	body := *req
	body.ID = 0
	r, err := s.client.NewRequest(ctx, http.MethodPatch, fmt.Sprintf("api/v4/contacts/%d", id), &body)
	if err != nil {
		return nil, nil, err
	}
	var out contactOrList
	resp, err := s.client.Do(r, &out)
	if err != nil {
		return nil, resp, err
	}
	if resp.StatusCode != http.StatusNoContent && (out.contact == nil || out.contact.ID == 0) {
		// A 200 that names no contact is not an answer to this update.
		return nil, resp, fmt.Errorf("amocrm: PATCH api/v4/contacts/%d: the answer holds no contact: %w", id, ErrUnavailable)
	}
	return out.contact, resp, nil
}

// contactList is the HAL collection of contacts (list, create and update
// answers).
type contactList struct {
	halPage
	Embedded struct {
		Contacts []*Contact `json:"contacts"`
	} `json:"_embedded"`
}

// contactOrList decodes either a contact or a collection of contacts, taking
// the collection's first element: the answer shape of PATCH
// /api/v4/contacts/{id} is documented only by analogy.
type contactOrList struct {
	contact *Contact
}

func (c *contactOrList) UnmarshalJSON(data []byte) error {
	var list contactList
	if err := decodeJSON(data, &list); err != nil {
		return err
	}
	if list.Embedded.Contacts != nil {
		for _, contact := range list.Embedded.Contacts {
			if contact != nil {
				c.contact = contact
				break
			}
		}
		return nil
	}
	return decodeJSON(data, &c.contact)
}

// CustomFieldFilter narrows a list by one custom field: a value equal to one
// of Values (an enum field also matches its enum id), or one within From–To
// (numeric and date fields; either bound may be nil).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/filters-api
type CustomFieldFilter struct {
	FieldID  int
	Values   []string
	From, To *float64
}

// CustomFieldFilters encodes as filter[custom_fields_values][<field_id>]…,
// keyed by field id, which go-querystring's tags cannot express.
type CustomFieldFilters []CustomFieldFilter

// EncodeValues implements go-querystring's Encoder.
func (fs CustomFieldFilters) EncodeValues(key string, v *url.Values) error {
	for _, f := range fs {
		if f.FieldID <= 0 {
			return &ArgumentError{Arg: "filter.custom_fields_values", Reason: "needs a positive field id"}
		}
		k := key + "[" + strconv.Itoa(f.FieldID) + "]"
		for _, val := range f.Values {
			v.Add(k+"[]", val)
		}
		if f.From != nil {
			v.Set(k+"[from]", strconv.FormatFloat(*f.From, 'f', -1, 64))
		}
		if f.To != nil {
			v.Set(k+"[to]", strconv.FormatFloat(*f.To, 'f', -1, 64))
		}
	}
	return nil
}
