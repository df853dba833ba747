package sandbox

import (
	"net/http"
	"slices"
	"strconv"
)

// elementJSON is a catalog (list) element, https://www.amocrm.ru/developers/content/crm_platform/catalogs-api.
type elementJSON struct {
	ID                 int       `json:"id"`
	CatalogID          int       `json:"catalog_id"`
	Name               string    `json:"name"`
	CreatedBy          int       `json:"created_by"`
	UpdatedBy          int       `json:"updated_by"`
	CreatedAt          int64     `json:"created_at"`
	UpdatedAt          int64     `json:"updated_at"`
	IsDeleted          bool      `json:"is_deleted"`
	CustomFieldsValues []cfJSON  `json:"custom_fields_values"`
	AccountID          int       `json:"account_id"`
	Links              selfLinks `json:"_links"`
}

func (st *store) renderElement(e *element, base string) elementJSON {
	var fields []cfJSON
	if c := st.catalogs[e.CatalogID]; c != nil {
		fields = renderFields(c.Fields, e.Fields)
	}
	return elementJSON{
		ID: e.ID, CatalogID: e.CatalogID, Name: e.Name, CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, IsDeleted: e.IsDeleted,
		CustomFieldsValues: fields, AccountID: AccountID,
		Links: selfLink(base + "/api/v4/catalogs/" + itoa(e.CatalogID) + "/elements/" + itoa(e.ID)),
	}
}

// catalogElements returns the elements of the request's {catalog_id}. An
// unknown catalog is a 404 problem+json (upstream's answer is unconfirmed;
// sub-resources that do not exist answer 404 elsewhere in v4). A top-level
// id / id[] parameter restricts the elements too: the PHP library sends
// its catalog element filter that way (https://www.amocrm.ru/developers/content/crm_platform/catalogs-api).
func catalogElements(st *store, r *http.Request) (map[int]*element, *apiError) {
	id, err := strconv.Atoi(r.PathValue("catalog_id"))
	if err != nil || st.catalogs[id] == nil {
		return nil, &apiError{status: http.StatusNotFound, detail: "Catalog not found"}
	}
	var ids []int
	for _, v := range topLevelValues(r.URL.Query(), "id") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, invalidParam(codeInvalidType, "id", "id must hold integers")
		}
		ids = append(ids, n)
	}
	out := map[int]*element{}
	for _, e := range st.elements {
		if e.CatalogID == id && (ids == nil || slices.Contains(ids, e.ID)) {
			out[e.ID] = e
		}
	}
	return out, nil
}

// elementSpec is how catalog elements are listed and got.
var elementSpec = listSpec[*element]{
	plural: "elements",
	order:  []string{"id", "updated_at"},
	rows:   catalogElements,
	preds:  commonPreds[*element],
	render: func(st *store, e *element, _ map[string]bool, base string) any {
		return st.renderElement(e, base)
	},
}

// listElements serves GET /api/v4/catalogs/{catalog_id}/elements.
func (s *Sandbox) listElements(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, elementSpec)
}

// getElement serves GET /api/v4/catalogs/{catalog_id}/elements/{id}.
func (s *Sandbox) getElement(w http.ResponseWriter, r *http.Request) {
	serveGet(s, w, r, elementSpec)
}
