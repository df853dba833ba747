package amocrm

import (
	"context"
	"fmt"
	"net/http"
)

// CustomersService reads customers (repeat buyers). Accounts whose plan has
// no customers answer 402.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/customers-api
type CustomersService service

// Customer is an amoCRM customer.
type Customer struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// NextPrice is the expected purchase amount.
	NextPrice Money `json:"next_price"`
	// NextDate is the expected purchase date (Unix seconds).
	NextDate          *int64 `json:"next_date"`
	ResponsibleUserID int    `json:"responsible_user_id"`
	StatusID          int    `json:"status_id"`
	// Periodicity is the purchase period in days.
	Periodicity   int    `json:"periodicity"`
	CreatedBy     int    `json:"created_by"`
	UpdatedBy     int    `json:"updated_by"`
	CreatedAt     int64  `json:"created_at"` // Unix seconds
	UpdatedAt     int64  `json:"updated_at"` // Unix seconds
	ClosestTaskAt *int64 `json:"closest_task_at"`
	IsDeleted     bool   `json:"is_deleted"`
	// CustomFieldsValues is nil when upstream sends null (no values).
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values"`
	Ltv                Money               `json:"ltv"`
	PurchasesCount     int                 `json:"purchases_count"`
	AverageCheck       Money               `json:"average_check"`
	AccountID          int                 `json:"account_id"`
	Links              *Links              `json:"_links,omitempty"`
	Embedded           *CustomerEmbedded   `json:"_embedded,omitempty"`
}

// CustomerEmbedded holds a customer's related entities. A nil slice means
// upstream did not send the key; an empty non-nil slice means it sent [].
type CustomerEmbedded struct {
	Segments []EntityRef `json:"segments"`
	Tags     []Tag       `json:"tags"`
	// Contacts needs with=contacts; IsMain marks the main contact.
	Contacts []EntityRef `json:"contacts"`
	// Companies needs with=companies; at most one.
	Companies []EntityRef `json:"companies"`
	// CatalogElements needs with=catalog_elements.
	CatalogElements []CatalogElementLink `json:"catalog_elements"`
}

// CustomerListOptions are the query parameters of CustomersService.List.
type CustomerListOptions struct {
	// With: "contacts", "companies", "catalog_elements".
	With []string `url:"with,comma,omitempty"`
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit int `url:"limit,omitempty"`
	// Query searches the filled fields of customers.
	Query  string          `url:"query,omitempty"`
	Filter *CustomerFilter `url:"filter,omitempty"`
	// Order: UpdatedAt or ID, "asc" or "desc".
	Order *Order `url:"order,omitempty"`
}

// CustomerFilter narrows a customer list; slices match any of their values.
type CustomerFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID                IDs      `url:"id,omitempty"`
	Name              []string `url:"name,brackets,omitempty"`
	CreatedBy         []int    `url:"created_by,brackets,omitempty"`
	UpdatedBy         []int    `url:"updated_by,brackets,omitempty"`
	ResponsibleUserID []int    `url:"responsible_user_id,brackets,omitempty"`
	CreatedAt         *Range   `url:"created_at,omitempty"`
	UpdatedAt         *Range   `url:"updated_at,omitempty"`
	ClosestTaskAt     *Range   `url:"closest_task_at,omitempty"`
	NextDate          *Range   `url:"next_date,omitempty"`
	// CustomFieldsValues: filter[custom_fields_values][<field_id>][]=v, or
	// […][from]/[to] for numeric and date fields.
	CustomFieldsValues CustomFieldFilters `url:"custom_fields_values,omitempty"`
}

func (o *CustomerListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	return o.Order.validate()
}

// List returns a page of customers. An empty page (204) returns an empty
// slice and NextPage 0. It returns *ArgumentError for a limit above 250.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/customers-api
//
// GET /api/v4/customers
func (s *CustomersService) List(ctx context.Context, opts *CustomerListOptions) ([]*Customer, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/customers", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body customerList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Customers), resp, nil
}

// Get returns one customer, or nil (and a nil error) when amoCRM answers 204
// because the customer does not exist.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/customers-api
//
// GET /api/v4/customers/{id}
func (s *CustomersService) Get(ctx context.Context, id int, opts *GetOptions) (*Customer, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(fmt.Sprintf("api/v4/customers/%d", id), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var customer *Customer
	resp, err := s.client.Do(req, &customer)
	if err != nil {
		return nil, resp, err
	}
	return customer, resp, nil
}

type customerList struct {
	halPage
	Embedded struct {
		Customers []*Customer `json:"customers"`
	} `json:"_embedded"`
}
