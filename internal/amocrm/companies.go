package amocrm

import (
	"context"
	"fmt"
	"net/http"
)

// CompaniesService reads and writes companies.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/companies-api
type CompaniesService service

// Company is an amoCRM company.
type Company struct {
	ID                int    `json:"id"`
	Name              string `json:"name"`
	ResponsibleUserID int    `json:"responsible_user_id"`
	GroupID           int    `json:"group_id"`
	CreatedBy         int    `json:"created_by"`
	UpdatedBy         int    `json:"updated_by"`
	CreatedAt         int64  `json:"created_at"` // Unix seconds
	UpdatedAt         int64  `json:"updated_at"` // Unix seconds
	// ClosestTaskAt is nil when the company has no open task.
	ClosestTaskAt *int64 `json:"closest_task_at"`
	// CustomFieldsValues is nil when upstream sends null (no values).
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values"`
	IsDeleted          bool                `json:"is_deleted"`
	AccountID          int                 `json:"account_id"`
	// RequestID is only set in create answers: the request_id sent, or the
	// element's index in the batch.
	RequestID string           `json:"request_id,omitempty"`
	Links     *Links           `json:"_links,omitempty"`
	Embedded  *CompanyEmbedded `json:"_embedded,omitempty"`
}

// CompanyEmbedded holds a company's related entities. A nil slice means
// upstream did not send the key; an empty non-nil slice means it sent [].
type CompanyEmbedded struct {
	Tags []Tag `json:"tags"`
	// Contacts needs with=contacts.
	Contacts []EntityRef `json:"contacts"`
	// Leads needs with=leads.
	Leads []EntityRef `json:"leads"`
	// Customers needs with=customers.
	Customers []EntityRef `json:"customers"`
	// CatalogElements needs with=catalog_elements.
	CatalogElements []CatalogElementLink `json:"catalog_elements"`
}

// CompanyListOptions are the query parameters of CompaniesService.List.
type CompanyListOptions struct {
	// With: "contacts", "leads", "customers", "catalog_elements".
	With []string `url:"with,comma,omitempty"`
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit int `url:"limit,omitempty"`
	// Query searches the filled fields of companies.
	Query  string         `url:"query,omitempty"`
	Filter *CompanyFilter `url:"filter,omitempty"`
	// Order: UpdatedAt or ID, "asc" or "desc".
	Order *Order `url:"order,omitempty"`
}

// CompanyFilter narrows a company list; slices match any of their values.
type CompanyFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID                IDs      `url:"id,omitempty"`
	Name              []string `url:"name,brackets,omitempty"`
	CreatedBy         []int    `url:"created_by,brackets,omitempty"`
	UpdatedBy         []int    `url:"updated_by,brackets,omitempty"`
	ResponsibleUserID []int    `url:"responsible_user_id,brackets,omitempty"`
	CreatedAt         *Range   `url:"created_at,omitempty"`
	UpdatedAt         *Range   `url:"updated_at,omitempty"`
	ClosestTaskAt     *Range   `url:"closest_task_at,omitempty"`
	// CustomFieldsValues: filter[custom_fields_values][<field_id>][]=v, or
	// […][from]/[to] for numeric and date fields.
	CustomFieldsValues CustomFieldFilters `url:"custom_fields_values,omitempty"`
}

func (o *CompanyListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	return o.Order.validate()
}

// List returns a page of companies. An empty page (204) returns an empty
// slice and NextPage 0. It returns *ArgumentError for a limit above 250.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/companies-api
//
// GET /api/v4/companies
func (s *CompaniesService) List(ctx context.Context, opts *CompanyListOptions) ([]*Company, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/companies", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body companyList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Companies), resp, nil
}

// Get returns one company, or nil (and a nil error) when amoCRM answers 204
// because the company does not exist.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/companies-api
//
// GET /api/v4/companies/{id}
func (s *CompaniesService) Get(ctx context.Context, id int, opts *GetOptions) (*Company, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(fmt.Sprintf("api/v4/companies/%d", id), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var company *Company
	resp, err := s.client.Do(req, &company)
	if err != nil {
		return nil, resp, err
	}
	return company, resp, nil
}

type companyList struct {
	halPage
	Embedded struct {
		Companies []*Company `json:"companies"`
	} `json:"_embedded"`
}
