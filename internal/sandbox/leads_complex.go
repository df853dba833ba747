package sandbox

import (
	"encoding/json"
	"net/http"
)

// POST /api/v4/leads/complex adds leads each with at most one new contact
// (_embedded.contacts[0], a contact object as POST /api/v4/contacts takes
// it) and one new company (_embedded.companies[0]), linked to each other,
// at most 50 leads per request. The answer is a bare JSON array of
// {id, contact_id, company_id, request_id: [..], merged}; merged is always
// false, as the sandbox has no duplicate control. It sends add_lead,
// add_contact and add_company webhooks.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
// (Kommo: https://developers.kommo.com/reference/complex-leads)

// maxComplex is the documented limit of leads per complex request.
const maxComplex = 50

type complexJSON struct {
	ID        int      `json:"id"`
	ContactID *int     `json:"contact_id"`
	CompanyID *int     `json:"company_id"`
	RequestID []string `json:"request_id"`
	Merged    bool     `json:"merged"`
}

// complexInput is one validated element of a complex add.
type complexInput struct {
	requestID string
	lead      leadInput
	contact   *contactInput
	company   *companyInput
}

// embeddedOne reads _embedded.<key>: nil when absent, else its only
// element (more than one is an error).
func embeddedOne(c *checker, o obj, key string) (json.RawMessage, bool) {
	raw := asObj(o["_embedded"])[key]
	if kind(raw) == 'z' {
		return nil, false
	}
	var items []json.RawMessage
	path := "_embedded." + key
	switch {
	case kind(raw) != 'a' || json.Unmarshal(raw, &items) != nil:
		c.fail(codeInvalidType, path, "This value should be of type array.")
	case len(items) > 1:
		c.fail(codeInvalidType, path, "A complex lead takes at most one element here.")
	case len(items) == 1:
		return items[0], true
	}
	return nil, false
}

func parseComplex(st *store, raw json.RawMessage, index int) (complexInput, []fieldError) {
	o := asObj(raw)
	if o == nil {
		return complexInput{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	in := complexInput{requestID: requestID(o, index)}
	in.lead = readLead(&c, st, o, nil, false)
	if raw, ok := embeddedOne(&c, o, "contacts"); ok {
		ci, errs := parseContact(st, raw, 0, false, 0)
		c.errs = append(c.errs, prefixed("_embedded.contacts.0", errs)...)
		in.contact = &ci
	}
	if raw, ok := embeddedOne(&c, o, "companies"); ok {
		if co := asObj(raw); co == nil {
			c.fail(codeInvalidType, "_embedded.companies.0", "This value should be of type object.")
		} else {
			var cc checker
			ci := readCompany(&cc, st, co, false)
			c.errs = append(c.errs, prefixed("_embedded.companies.0", cc.errs)...)
			in.company = &ci
		}
	}
	return in, c.errs
}

// createComplex serves POST /api/v4/leads/complex.
func (s *Sandbox) createComplex(w http.ResponseWriter, r *http.Request) {
	items, aerr := readBatch(w, r)
	if aerr == nil && len(items) > maxComplex {
		aerr = &apiError{status: http.StatusBadRequest, detail: "too many leads in one request (max " + itoa(maxComplex) + ")"}
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	now := s.cfg.now().Unix()
	st := s.store
	st.mu.Lock()
	inputs := make([]complexInput, len(items))
	var errs []elementErrors
	for i, raw := range items {
		in, ferrs := parseComplex(st, raw, i)
		inputs[i] = in
		if len(ferrs) > 0 {
			errs = append(errs, elementErrors{RequestID: in.requestID, Errors: ferrs})
		}
	}
	var out []complexJSON
	if errs == nil {
		hooks := &hookBatch{}
		for _, in := range inputs {
			l := st.newLead(now)
			j := complexJSON{ID: l.ID, RequestID: []string{in.requestID}}
			var ct *contact
			var co *company
			if in.company != nil {
				co = st.newCompany(now)
				st.applyCompany(co, *in.company, now, true)
				j.CompanyID = &co.ID
				in.lead.companyID = co.ID
			}
			if in.contact != nil {
				ct = &contact{record: record{ID: st.nextContactID, ResponsibleUserID: DefaultUserID, GroupID: st.groupOf(DefaultUserID), CreatedBy: DefaultUserID, CreatedAt: now}}
				st.nextContactID++
				st.applyContact(ct, *in.contact, now, true)
				st.contacts[ct.ID] = ct
				j.ContactID = &ct.ID
				in.lead.contacts = []contactRef{{ID: ct.ID, IsMain: true}}
				if co != nil {
					ct.CompanyID = co.ID
					co.ContactIDs = appendUnique(co.ContactIDs, ct.ID)
				}
			}
			st.applyLead(l, in.lead, now, true, hooks)
			if ct != nil {
				hooks.add(entContacts, hookAdd, st.hookRecord(entContacts, &ct.record, "contact"))
			}
			if co != nil {
				hooks.add(entCompanies, hookAdd, st.hookRecord(entCompanies, &co.record, "company"))
			}
			out = append(out, j)
		}
		s.emitBatch(base, hooks)
	}
	st.mu.Unlock()
	if errs != nil {
		writeAPIError(w, badRequest(errs))
		return
	}
	writeHAL(w, out)
}
