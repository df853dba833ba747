package sandbox

import "net/http"

// companyJSON is a company as the companies page documents it.
type companyJSON struct {
	ID                 int             `json:"id"`
	Name               string          `json:"name"`
	ResponsibleUserID  int             `json:"responsible_user_id"`
	GroupID            int             `json:"group_id"`
	CreatedBy          int             `json:"created_by"`
	UpdatedBy          int             `json:"updated_by"`
	CreatedAt          int64           `json:"created_at"`
	UpdatedAt          int64           `json:"updated_at"`
	ClosestTaskAt      *int64          `json:"closest_task_at"`
	CustomFieldsValues []cfJSON        `json:"custom_fields_values"`
	IsDeleted          bool            `json:"is_deleted"`
	AccountID          int             `json:"account_id"`
	Links              selfLinks       `json:"_links"`
	Embedded           companyEmbedded `json:"_embedded"`
}

// companyEmbedded: tags always; the rest only with with=.
type companyEmbedded struct {
	Tags            []tagJSON        `json:"tags"`
	Contacts        []refJSON        `json:"contacts,omitzero"`
	Customers       []refJSON        `json:"customers,omitzero"`
	Leads           []refJSON        `json:"leads,omitzero"`
	CatalogElements []elementRefJSON `json:"catalog_elements,omitzero"`
}

func (st *store) renderCompany(c *company, with map[string]bool, base string) companyJSON {
	return companyJSON{
		ID: c.ID, Name: c.Name, ResponsibleUserID: c.ResponsibleUserID, GroupID: c.GroupID,
		CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		ClosestTaskAt:      c.ClosestTaskAt,
		CustomFieldsValues: renderFields(st.fields[entCompanies], c.Fields),
		IsDeleted:          c.IsDeleted, AccountID: AccountID,
		Links: selfLink(base + "/api/v4/companies/" + itoa(c.ID)),
		Embedded: companyEmbedded{
			Tags:            st.renderTags(entCompanies, c.TagIDs),
			Contacts:        when(with["contacts"], refs(base, entContacts, c.ContactIDs)),
			Customers:       when(with["customers"], refs(base, entCustomers, c.CustomerIDs)),
			Leads:           when(with["leads"], refs(base, entLeads, c.LeadIDs)),
			CatalogElements: when(with["catalog_elements"], elementRefs(c.Elements)),
		},
	}
}

// companySpec is how companies are listed and got.
var companySpec = listSpec[*company]{
	plural: entCompanies,
	order:  []string{"id", "updated_at"},
	rows:   func(st *store, _ *http.Request) (map[int]*company, *apiError) { return st.companies, nil },
	preds:  commonPreds[*company],
	render: func(st *store, c *company, with map[string]bool, base string) any {
		return st.renderCompany(c, with, base)
	},
}

// listCompanies serves GET /api/v4/companies.
func (s *Sandbox) listCompanies(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, companySpec)
}

// getCompany serves GET /api/v4/companies/{id}.
func (s *Sandbox) getCompany(w http.ResponseWriter, r *http.Request) { serveGet(s, w, r, companySpec) }
