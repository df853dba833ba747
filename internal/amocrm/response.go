package amocrm

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Response is an amoCRM answer with the facts of its HAL envelope, so that
// callers never parse URLs themselves.
type Response struct {
	*http.Response

	// Page is the list's _page, 0 if absent (and on 204).
	Page int
	// NextPage is the page number in _links.next.href, 0 if there is no next
	// link (and on 204). amoCRM emits a next link on some lists even on the
	// last page; the page after it then answers 204 and an empty list.
	NextPage int
	// RequestID is the X-Request-Id response header, for support tickets.
	RequestID string
	// TotalItems is _total_items where the collection has it (contact
	// chats); entity lists carry no totals.
	TotalItems int
}

func newResponse(r *http.Response) *Response {
	return &Response{Response: r, RequestID: r.Header.Get("X-Request-Id")}
}

func (r *Response) populatePageValues(h *halPage) {
	r.Page = h.Page
	r.TotalItems = h.TotalItems
	if h.Links != nil && h.Links.Next != nil {
		r.NextPage = pageOf(h.Links.Next.Href)
	}
}

// pageOf returns the page query parameter of href, 0 if it has none. It
// scans the query rather than parsing the URL: a next link repeats every
// filter value of the request, up to 250 ids.
func pageOf(href string) int {
	_, q, _ := strings.Cut(href, "?")
	q, _, _ = strings.Cut(q, "#")
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if v, ok := strings.CutPrefix(kv, "page="); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0
			}
			return n
		}
	}
	return 0
}

// halPage is the part of a HAL collection envelope that Do copies into
// Response. Each list body embeds it beside its own _embedded.
type halPage struct {
	Page       int        `json:"_page"`
	TotalItems int        `json:"_total_items"`
	Links      *pageLinks `json:"_links"`
}

// pageLinks is the _links of a collection. It is its own type so that
// SkipLinks, which skips every *Links, never drops the next link.
type pageLinks struct {
	Self *Link `json:"self,omitempty"`
	Next *Link `json:"next,omitempty"`
	Prev *Link `json:"prev,omitempty"`
}

func (h *halPage) hal() *halPage { return h }

// paged is implemented by every list body (through its embedded halPage).
type paged interface{ hal() *halPage }

// Links are the HAL _links of an entity or a collection.
type Links struct {
	Self *Link `json:"self,omitempty"`
	Next *Link `json:"next,omitempty"`
	Prev *Link `json:"prev,omitempty"`
}

// Link is one HAL link.
type Link struct {
	Href string `json:"href"`
}

// EntityRef is a related entity in _embedded: a lead, contact, company,
// customer or segment reduced to its id.
type EntityRef struct {
	ID int `json:"id"`
	// IsMain marks the main contact of a lead or customer; nil when not sent.
	IsMain *bool  `json:"is_main,omitempty"`
	Links  *Links `json:"_links,omitempty"`
}

// nonNil turns the nil slice of an empty answer into an empty one, and
// drops null items: every caller dereferences what a list holds.
func nonNil[T any](s []*T) []*T {
	if s == nil {
		return []*T{}
	}
	return slices.DeleteFunc(s, func(v *T) bool { return v == nil })
}
