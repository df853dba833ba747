package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
)

// LeadsService reads and writes leads (deals).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
type LeadsService service

// Lead is an amoCRM lead (deal).
type Lead struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Price is the lead's budget. A fractional number from upstream is
	// rounded to the nearest integer.
	Price             Money `json:"price"`
	ResponsibleUserID int   `json:"responsible_user_id"`
	GroupID           int   `json:"group_id"`
	// StatusID is the pipeline stage; 142 is won, 143 is lost in every
	// pipeline.
	StatusID     int  `json:"status_id"`
	PipelineID   int  `json:"pipeline_id"`
	LossReasonID *int `json:"loss_reason_id"`
	// SourceID needs with=source_id.
	SourceID      *int   `json:"source_id"`
	CreatedBy     int    `json:"created_by"`
	UpdatedBy     int    `json:"updated_by"`
	CreatedAt     int64  `json:"created_at"` // Unix seconds
	UpdatedAt     int64  `json:"updated_at"` // Unix seconds
	ClosedAt      *int64 `json:"closed_at"`
	ClosestTaskAt *int64 `json:"closest_task_at"`
	IsDeleted     bool   `json:"is_deleted"`
	// CustomFieldsValues is nil when upstream sends null (no values).
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values"`
	Score              *int                `json:"score"`
	AccountID          int                 `json:"account_id"`
	// IsPriceModifiedByRobot needs with=is_price_modified_by_robot.
	IsPriceModifiedByRobot *bool `json:"is_price_modified_by_robot,omitempty"`
	// RequestID is only set in create answers: the request_id sent, or the
	// element's index in the batch.
	RequestID string        `json:"request_id,omitempty"`
	Links     *Links        `json:"_links,omitempty"`
	Embedded  *LeadEmbedded `json:"_embedded,omitempty"`
}

// Money is an amount amoCRM sends as an integer, though some accounts send
// a fractional number or a numeric string; those are rounded. Decoding it in
// the field, not in a whole-object UnmarshalJSON, keeps entity decoding in a
// single pass.
type Money int

// UnmarshalJSON accepts a number, a numeric string or null.
func (m *Money) UnmarshalJSON(raw []byte) error {
	v, err := intOf(raw)
	if err != nil {
		return fmt.Errorf("amount %w", err)
	}
	*m = Money(v)
	return nil
}

// intOf converts a JSON number, or a string holding one, to int, rounding
// fractions; null or absent is 0.
func intOf(raw json.RawMessage) (int, error) {
	s := string(raw)
	if s == "" || s == "null" {
		return 0, nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	if i, err := strconv.Atoi(s); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is not a number", raw)
	}
	if f = math.Round(f); f > math.MaxInt || f < math.MinInt {
		return 0, fmt.Errorf("%s overflows int", raw)
	}
	return int(f), nil
}

// LeadEmbedded holds a lead's related entities. A nil slice means upstream
// did not send the key; an empty non-nil slice means it sent [].
type LeadEmbedded struct {
	Tags []Tag `json:"tags"`
	// Companies holds at most one company.
	Companies []EntityRef `json:"companies"`
	// Contacts needs with=contacts; IsMain marks the main contact.
	Contacts []EntityRef `json:"contacts"`
	// CatalogElements needs with=catalog_elements.
	CatalogElements []CatalogElementLink `json:"catalog_elements"`
	// LossReason needs with=loss_reason; it holds at most one reason.
	LossReason []LossReason `json:"loss_reason"`
}

// LossReason is why a lead was lost.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
type LossReason struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Sort      int    `json:"sort"`
	CreatedAt int64  `json:"created_at"` // Unix seconds
	UpdatedAt int64  `json:"updated_at"` // Unix seconds
	Links     *Links `json:"_links,omitempty"`
}

// LeadListOptions are the query parameters of LeadsService.List.
type LeadListOptions struct {
	// With: "contacts", "catalog_elements", "is_price_modified_by_robot",
	// "loss_reason", "only_deleted", "source_id".
	With []string `url:"with,comma,omitempty"`
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit int `url:"limit,omitempty"`
	// Query searches the filled fields of leads.
	Query  string      `url:"query,omitempty"`
	Filter *LeadFilter `url:"filter,omitempty"`
	// Order: CreatedAt, UpdatedAt or ID, "asc" or "desc".
	Order *Order `url:"order,omitempty"`
}

// LeadFilter narrows a lead list; slices match any of their values.
type LeadFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID   IDs      `url:"id,omitempty"`
	Name []string `url:"name,brackets,omitempty"`
	// Price: filter[price][from]=…&filter[price][to]=….
	Price *Range `url:"price,omitempty"`
	// Statuses: filter[statuses][0][pipeline_id]=…&filter[statuses][0][status_id]=….
	Statuses          LeadStatuses `url:"statuses,omitempty"`
	PipelineID        []int        `url:"pipeline_id,brackets,omitempty"`
	CreatedBy         []int        `url:"created_by,brackets,omitempty"`
	UpdatedBy         []int        `url:"updated_by,brackets,omitempty"`
	ResponsibleUserID []int        `url:"responsible_user_id,brackets,omitempty"`
	CreatedAt         *Range       `url:"created_at,omitempty"`
	UpdatedAt         *Range       `url:"updated_at,omitempty"`
	ClosedAt          *Range       `url:"closed_at,omitempty"`
	ClosestTaskAt     *Range       `url:"closest_task_at,omitempty"`
	// CustomFieldsValues: filter[custom_fields_values][<field_id>][]=v, or
	// […][from]/[to] for numeric and date fields.
	CustomFieldsValues CustomFieldFilters `url:"custom_fields_values,omitempty"`
}

// LeadStatus is a pipeline stage to filter leads by.
type LeadStatus struct {
	PipelineID int
	// StatusID 0 leaves the stage out (the whole pipeline).
	StatusID int
}

// LeadStatuses encodes as filter[statuses][i][pipeline_id] and
// filter[statuses][i][status_id].
type LeadStatuses []LeadStatus

// EncodeValues implements query.Encoder.
func (s LeadStatuses) EncodeValues(key string, v *url.Values) error {
	for i, st := range s {
		prefix := fmt.Sprintf("%s[%d]", key, i)
		v.Add(prefix+"[pipeline_id]", strconv.Itoa(st.PipelineID))
		if st.StatusID != 0 {
			v.Add(prefix+"[status_id]", strconv.Itoa(st.StatusID))
		}
	}
	return nil
}

func (o *LeadListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	return o.Order.validate()
}

// List returns a page of leads. An empty page (204) returns an empty slice
// and NextPage 0. It returns *ArgumentError for a limit above 250.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
//
// GET /api/v4/leads
func (s *LeadsService) List(ctx context.Context, opts *LeadListOptions) ([]*Lead, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/leads", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body leadList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Leads), resp, nil
}

// Get returns one lead, or nil (and a nil error) when amoCRM answers 204
// because the lead does not exist.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
//
// GET /api/v4/leads/{id}
func (s *LeadsService) Get(ctx context.Context, id int, opts *GetOptions) (*Lead, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(fmt.Sprintf("api/v4/leads/%d", id), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var lead *Lead
	resp, err := s.client.Do(req, &lead)
	if err != nil {
		return nil, resp, err
	}
	return lead, resp, nil
}

type leadList struct {
	halPage
	Embedded struct {
		Leads []*Lead `json:"leads"`
	} `json:"_embedded"`
}
