package sandbox

import "net/http"

// contactJSON is a contact as GET /api/v4/contacts renders it, fields in
// the documentation's order.
type contactJSON struct {
	ID                 int             `json:"id"`
	Name               string          `json:"name"`
	FirstName          string          `json:"first_name"`
	LastName           string          `json:"last_name"`
	ResponsibleUserID  int             `json:"responsible_user_id"`
	GroupID            int             `json:"group_id"`
	CreatedBy          int             `json:"created_by"`
	UpdatedBy          int             `json:"updated_by"`
	CreatedAt          int64           `json:"created_at"`
	UpdatedAt          int64           `json:"updated_at"`
	IsDeleted          bool            `json:"is_deleted"`
	ClosestTaskAt      *int64          `json:"closest_task_at"`
	CustomFieldsValues []cfJSON        `json:"custom_fields_values"`
	AccountID          int             `json:"account_id"`
	Links              selfLinks       `json:"_links"`
	Embedded           contactEmbedded `json:"_embedded"`
}

// contactEmbedded: tags and companies are always present; leads, customers
// and catalog_elements only when with= asks for them.
type contactEmbedded struct {
	Tags            []tagJSON        `json:"tags"`
	Leads           []refJSON        `json:"leads,omitzero"`
	Customers       []refJSON        `json:"customers,omitzero"`
	CatalogElements []elementRefJSON `json:"catalog_elements,omitzero"`
	Companies       []refJSON        `json:"companies"`
}

// renderContact renders c; the caller holds a read lock.
func (st *store) renderContact(c *contact, with map[string]bool, base string) contactJSON {
	return contactJSON{
		ID: c.ID, Name: c.Name, FirstName: c.FirstName, LastName: c.LastName,
		ResponsibleUserID: c.ResponsibleUserID, GroupID: c.GroupID, CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, IsDeleted: c.IsDeleted, ClosestTaskAt: c.ClosestTaskAt,
		CustomFieldsValues: renderFields(st.fields[entContacts], c.Fields),
		AccountID:          AccountID,
		Links:              selfLink(base + "/api/v4/contacts/" + itoa(c.ID)),
		Embedded: contactEmbedded{
			Tags:            st.renderTags(entContacts, c.TagIDs),
			Leads:           when(with["leads"], refs(base, entLeads, c.LeadIDs)),
			Customers:       when(with["customers"], refs(base, entCustomers, c.CustomerIDs)),
			CatalogElements: when(with["catalog_elements"], elementRefs(c.Elements)),
			Companies:       companyRefs(base, c.CompanyID),
		},
	}
}

// contactSpec is how contacts are listed and got.
var contactSpec = listSpec[*contact]{
	plural: entContacts,
	order:  []string{"id", "updated_at"},
	rows:   func(st *store, _ *http.Request) (map[int]*contact, *apiError) { return st.contacts, nil },
	preds:  commonPreds[*contact],
	texts:  func(c *contact) []string { return []string{c.FirstName, c.LastName} },
	render: func(st *store, c *contact, with map[string]bool, base string) any {
		return st.renderContact(c, with, base)
	},
}

// listContacts serves GET /api/v4/contacts.
func (s *Sandbox) listContacts(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, contactSpec)
}

// getContact serves GET /api/v4/contacts/{id}: 204 when it does not exist.
func (s *Sandbox) getContact(w http.ResponseWriter, r *http.Request) {
	serveGet(s, w, r, contactSpec)
}
