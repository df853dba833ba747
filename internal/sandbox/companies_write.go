package sandbox

import (
	"encoding/json"
	"net/http"
)

// Company writes: POST /api/v4/companies, PATCH /api/v4/companies (an
// array, or one object with its id) and PATCH /api/v4/companies/{id}. They
// take name, responsible_user_id, created_by, updated_by, created_at,
// updated_at, custom_fields_values, tags_to_add, tags_to_delete (PATCH) and
// _embedded.tags, and send add_company / update_company webhooks (under
// contacts[…] with [type]=company, as amoCRM does).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/companies-api

// companyInput is one validated company element.
type companyInput struct {
	id                           int
	name                         *string
	responsible                  *int
	createdBy, updatedBy         *int
	createdAt, updatedAt         *int64
	fields                       fieldsInput
	tagsAdd, tagsDelete, tagsSet []tagRef
	tagsSetGiven                 bool
}

// readCompany validates the fields of a company object into c's errors.
func readCompany(c *checker, st *store, o obj, patch bool) companyInput {
	var in companyInput
	in.name = c.str(o, "name", "name")
	in.responsible = c.userID(st, o, "responsible_user_id", false)
	in.createdBy = c.userID(st, o, "created_by", true)
	in.updatedBy = c.userID(st, o, "updated_by", true)
	in.createdAt = c.integer(o, "created_at", "created_at")
	in.updatedAt = c.integer(o, "updated_at", "updated_at")
	in.fields = c.fields(o, st.fields[entCompanies])
	in.tagsAdd, _ = c.tags(st, entCompanies, o, "tags_to_add", false)
	if patch {
		in.tagsDelete, _ = c.tags(st, entCompanies, o, "tags_to_delete", true)
	}
	in.tagsSet, in.tagsSetGiven = c.tagSet(st, entCompanies, o)
	return in
}

// newCompany stores an empty company with the next id. The caller holds
// the write lock.
func (st *store) newCompany(now int64) *company {
	co := &company{record: record{ID: st.nextCompanyID, ResponsibleUserID: DefaultUserID, GroupID: st.groupOf(DefaultUserID), CreatedBy: DefaultUserID, CreatedAt: now}}
	st.nextCompanyID++
	st.companies[co.ID] = co
	return co
}

// applyCompany writes in onto co. The caller holds the write lock.
func (st *store) applyCompany(co *company, in companyInput, now int64, create bool) {
	setIf(&co.Name, in.name)
	if in.responsible != nil {
		co.ResponsibleUserID, co.GroupID = *in.responsible, st.groupOf(*in.responsible)
	}
	setIf(&co.CreatedBy, in.createdBy)
	co.UpdatedBy = DefaultUserID
	if create {
		co.UpdatedBy = co.CreatedBy
	}
	setIf(&co.UpdatedBy, in.updatedBy)
	setIf(&co.CreatedAt, in.createdAt)
	co.UpdatedAt = now
	setIf(&co.UpdatedAt, in.updatedAt)
	co.Fields = mergeFields(co.Fields, in.fields.entries)
	co.TagIDs = st.applyTags(entCompanies, co.TagIDs, in.tagsSet, in.tagsSetGiven, in.tagsAdd, in.tagsDelete)
}

// parseCompany validates one element of a companies POST or PATCH.
func parseCompany(st *store, raw json.RawMessage, index int, patch bool, pathID int) (writeOp, []fieldError) {
	o := asObj(raw)
	if o == nil {
		return writeOp{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	op := writeOp{requestID: requestID(o, index)}
	id := 0
	if patch {
		id = c.updateID(o, pathID, func(id int) bool { return st.companies[id] != nil }, "Company")
	}
	in := readCompany(&c, st, o, patch)
	op.apply = func(now int64, base string, hooks *hookBatch) writtenJSON {
		co, action := st.companies[id], hookUpdate
		if !patch {
			co, action = st.newCompany(now), hookAdd
		}
		st.applyCompany(co, in, now, !patch)
		hooks.add(entCompanies, action, st.hookRecord(entCompanies, &co.record, "company"))
		j := written(base, entCompanies, co.ID, co.UpdatedAt, patch)
		if patch {
			name := co.Name
			j.Name = &name
		}
		return j
	}
	return op, c.errs
}

var companyWrites = writeRoute{plural: entCompanies, noun: "Company", parse: parseCompany,
	exists: func(st *store, id int) bool { return st.companies[id] != nil }}

// createCompanies serves POST /api/v4/companies.
func (s *Sandbox) createCompanies(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, companyWrites, writeCreate)
}

// updateCompanies serves PATCH /api/v4/companies.
func (s *Sandbox) updateCompanies(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, companyWrites, writeUpdate)
}

// updateCompany serves PATCH /api/v4/companies/{id}.
func (s *Sandbox) updateCompany(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, companyWrites, writeUpdateOne)
}
