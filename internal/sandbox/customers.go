package sandbox

import "net/http"

// customerJSON is a customer as the customers page documents it.
type customerJSON struct {
	ID                 int              `json:"id"`
	Name               string           `json:"name"`
	NextPrice          int              `json:"next_price"`
	NextDate           int64            `json:"next_date"`
	ResponsibleUserID  int              `json:"responsible_user_id"`
	StatusID           int              `json:"status_id"`
	Periodicity        int              `json:"periodicity"`
	CreatedBy          int              `json:"created_by"`
	UpdatedBy          int              `json:"updated_by"`
	CreatedAt          int64            `json:"created_at"`
	UpdatedAt          int64            `json:"updated_at"`
	ClosestTaskAt      *int64           `json:"closest_task_at"`
	IsDeleted          bool             `json:"is_deleted"`
	CustomFieldsValues []cfJSON         `json:"custom_fields_values"`
	LTV                int              `json:"ltv"`
	PurchasesCount     int              `json:"purchases_count"`
	AverageCheck       int              `json:"average_check"`
	AccountID          int              `json:"account_id"`
	Links              selfLinks        `json:"_links"`
	Embedded           customerEmbedded `json:"_embedded"`
}

// customerEmbedded: segments and tags always; the rest only with with=.
type customerEmbedded struct {
	Segments        []idJSON         `json:"segments"`
	Tags            []tagJSON        `json:"tags"`
	Contacts        []mainRefJSON    `json:"contacts,omitzero"`
	Companies       []refJSON        `json:"companies,omitzero"`
	CatalogElements []elementRefJSON `json:"catalog_elements,omitzero"`
}

type idJSON struct {
	ID int `json:"id"`
}

func (st *store) renderCustomer(c *customer, with map[string]bool, base string) customerJSON {
	segments := make([]idJSON, 0, len(c.SegmentIDs))
	for _, id := range c.SegmentIDs {
		segments = append(segments, idJSON{id})
	}
	return customerJSON{
		ID: c.ID, Name: c.Name, NextPrice: c.NextPrice, NextDate: c.NextDate,
		ResponsibleUserID: c.ResponsibleUserID, StatusID: c.StatusID, Periodicity: c.Periodicity,
		CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		ClosestTaskAt: c.ClosestTaskAt, IsDeleted: c.IsDeleted,
		CustomFieldsValues: renderFields(st.fields[entCustomers], c.Fields),
		LTV:                c.LTV, PurchasesCount: c.PurchasesCount, AverageCheck: c.AverageCheck,
		AccountID: AccountID,
		Links:     selfLink(base + "/api/v4/customers/" + itoa(c.ID)),
		Embedded: customerEmbedded{
			Segments:        segments,
			Tags:            st.renderTags(entCustomers, c.TagIDs),
			Contacts:        when(with["contacts"], contactRefs(base, c.Contacts)),
			Companies:       when(with["companies"], companyRefs(base, c.CompanyID)),
			CatalogElements: when(with["catalog_elements"], elementRefs(c.Elements)),
		},
	}
}

// customerPreds adds the next_date range to the common filters.
func customerPreds(f *node) ([]func(*customer) bool, *apiError) {
	preds, aerr := commonPreds[*customer](f)
	if aerr != nil {
		return nil, aerr
	}
	next, aerr := rangePred(f, "next_date", func(c *customer) *int64 { return &c.NextDate })
	if aerr != nil {
		return nil, aerr
	}
	if next != nil {
		preds = append(preds, next)
	}
	return preds, nil
}

// customerSpec is how customers are listed and got. Upstream documents no
// order for customers; id and updated_at are accepted like for contacts.
var customerSpec = listSpec[*customer]{
	plural: entCustomers,
	order:  []string{"id", "updated_at"},
	rows:   func(st *store, _ *http.Request) (map[int]*customer, *apiError) { return st.customers, nil },
	preds:  customerPreds,
	render: func(st *store, c *customer, with map[string]bool, base string) any {
		return st.renderCustomer(c, with, base)
	},
}

// listCustomers serves GET /api/v4/customers.
func (s *Sandbox) listCustomers(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, customerSpec)
}

// getCustomer serves GET /api/v4/customers/{id}.
func (s *Sandbox) getCustomer(w http.ResponseWriter, r *http.Request) {
	serveGet(s, w, r, customerSpec)
}
