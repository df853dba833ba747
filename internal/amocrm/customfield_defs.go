package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// CustomFieldsService reads the custom field definitions of an entity type:
// what a form needs to show and validate a field, and the options of
// select-like fields.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/custom-fields
type CustomFieldsService service

// CustomField is the definition of a custom field. Some keys come only for
// some entity types, as noted.
type CustomField struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Code identifies the field in writes instead of its id, e.g. "PHONE";
	// "" when the field has none (upstream null).
	Code string `json:"code,omitempty"`
	Sort int    `json:"sort"`
	// Type is e.g. "text", "numeric", "select", "multiselect", "multitext",
	// "date", "checkbox".
	Type string `json:"type"`
	// EntityType is leads, contacts, companies, customers, segments or
	// catalogs.
	EntityType string `json:"entity_type"`
	AccountID  int    `json:"account_id"`
	// IsAPIOnly fields are hidden in amoCRM's interface.
	IsAPIOnly bool `json:"is_api_only"`
	// GroupID is the field group (a tab of the card), nil for the main one.
	GroupID *string `json:"group_id"`
	// Enums are the options of select, multiselect, radiobutton, multitext
	// and similar fields, nil for other types.
	Enums []CustomFieldEnum `json:"enums"`
	// RequiredStatuses are the lead stages in which the field must be
	// filled.
	RequiredStatuses []RequiredStatus `json:"required_statuses"`
	// IsComputed comes for lead fields only.
	IsComputed *bool `json:"is_computed,omitempty"`
	// IsPredefined and IsDeletable come for contact and company fields.
	IsPredefined *bool `json:"is_predefined,omitempty"`
	IsDeletable  *bool `json:"is_deletable,omitempty"`
	// IsVisible and IsRequired come for catalog fields.
	IsVisible  *bool `json:"is_visible,omitempty"`
	IsRequired *bool `json:"is_required,omitempty"`
	// Remind is set for birthday fields: never, day, week or month.
	Remind *string `json:"remind"`
	// Currency is set for monetary fields (an ISO 4217 code).
	Currency *string `json:"currency,omitempty"`
	// Settings, Nested, HiddenStatuses and ChainedLists are type-specific and
	// kept verbatim.
	Settings       json.RawMessage `json:"settings,omitempty"`
	Nested         json.RawMessage `json:"nested,omitempty"`
	HiddenStatuses json.RawMessage `json:"hidden_statuses,omitempty"`
	ChainedLists   json.RawMessage `json:"chained_lists,omitempty"`
	Links          *Links          `json:"_links,omitempty"`
}

// CustomFieldEnum is one option of a select-like field.
type CustomFieldEnum struct {
	ID    int    `json:"id"`
	Value string `json:"value"`
	Sort  int    `json:"sort"`
	// Code is sent for some fields (e.g. the "WORK" of a phone), nil
	// otherwise.
	Code *string `json:"code,omitempty"`
}

// RequiredStatus is a lead stage in which a field must be filled.
type RequiredStatus struct {
	PipelineID int `json:"pipeline_id"`
	StatusID   int `json:"status_id"`
}

// CustomFieldListOptions are the query parameters of CustomFieldsService.List.
type CustomFieldListOptions struct {
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250; amoCRM documents up to 50 fields per answer.
	Limit  int                    `url:"limit,omitempty"`
	Filter *CustomFieldListFilter `url:"filter,omitempty"`
	Order  *CustomFieldOrder      `url:"order,omitempty"`
}

// CustomFieldListFilter narrows a list of field definitions.
type CustomFieldListFilter struct {
	// Type: filter[type][]=select&filter[type][]=multiselect.
	Type []string `url:"type,brackets,omitempty"`
}

// CustomFieldOrder sorts field definitions: one of Sort or ID, "asc" or
// "desc".
type CustomFieldOrder struct {
	Sort string `url:"sort,omitempty"`
	ID   string `url:"id,omitempty"`
}

func (o *CustomFieldListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	if o.Order == nil {
		return nil
	}
	return checkOrder([2]string{"sort", o.Order.Sort}, [2]string{"id", o.Order.ID})
}

// customFieldEntityTypes are the entity types with custom fields, as path
// segments.
var customFieldEntityTypes = []string{"leads", "contacts", "companies", "customers", "customers/segments"}

// List returns a page of the custom field definitions of entityType:
// "leads", "contacts", "companies", "customers" or "customers/segments"
// (anything else is an *ArgumentError). An empty page (204) returns an
// empty slice.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/custom-fields
//
// GET /api/v4/{entity_type}/custom_fields
func (s *CustomFieldsService) List(ctx context.Context, entityType string, opts *CustomFieldListOptions) ([]*CustomField, *Response, error) {
	if err := checkEntityType("entityType", entityType, customFieldEntityTypes...); err != nil {
		return nil, nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/"+entityType+"/custom_fields", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body customFieldList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.CustomFields), resp, nil
}

// Get returns one field definition of entityType. amoCRM answers a field
// that does not exist with 404 (an *ErrorResponse); a 204 returns nil and a
// nil error.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/custom-fields
//
// GET /api/v4/{entity_type}/custom_fields/{id}
func (s *CustomFieldsService) Get(ctx context.Context, entityType string, id int) (*CustomField, *Response, error) {
	if err := checkEntityType("entityType", entityType, customFieldEntityTypes...); err != nil {
		return nil, nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, fmt.Sprintf("api/v4/%s/custom_fields/%d", entityType, id), nil)
	if err != nil {
		return nil, nil, err
	}
	var f *CustomField
	resp, err := s.client.Do(req, &f)
	if err != nil {
		return nil, resp, err
	}
	return f, resp, nil
}

type customFieldList struct {
	halPage
	Embedded struct {
		CustomFields []*CustomField `json:"custom_fields"`
	} `json:"_embedded"`
}
