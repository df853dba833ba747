package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
)

// CatalogsService reads the elements of catalogs (amoCRM "lists", e.g.
// products).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/catalogs-api
type CatalogsService service

// CatalogElement is an element of a catalog.
type CatalogElement struct {
	ID        int    `json:"id"`
	CatalogID int    `json:"catalog_id"`
	Name      string `json:"name"`
	CreatedBy int    `json:"created_by"`
	UpdatedBy int    `json:"updated_by"`
	CreatedAt int64  `json:"created_at"` // Unix seconds
	UpdatedAt int64  `json:"updated_at"` // Unix seconds
	IsDeleted bool   `json:"is_deleted"`
	// CurrencyID is nil when the element has no currency.
	CurrencyID *int `json:"currency_id"`
	// CustomFieldsValues is nil when upstream sends null (no values).
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values"`
	AccountID          int                 `json:"account_id"`
	Links              *Links              `json:"_links,omitempty"`
}

// CatalogElementLink is a catalog element embedded in a contact, lead,
// company or customer (with=catalog_elements).
type CatalogElementLink struct {
	ID       int                     `json:"id"`
	Metadata *CatalogElementMetadata `json:"metadata,omitempty"`
	// Quantity, CatalogID and PriceID are listed by the contacts doc beside
	// metadata as well; they are kept wherever they come.
	Quantity  *float64 `json:"quantity,omitempty"`
	CatalogID *int     `json:"catalog_id,omitempty"`
	PriceID   *int     `json:"price_id,omitempty"`
}

// CatalogElementMetadata describes how an element is attached to an entity.
// amoCRM documents the object only as "metadata" and shows no fixed list of
// keys, so every key it sends is kept: the known ones typed, the rest in
// Extra. json.Marshal of a CatalogElementMetadata gives the whole object back.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contact-detail
type CatalogElementMetadata struct {
	// Quantity may be fractional.
	Quantity  *float64 `json:"quantity,omitempty"`
	CatalogID int      `json:"catalog_id"`
	// PriceID is the price field used for the element in this entity.
	PriceID *int `json:"price_id,omitempty"`
	// Extra holds every other key of the object, its value verbatim; nil
	// when there are none.
	Extra map[string]json.RawMessage `json:"-"`
}

// metadataKeys are the keys CatalogElementMetadata reads into typed fields.
var metadataKeys = map[string]bool{"quantity": true, "catalog_id": true, "price_id": true}

// UnmarshalJSON reads the typed keys and keeps the others in Extra.
func (m *CatalogElementMetadata) UnmarshalJSON(data []byte) error {
	type typed CatalogElementMetadata // without this method
	var t typed
	if err := decodeJSON(data, &t); err != nil {
		return err
	}
	var all map[string]jsontext.Value
	if err := decodeJSON(data, &all); err != nil {
		return err
	}
	for k, v := range all {
		if metadataKeys[k] {
			continue
		}
		if t.Extra == nil {
			t.Extra = make(map[string]json.RawMessage, len(all))
		}
		t.Extra[k] = json.RawMessage(v.Clone())
	}
	*m = CatalogElementMetadata(t)
	return nil
}

// MarshalJSON writes the typed keys and Extra as one object; a typed key
// wins over the same key in Extra.
func (m CatalogElementMetadata) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m.Extra)+3)
	for k, v := range m.Extra {
		out[k] = v
	}
	if m.Quantity != nil {
		out["quantity"] = *m.Quantity
	}
	out["catalog_id"] = m.CatalogID
	if m.PriceID != nil {
		out["price_id"] = *m.PriceID
	}
	return json.Marshal(out)
}

// CatalogElementListOptions are the query parameters of
// CatalogsService.ListElements.
type CatalogElementListOptions struct {
	// With: "invoice_link", "supplier_field_values".
	With []string `url:"with,comma,omitempty"`
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit int `url:"limit,omitempty"`
	// Query searches the filled fields of elements.
	Query  string                `url:"query,omitempty"`
	Filter *CatalogElementFilter `url:"filter,omitempty"`
}

// CatalogElementFilter narrows a catalog element list.
type CatalogElementFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID IDs `url:"id,omitempty"`
}

func (o *CatalogElementListOptions) validate() error {
	if o == nil {
		return nil
	}
	return checkPaging(o.Page, o.Limit)
}

// ListElements returns a page of the elements of catalog catalogID. An empty
// page (204) returns an empty slice. Note that catalog pages have been seen
// without a next link although more elements exist.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/catalogs-api
//
// GET /api/v4/catalogs/{catalog_id}/elements
func (s *CatalogsService) ListElements(ctx context.Context, catalogID int, opts *CatalogElementListOptions) ([]*CatalogElement, *Response, error) {
	if err := checkID("catalogID", catalogID); err != nil {
		return nil, nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(fmt.Sprintf("api/v4/catalogs/%d/elements", catalogID), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body catalogElementList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Elements), resp, nil
}

// GetElement returns one element of catalog catalogID, or nil (and a nil
// error) when amoCRM answers 204.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/catalogs-api
//
// GET /api/v4/catalogs/{catalog_id}/elements/{id}
func (s *CatalogsService) GetElement(ctx context.Context, catalogID, id int, opts *GetOptions) (*CatalogElement, *Response, error) {
	if err := checkID("catalogID", catalogID); err != nil {
		return nil, nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(fmt.Sprintf("api/v4/catalogs/%d/elements/%d", catalogID, id), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var element *CatalogElement
	resp, err := s.client.Do(req, &element)
	if err != nil {
		return nil, resp, err
	}
	return element, resp, nil
}

// catalogElementList is the HAL collection of catalog elements; amoCRM's
// key is "elements" (as read by the official PHP library).
type catalogElementList struct {
	halPage
	Embedded struct {
		Elements []*CatalogElement `json:"elements"`
	} `json:"_embedded"`
}
