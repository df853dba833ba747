package amocrm

import (
	"context"
	"fmt"
	"net/http"
)

// TagsService reads the tag dictionaries. Each entity type has its own
// dictionary: the same name has different ids for leads and contacts.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tags-api
type TagsService service

// Tag is a tag attached to an entity or listed in a dictionary.
type Tag struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Color is a hex color without "#" (e.g. "FFCE5A"); only lead tags have
	// one, nil otherwise.
	Color *string `json:"color"`
}

// TagRef names a tag to attach or detach in a write body: by ID or by Name
// (an unknown name creates the tag).
type TagRef struct {
	ID   int    `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// TagListOptions are the query parameters of TagsService.List.
type TagListOptions struct {
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50.
	Limit int `url:"limit,omitempty"`
	// Query searches tag names.
	Query  string     `url:"query,omitempty"`
	Filter *TagFilter `url:"filter,omitempty"`
}

// TagFilter narrows a tag list.
type TagFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID IDs `url:"id,omitempty"`
	// Name is an exact match, one value: filter[name]=x.
	Name string `url:"name,omitempty"`
}

func (o *TagListOptions) validate() error {
	if o == nil {
		return nil
	}
	return checkPaging(o.Page, o.Limit)
}

// tagEntityTypes are the entity types that have a tag dictionary.
var tagEntityTypes = map[string]bool{"leads": true, "contacts": true, "companies": true, "customers": true}

// List returns the tags of entityType: "leads", "contacts", "companies" or
// "customers" (anything else is an *ArgumentError). An empty page (204)
// returns an empty slice.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tags-api
//
// GET /api/v4/{entity_type}/tags
func (s *TagsService) List(ctx context.Context, entityType string, opts *TagListOptions) ([]*Tag, *Response, error) {
	if !tagEntityTypes[entityType] {
		return nil, nil, &ArgumentError{Arg: "entityType", Reason: fmt.Sprintf("must be leads, contacts, companies or customers, got %q", entityType)}
	}
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/"+entityType+"/tags", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body tagList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Tags), resp, nil
}

type tagList struct {
	halPage
	Embedded struct {
		Tags []*Tag `json:"tags"`
	} `json:"_embedded"`
}
