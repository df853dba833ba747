package gateway

import (
	"testing"
)

// Lead writes answer with full leads and per-item userErrors, like contacts:
// a create lands in the stage asked for, an update moves it (142 closes it
// as won), amoCRM's validation codes come back with the input path, and a
// complex add links a new contact and company to its lead.
func TestLeads_Writes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var c struct {
		CreateLeads struct {
			Leads      []lead
			UserErrors []struct {
				Code, Message string
				Field         []string
				Index         *int
				RequestID     *string
			}
		}
	}
	g.data(`mutation { createLeads(input: [
		{name: "Board deal", price: 12345, pipelineId: 5000001, responsibleUserId: 504142, tags: [{name: "hot"}], requestId: "a"},
		{name: "Second", statusId: 142, pipelineId: 5000002}]) {
		leads { id name price pipelineId statusId responsibleUserId tags { name } status { name } }
		userErrors { code message field index requestId } } }`, nil, &c)
	ls := c.CreateLeads.Leads
	if len(c.CreateLeads.UserErrors) != 0 || len(ls) != 2 {
		t.Fatalf("createLeads = %+v", c.CreateLeads)
	}
	if ls[0].Name != "Board deal" || ls[0].Price != 12345 || ls[0].PipelineID != "5000001" || ls[0].ResponsibleUserID != "504142" ||
		len(ls[0].Tags) != 1 || ls[0].Tags[0].Name != "hot" || ls[0].Status == nil || ls[0].Status.Name == "" {
		t.Errorf("created lead = %+v", ls[0])
	}
	if ls[1].StatusID != "142" || ls[1].PipelineID != "5000002" {
		t.Errorf("created won lead = %+v", ls[1])
	}

	// A status move, and a batch one of whose items amoCRM refuses.
	var u struct {
		UpdateLeads struct {
			Leads      []lead
			UserErrors []struct {
				Code      string
				Field     []string
				Index     *int
				RequestID *string
			}
		}
	}
	g.sb.ResetCalls()
	g.data(`mutation($id: ID!) { updateLeads(input: [{id: $id, statusId: 142, price: 500}]) {
		leads { id price statusId closedAt } userErrors { code field index requestId } } }`, map[string]any{"id": ls[0].ID}, &u)
	if len(u.UpdateLeads.UserErrors) != 0 || len(u.UpdateLeads.Leads) != 1 {
		t.Fatalf("updateLeads = %+v", u.UpdateLeads)
	}
	if m := u.UpdateLeads.Leads[0]; m.StatusID != "142" || m.Price != 500 || m.ClosedAt == nil {
		t.Errorf("moved lead = %+v", m)
	}
	g.wantCalls(t, map[string]int{"PATCH /api/v4/leads": 1, routeLeads: 1}, 2)

	u.UpdateLeads.UserErrors = nil
	g.data(`mutation($id: ID!) { updateLeads(input: [{id: $id, name: "ok"}, {id: $id, statusId: 999999}]) {
		leads { id } userErrors { code field index requestId } } }`, map[string]any{"id": ls[0].ID}, &u)
	ue := u.UpdateLeads.UserErrors
	if len(ue) != 1 || ue[0].Code != "NotSupportedChoice" || ue[0].Index == nil || *ue[0].Index != 1 ||
		len(ue[0].Field) != 3 || ue[0].Field[0] != "input" || ue[0].Field[1] != "1" || ue[0].Field[2] != "statusId" {
		t.Errorf("userErrors = %+v, want NotSupportedChoice at input.1.statusId", ue)
	}
	if len(u.UpdateLeads.Leads) != 0 {
		t.Errorf("a refused batch wrote %+v", u.UpdateLeads.Leads)
	}

	// Refused before any call: an empty batch, an item naming no tag.
	g.sb.ResetCalls()
	for _, q := range []string{
		`mutation { createLeads(input: []) { leads { id } userErrors { code field } } }`,
		`mutation { createLeads(input: [{name: "x", tags: [{}]}]) { leads { id } userErrors { code field } } }`,
	} {
		r := g.do(q, nil)
		if len(r.Errors) != 0 || !contains(string(r.Data), `"code":"`) {
			t.Errorf("%s: %s %+v", q, r.Data, r.Errors)
		}
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("refused writes made %d calls", n)
	}

	// Only ids selected: the write's answer is the payload, no read back.
	g.sb.ResetCalls()
	var ids struct{ CreateLeads struct{ Leads []lead } }
	g.data(`mutation { createLeads(input: [{name: "ids only"}]) { leads { id } } }`, nil, &ids)
	if len(ids.CreateLeads.Leads) != 1 || ids.CreateLeads.Leads[0].ID == "" {
		t.Errorf("ids only = %+v", ids)
	}
	g.wantCalls(t, map[string]int{"POST /api/v4/leads": 1}, 1)

	// The complex add: a lead with its new contact and company.
	var cx struct {
		CreateLeadsComplex struct {
			Leads      []lead
			UserErrors []struct{ Code string }
		}
	}
	g.data(`mutation { createLeadsComplex(input: [{lead: {name: "Complex", price: 700}, contact: {name: "New Person"}, company: {name: "New Co"}}]) {
		leads { id name price contacts { name } companies { name } } userErrors { code } } }`, nil, &cx)
	if len(cx.CreateLeadsComplex.UserErrors) != 0 || len(cx.CreateLeadsComplex.Leads) != 1 {
		t.Fatalf("createLeadsComplex = %+v", cx.CreateLeadsComplex)
	}
	if x := cx.CreateLeadsComplex.Leads[0]; x.Name != "Complex" || len(x.Contacts) != 1 || x.Contacts[0].Name != "New Person" ||
		len(x.Companies) != 1 || x.Companies[0].Name != "New Co" {
		t.Errorf("complex lead = %+v", x)
	}
}

