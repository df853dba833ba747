package sandbox

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging limits of every v4 list.
const (
	defaultLimit = 50
	maxLimit     = 250
)

// listParams are the parsed common parameters of a list request.
type listParams struct {
	page, limit int
	with        map[string]bool
	query       string // lower-cased; "" means no search
	filter      *node  // the filter[...] tree; never nil
	orderField  string // "" means id
	orderDesc   bool
}

// parseList reads page, limit, with, query, filter and order. orderable
// lists the fields order[...] accepts for the entity.
func parseList(q url.Values, orderable ...string) (listParams, *apiError) {
	p := listParams{page: 1, limit: defaultLimit, with: parseWith(q), filter: parseFilter(q)}
	var err *apiError
	if p.page, err = intParam(q, "page", 1, 1, 0); err != nil {
		return p, err
	}
	if p.limit, err = intParam(q, "limit", defaultLimit, 1, maxLimit); err != nil {
		return p, err
	}
	p.query = strings.ToLower(strings.TrimSpace(q.Get("query")))
	if p.orderField, p.orderDesc, err = parseOrder(q, orderable); err != nil {
		return p, err
	}
	return p, nil
}

// intParam parses a positive integer query parameter; max 0 means no upper bound.
func intParam(q url.Values, name string, def, min, max int) (int, *apiError) {
	raw := strings.TrimSpace(q.Get(name))
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, invalidParam("InvalidType", name, name+" must be an integer")
	}
	if n < min || (max > 0 && n > max) {
		detail := name + " must be at least " + itoa(min)
		if max > 0 {
			detail = name + " must be between " + itoa(min) + " and " + itoa(max)
		}
		return 0, invalidParam("OutOfRange", name, detail)
	}
	return n, nil
}

// parseWith splits the comma-separated with parameter (repeated ones too).
// Unknown values are kept; handlers only look for the ones they support.
func parseWith(q url.Values) map[string]bool {
	with := map[string]bool{}
	for _, v := range q["with"] {
		for _, w := range strings.Split(v, ",") {
			if w = strings.TrimSpace(w); w != "" {
				with[w] = true
			}
		}
	}
	return with
}

// parseOrder reads order[<field>]=asc|desc. Upstream documents one field at
// a time; a second one is rejected rather than silently ignored
// (unconfirmed: upstream's behaviour with two is not documented).
func parseOrder(q url.Values, orderable []string) (string, bool, *apiError) {
	field, desc, seen := "", false, false
	for key, vals := range q {
		root, segs, ok := splitBrackets(key)
		if !ok || root != "order" {
			continue
		}
		if seen || len(segs) != 1 || len(vals) != 1 {
			return "", false, invalidParam("NotSupportedChoice", "order", "order takes exactly one field")
		}
		seen = true
		field = segs[0]
		if !slices.Contains(orderable, field) {
			return "", false, invalidParam("NotSupportedChoice", "order", "order field must be one of: "+strings.Join(orderable, ", "))
		}
		switch strings.ToLower(strings.TrimSpace(vals[0])) {
		case "asc":
		case "desc":
			desc = true
		default:
			return "", false, invalidParam("NotSupportedChoice", "order."+field, "order direction must be asc or desc")
		}
	}
	return field, desc, nil
}

// selectRows applies filters, the query search and the order to rows (which
// are ordered by id). texts lists what query searches in besides custom
// field values; key, when not nil, gives the order[...] field's value for
// fields orderKey does not know.
func selectRows[T row](rows []T, p listParams, preds []func(T) bool, texts func(T) []string, key func(string) func(T) int64) []T {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		if matchesAll(r, preds) && (p.query == "" || matchesQuery(r, p.query, texts)) {
			out = append(out, r)
		}
	}
	if (p.orderField != "" && p.orderField != "id") || p.orderDesc {
		byRecord := orderKey(p.orderField)
		get := func(t T) int64 { return byRecord(t.base()) }
		if key != nil {
			if k := key(p.orderField); k != nil {
				get = k
			}
		}
		slices.SortStableFunc(out, func(a, b T) int {
			// Ties are broken by id in the same direction, so paging is stable.
			c := cmp.Or(cmp.Compare(get(a), get(b)), cmp.Compare(a.base().ID, b.base().ID))
			if p.orderDesc {
				return -c
			}
			return c
		})
	}
	return out
}

func orderKey(field string) func(*record) int64 {
	switch field {
	case "updated_at":
		return func(r *record) int64 { return r.UpdatedAt }
	case "created_at":
		return func(r *record) int64 { return r.CreatedAt }
	}
	return func(r *record) int64 { return int64(r.ID) }
}

func matchesAll[T any](t T, preds []func(T) bool) bool {
	for _, p := range preds {
		if !p(t) {
			return false
		}
	}
	return true
}

// matchesQuery is the full-text search: a case-insensitive substring of the
// entity's texts or any of its custom field values.
func matchesQuery[T row](t T, q string, texts func(T) []string) bool {
	r := t.base()
	candidates := []string{r.Name}
	if texts != nil {
		candidates = append(candidates, texts(t)...)
	}
	for _, e := range r.Fields {
		for _, v := range e.Values {
			candidates = append(candidates, valueText(v.Value))
		}
	}
	for _, c := range candidates {
		if strings.Contains(strings.ToLower(c), q) {
			return true
		}
	}
	return false
}

