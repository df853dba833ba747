package sandbox

import (
	"net/http"
	"slices"
	"strings"
)

// tagsHandler serves GET /api/v4/{entity_type}/tags for one entity type:
// the type's own tag dictionary (the same name has different ids in
// different dictionaries), filtered by filter[id], filter[name] (exact) and
// query (substring of the name), paged like every list.
func (s *Sandbox) tagsHandler(entity string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, aerr := parseList(r.URL.Query(), "id")
		if aerr != nil {
			writeAPIError(w, aerr)
			return
		}
		ids, aerr := filterInts(p.filter, "id")
		if aerr != nil {
			writeAPIError(w, aerr)
			return
		}
		names := p.filter.kid("name").all()
		st := s.store
		st.mu.RLock()
		var matched []tagJSON
		for _, t := range sortedTags(st.tags[entity]) {
			if (ids == nil || slices.Contains(ids, t.ID)) &&
				(len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return equalFoldTrim(n, t.Name) })) &&
				(p.query == "" || strings.Contains(strings.ToLower(t.Name), p.query)) {
				matched = append(matched, renderTag(t))
			}
		}
		st.mu.RUnlock()
		if p.orderDesc {
			slices.Reverse(matched)
		}
		page, more := paginate(matched, p)
		if len(page) == 0 {
			writeNoContent(w)
			return
		}
		s.writePage(w, r, "tags", page, p, more)
	}
}

// fieldsPage is the answer of GET /api/v4/{entity}/custom_fields. Unlike
// entity lists it knows its size; _total_items and _page_count there are
// unconfirmed upstream.
type fieldsPage struct {
	TotalItems int                    `json:"_total_items"`
	Page       int                    `json:"_page"`
	PageCount  int                    `json:"_page_count"`
	Links      pageLinks              `json:"_links"`
	Embedded   map[string][]fieldJSON `json:"_embedded"`
}

// customFieldsHandler serves GET /api/v4/{entity}/custom_fields: the
// registry ordered by sort, 50 per page by default.
func (s *Sandbox) customFieldsHandler(entity string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, aerr := parseList(r.URL.Query(), "id", "sort")
		if aerr != nil {
			writeAPIError(w, aerr)
			return
		}
		fields := sortFields(s.store.fields[entity].list) // the registry is never written
		if p.orderField == "id" {
			slices.SortFunc(fields, func(a, b *customField) int { return a.ID - b.ID })
		}
		if p.orderDesc {
			slices.Reverse(fields)
		}
		page, more := paginate(fields, p)
		if len(page) == 0 {
			writeNoContent(w)
			return
		}
		base := s.baseURL(r)
		out := make([]fieldJSON, len(page))
		for i, f := range page {
			out[i] = renderFieldDef(f, entity, base)
		}
		self := base + r.URL.Path
		answer := fieldsPage{
			TotalItems: len(fields), Page: p.page, PageCount: (len(fields) + p.limit - 1) / p.limit,
			Links:    pageLinks{Self: href{pageURL(self, r.URL.RawQuery, p.limit, p.page)}},
			Embedded: map[string][]fieldJSON{"custom_fields": out},
		}
		if more {
			answer.Links.Next = &href{pageURL(self, r.URL.RawQuery, p.limit, p.page+1)}
		}
		if p.page > 1 {
			answer.Links.Prev = &href{pageURL(self, r.URL.RawQuery, p.limit, p.page-1)}
		}
		writeHAL(w, answer)
	}
}
