package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
)

// leadJSON is a lead as https://www.amocrm.ru/developers/content/crm_platform/leads-api describes it, fields in the
// documentation's order.
type leadJSON struct {
	ID                     int          `json:"id"`
	Name                   string       `json:"name"`
	Price                  int          `json:"price"`
	ResponsibleUserID      int          `json:"responsible_user_id"`
	GroupID                int          `json:"group_id"`
	StatusID               int          `json:"status_id"`
	PipelineID             int          `json:"pipeline_id"`
	LossReasonID           *int         `json:"loss_reason_id"`
	SourceID               *nullInt     `json:"source_id,omitempty"`
	CreatedBy              int          `json:"created_by"`
	UpdatedBy              int          `json:"updated_by"`
	CreatedAt              int64        `json:"created_at"`
	UpdatedAt              int64        `json:"updated_at"`
	ClosedAt               *int64       `json:"closed_at"`
	ClosestTaskAt          *int64       `json:"closest_task_at"`
	IsDeleted              bool         `json:"is_deleted"`
	CustomFieldsValues     []cfJSON     `json:"custom_fields_values"`
	Score                  *int         `json:"score"`
	AccountID              int          `json:"account_id"`
	IsPriceModifiedByRobot *bool        `json:"is_price_modified_by_robot,omitempty"`
	Links                  selfLinks    `json:"_links"`
	Embedded               leadEmbedded `json:"_embedded"`
}

// leadEmbedded: tags and companies always; contacts, catalog_elements and
// loss_reason (of a lost lead) only with with=.
type leadEmbedded struct {
	Tags            []tagJSON        `json:"tags"`
	Companies       []refJSON        `json:"companies"`
	Contacts        []mainRefJSON    `json:"contacts,omitzero"`
	CatalogElements []elementRefJSON `json:"catalog_elements,omitzero"`
	LossReason      []lossReasonJSON `json:"loss_reason,omitzero"`
}

// nullInt renders an int that may be null; a nil *nullInt omits the key.
type nullInt struct{ v *int }

func (n nullInt) MarshalJSON() ([]byte, error) { return json.Marshal(n.v) }

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func (st *store) renderLead(l *lead, with map[string]bool, base string) leadJSON {
	j := leadJSON{
		ID: l.ID, Name: l.Name, Price: l.Price, ResponsibleUserID: l.ResponsibleUserID, GroupID: l.GroupID,
		StatusID: l.StatusID, PipelineID: l.PipelineID, LossReasonID: optInt(l.LossReasonID),
		CreatedBy: l.CreatedBy, UpdatedBy: l.UpdatedBy, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
		ClosedAt: l.ClosedAt, ClosestTaskAt: l.ClosestTaskAt, IsDeleted: l.IsDeleted,
		CustomFieldsValues: renderFields(st.fields[entLeads], l.Fields),
		AccountID:          AccountID,
		Links:              selfLink(base + "/api/v4/leads/" + itoa(l.ID)),
		Embedded: leadEmbedded{
			Tags:            st.renderTags(entLeads, l.TagIDs),
			Companies:       companyRefs(base, l.CompanyID),
			Contacts:        when(with["contacts"], contactRefs(base, l.Contacts)),
			CatalogElements: when(with["catalog_elements"], elementRefs(l.Elements)),
		},
	}
	if with["loss_reason"] {
		j.Embedded.LossReason = lossReasonRefs(base, l.LossReasonID) // nil leaves the key out
	}
	if with["source_id"] {
		j.SourceID = &nullInt{optInt(l.SourceID)}
	}
	if with["is_price_modified_by_robot"] {
		no := false
		j.IsPriceModifiedByRobot = &no
	}
	return j
}

// leadPreds adds the lead-only filters to the common ones: pipeline_id,
// statuses (pipeline/status pairs), price and closed_at ranges.
func leadPreds(f *node) ([]func(*lead) bool, *apiError) {
	preds, aerr := commonPreds[*lead](f)
	if aerr != nil {
		return nil, aerr
	}
	pipelines, aerr := filterInts(f, "pipeline_id")
	if aerr != nil {
		return nil, aerr
	}
	if pipelines != nil {
		preds = append(preds, func(l *lead) bool { return slices.Contains(pipelines, l.PipelineID) })
	}
	price, aerr := rangePred(f, "price", func(l *lead) *int64 { v := int64(l.Price); return &v })
	if aerr != nil {
		return nil, aerr
	}
	closed, aerr := rangePred(f, "closed_at", func(l *lead) *int64 { return l.ClosedAt })
	if aerr != nil {
		return nil, aerr
	}
	for _, p := range []func(*lead) bool{price, closed} {
		if p != nil {
			preds = append(preds, p)
		}
	}
	if sp := statusPred(f.kid("statuses")); sp != nil {
		preds = append(preds, sp)
	}
	return preds, nil
}

// statusPred compiles filter[statuses][i][pipeline_id|status_id]: a lead
// matches when it is in any of the pairs (a pair without status_id means the
// whole pipeline).
func statusPred(n *node) func(*lead) bool {
	if n == nil {
		return nil
	}
	type pair struct{ pipeline, status int }
	var pairs []pair
	for key, kid := range n.kids {
		if !isIndex(key) {
			continue
		}
		p := pair{pipeline: atoi(first(kid.kid("pipeline_id").all())), status: atoi(first(kid.kid("status_id").all()))}
		if p.pipeline != 0 || p.status != 0 {
			pairs = append(pairs, p)
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return func(l *lead) bool {
		return slices.ContainsFunc(pairs, func(p pair) bool {
			return (p.pipeline == 0 || p.pipeline == l.PipelineID) && (p.status == 0 || p.status == l.StatusID)
		})
	}
}

func first(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

// leadSpec is how leads are listed and got.
var leadSpec = listSpec[*lead]{
	plural: entLeads,
	order:  []string{"id", "created_at", "updated_at"},
	rows:   func(st *store, _ *http.Request) (map[int]*lead, *apiError) { return st.leads, nil },
	preds:  leadPreds,
	render: func(st *store, l *lead, with map[string]bool, base string) any {
		return st.renderLead(l, with, base)
	},
}

// listLeads serves GET /api/v4/leads.
func (s *Sandbox) listLeads(w http.ResponseWriter, r *http.Request) { serveList(s, w, r, leadSpec) }

// getLead serves GET /api/v4/leads/{id}.
func (s *Sandbox) getLead(w http.ResponseWriter, r *http.Request) { serveGet(s, w, r, leadSpec) }