// paginate cuts one page out of rows; more reports whether rows continue.
func paginate[T any](rows []T, p listParams) ([]T, bool) {
	if p.page-1 > len(rows)/p.limit {
		return nil, false
	}
	start := (p.page - 1) * p.limit
	if start >= len(rows) {
		return nil, false
	}
	end := min(start+p.limit, len(rows))
	return rows[start:end], end < len(rows)
}

// listPage is the HAL envelope of a list page.
type listPage struct {
	Page     int            `json:"_page"`
	Links    pageLinks      `json:"_links"`
	Embedded map[string]any `json:"_embedded"`
}

type pageLinks struct {
	Self href  `json:"self"`
	Next *href `json:"next,omitempty"`
	Prev *href `json:"prev,omitempty"`
}

// writePage answers one non-empty page of a list. next follows the
// WithAlwaysNext quirk; prev is given on every page after the first.
func (s *Sandbox) writePage(w http.ResponseWriter, r *http.Request, plural string, items any, p listParams, more bool) {
	base := s.baseURL(r) + r.URL.Path
	page := listPage{
		Page:     p.page,
		Links:    pageLinks{Self: href{pageURL(base, r.URL.RawQuery, p.limit, p.page)}},
		Embedded: map[string]any{plural: items},
	}
	if more || s.cfg.alwaysNext {
		page.Links.Next = &href{pageURL(base, r.URL.RawQuery, p.limit, p.page+1)}
	}
	if p.page > 1 {
		page.Links.Prev = &href{pageURL(base, r.URL.RawQuery, p.limit, p.page-1)}
	}
	writeHAL(w, page)
}

// pageURL is the list URL for another page: the request's other parameters
// as they were sent, then limit and page.
func pageURL(base, rawQuery string, limit, page int) string {
	var parts []string
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil && (uk == "page" || uk == "limit") {
			continue
		}
		parts = append(parts, part)
	}
	parts = append(parts, "limit="+itoa(limit), "page="+itoa(page))
	return base + "?" + strings.Join(parts, "&")
}

func itoa(n int) string { return strconv.Itoa(n) }

// atoi parses s, returning 0 for anything that is not an integer.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func equalFoldTrim(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// pathID parses the {name} path value; ok is false when it is not an integer
// (upstream answers 404 to such paths, as no route matches them).
func pathID(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil
}

// listSpec describes how one entity type is listed and got.
type listSpec[T row] struct {
	plural string                                                      // key under _embedded
	order  []string                                                    // fields order[...] accepts
	rows   func(st *store, r *http.Request) (map[int]T, *apiError)     // the entity's table
	preds  func(f *node) ([]func(T) bool, *apiError)                   // filter[...] compiled
	texts  func(T) []string                                            // extra texts query searches
	key    func(field string) func(T) int64                            // order fields beyond id/created_at/updated_at; nil: none
	noun   string                                                      // "" for entities (missing id: 204); else a missing id is a 404 "<noun> not found"
	render func(st *store, t T, with map[string]bool, base string) any // JSON of one entity
}

// serveList answers a list request: filter, search, order, one page; 204
// when the page is empty.
func serveList[T row](s *Sandbox, w http.ResponseWriter, r *http.Request, spec listSpec[T]) {
	p, aerr := parseList(r.URL.Query(), spec.order...)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	preds, aerr := spec.preds(p.filter)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	st := s.store
	st.mu.RLock()
	table, aerr := spec.rows(st, r)
	var items []any
	var more bool
	if aerr == nil {
		var page []T
		page, more = paginate(selectRows(sortedByID(table), p, preds, spec.texts, spec.key), p)
		items = make([]any, len(page))
		for i, t := range page {
			items[i] = spec.render(st, t, p.with, base)
		}
	}
	st.mu.RUnlock()
	switch {
	case aerr != nil:
		writeAPIError(w, aerr)
	case len(items) == 0:
		writeNoContent(w)
	default:
		s.writePage(w, r, spec.plural, items, p, more)
	}
}

// serveGet answers a get-by-id: 404 for a non-numeric id (no upstream route
// matches it), 204 for a missing entity, 404 for a missing task or note
// (spec.noun).
func serveGet[T row](s *Sandbox, w http.ResponseWriter, r *http.Request, spec listSpec[T]) {
	id, ok := pathID(r, "id")
	if !ok {
		writeProblem(w, http.StatusNotFound, "Not found: "+r.URL.Path)
		return
	}
	base := s.baseURL(r)
	st := s.store
	st.mu.RLock()
	table, aerr := spec.rows(st, r)
	var out any
	if aerr == nil {
		if t, found := table[id]; found {
			out = spec.render(st, t, parseWith(r.URL.Query()), base)
		}
	}
	st.mu.RUnlock()
	switch {
	case aerr != nil:
		writeAPIError(w, aerr)
	case out == nil && spec.noun != "":
		writeProblem(w, http.StatusNotFound, spec.noun+" not found")
	case out == nil:
		writeNoContent(w)
	default:
		writeHAL(w, out)
	}
}