// Company writes: created and updated companies come back in full; an
// unknown id is amoCRM's NotFound on its item.
func TestCompanies_Writes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var c struct {
		CreateCompanies struct {
			Companies  []company
			UserErrors []struct{ Code string }
		}
	}
	g.data(`mutation { createCompanies(input: [{name: "Acme", responsibleUserId: 504143, tags: [{name: "partner"}]}]) {
		companies { id name responsibleUserId tags { name } responsibleUser { name } } userErrors { code } } }`, nil, &c)
	if len(c.CreateCompanies.UserErrors) != 0 || len(c.CreateCompanies.Companies) != 1 {
		t.Fatalf("createCompanies = %+v", c.CreateCompanies)
	}
	co := c.CreateCompanies.Companies[0]
	if co.Name != "Acme" || co.ResponsibleUserID != "504143" || len(co.Tags) != 1 || co.ResponsibleUser == nil {
		t.Errorf("created company = %+v", co)
	}
	var u struct {
		UpdateCompanies struct {
			Companies  []company
			UserErrors []struct {
				Code  string
				Index *int
			}
		}
	}
	g.data(`mutation($id: ID!) { updateCompanies(input: [{id: $id, name: "Acme Ltd", tags: []}]) {
		companies { id name tags { name } } userErrors { code index } } }`, map[string]any{"id": co.ID}, &u)
	if len(u.UpdateCompanies.UserErrors) != 0 || len(u.UpdateCompanies.Companies) != 1 ||
		u.UpdateCompanies.Companies[0].Name != "Acme Ltd" || len(u.UpdateCompanies.Companies[0].Tags) != 0 {
		t.Errorf("updateCompanies = %+v", u.UpdateCompanies)
	}
	g.data(`mutation { updateCompanies(input: [{id: 987654321, name: "x"}]) { companies { id } userErrors { code index } } }`, nil, &u)
	if ue := u.UpdateCompanies.UserErrors; len(ue) != 1 || ue[0].Code != "NotFound" {
		t.Errorf("unknown id: userErrors = %+v", ue)
	}
}
