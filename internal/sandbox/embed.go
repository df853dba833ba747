package sandbox

// This file renders the pieces entities share: links to related entities,
// tags and catalog element links inside _embedded.

// refJSON is a related entity inside _embedded: its id and self link.
type refJSON struct {
	ID    int       `json:"id"`
	Links selfLinks `json:"_links"`
}

// mainRefJSON is a contact inside a lead's or customer's _embedded.
type mainRefJSON struct {
	ID     int       `json:"id"`
	IsMain bool      `json:"is_main"`
	Links  selfLinks `json:"_links"`
}

// elementRefJSON is a catalog element linked to an entity.
type elementRefJSON struct {
	ID       int         `json:"id"`
	Metadata elementMeta `json:"metadata"`
}

type elementMeta struct {
	Quantity  float64 `json:"quantity"`
	CatalogID int     `json:"catalog_id"`
	PriceID   *int    `json:"price_id"`
}

// tagJSON is a tag; color is null except on lead tags.
type tagJSON struct {
	ID    int     `json:"id"`
	Name  string  `json:"name"`
	Color *string `json:"color"`
}

// refs renders ids of entity type e as _embedded references; never nil, so
// an empty relation renders as [].
func refs(base, e string, ids []int) []refJSON {
	out := make([]refJSON, 0, len(ids))
	for _, id := range ids {
		out = append(out, refJSON{ID: id, Links: selfLink(base + "/api/v4/" + e + "/" + itoa(id))})
	}
	return out
}

// contactRefs renders the contacts of a lead or customer.
func contactRefs(base string, cs []contactRef) []mainRefJSON {
	out := make([]mainRefJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, mainRefJSON{ID: c.ID, IsMain: c.IsMain, Links: selfLink(base + "/api/v4/contacts/" + itoa(c.ID))})
	}
	return out
}

// companyRefs renders the (at most one) company of an entity.
func companyRefs(base string, id int) []refJSON {
	if id == 0 {
		return refs(base, entCompanies, nil)
	}
	return refs(base, entCompanies, []int{id})
}

// elementRefs renders catalog element links.
func elementRefs(links []elementLink) []elementRefJSON {
	out := make([]elementRefJSON, 0, len(links))
	for _, l := range links {
		m := elementMeta{Quantity: l.Quantity, CatalogID: l.CatalogID}
		if l.PriceID != 0 {
			price := l.PriceID
			m.PriceID = &price
		}
		out = append(out, elementRefJSON{ID: l.ElementID, Metadata: m})
	}
	return out
}

// renderTags renders tag ids of entity type e; tags deleted from the
// dictionary are skipped. The caller holds a lock.
func (st *store) renderTags(e string, ids []int) []tagJSON {
	out := make([]tagJSON, 0, len(ids))
	for _, id := range ids {
		if t := st.tags[e][id]; t != nil {
			out = append(out, renderTag(t))
		}
	}
	return out
}

func renderTag(t *tag) tagJSON {
	return tagJSON{ID: t.ID, Name: t.Name, Color: nullString(t.Color)}
}

// when returns v if the with parameter asked for it and nil otherwise;
// combined with omitzero, the key is then absent rather than [].
func when[T any](asked bool, v []T) []T {
	if !asked {
		return nil
	}
	if v == nil {
		return []T{}
	}
	return v
}
