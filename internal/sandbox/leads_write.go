package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
)

// Lead writes: POST /api/v4/leads, PATCH /api/v4/leads (an array, or one
// object with its id), PATCH /api/v4/leads/{id}. Besides the fields every
// entity has they take price, pipeline_id, status_id (a stage of that
// pipeline; a stage alone moves the lead to the stage's pipeline, a
// pipeline alone to its first stage), closed_at, loss_reason_id and, on
// create only, _embedded.contacts[{id,is_main}] and _embedded.companies[{id}].
// Moving into 142/143 closes the lead (closed_at = now unless given);
// moving out of them reopens it. Writes send add_lead / update_lead, and
// status_lead and responsible_lead when the stage or the responsible user
// changed, as amoCRM does.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api
// (webhooks: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format)

// leadInput is one validated lead element.
type leadInput struct {
	name                         *string
	price                        *int64
	pipelineID, statusID         int // resolved target; 0: unchanged
	lossReason                   *int64
	closedAt                     *int64
	responsible                  *int
	createdBy, updatedBy         *int
	createdAt, updatedAt         *int64
	fields                       fieldsInput
	tagsAdd, tagsDelete, tagsSet []tagRef
	tagsSetGiven                 bool
	contacts                     []contactRef
	companyID                    int
}

// readLead validates the fields of a lead object; cur is the lead a PATCH
// changes (nil on create). embedded reads _embedded.contacts/companies as
// links to existing entities (plain POST; complex creates them instead).
func readLead(c *checker, st *store, o obj, cur *lead, embedded bool) leadInput {
	var in leadInput
	in.name = c.str(o, "name", "name")
	if in.price = c.integer(o, "price", "price"); in.price != nil && *in.price < 0 {
		c.fail(codeInvalidType, "price", "This value should be 0 or more.")
	}
	in.pipelineID, in.statusID = c.stage(st, o, cur)
	if in.lossReason = c.integer(o, "loss_reason_id", "loss_reason_id"); in.lossReason != nil {
		if _, ok := lossReasons[int(*in.lossReason)]; !ok {
			c.fail(codeNotSupportedChoice, "loss_reason_id", "The value you selected is not a valid choice.")
		}
	}
	in.closedAt = c.integer(o, "closed_at", "closed_at")
	in.responsible = c.userID(st, o, "responsible_user_id", false)
	in.createdBy = c.userID(st, o, "created_by", true)
	in.updatedBy = c.userID(st, o, "updated_by", true)
	in.createdAt = c.integer(o, "created_at", "created_at")
	in.updatedAt = c.integer(o, "updated_at", "updated_at")
	in.fields = c.fields(o, st.fields[entLeads])
	in.tagsAdd, _ = c.tags(st, entLeads, o, "tags_to_add", false)
	if cur != nil {
		in.tagsDelete, _ = c.tags(st, entLeads, o, "tags_to_delete", true)
	}
	in.tagsSet, in.tagsSetGiven = c.tagSet(st, entLeads, o)
	if embedded && cur == nil {
		in.contacts, in.companyID = c.leadLinks(st, o)
	}
	return in
}

// stage resolves pipeline_id and status_id against the lead's current
// place (the main pipeline's first stage for a new lead); zeros when the
// element moves nothing.
func (c *checker) stage(st *store, o obj, cur *lead) (int, int) {
	pid, sid := c.integer(o, "pipeline_id", "pipeline_id"), c.integer(o, "status_id", "status_id")
	var target *pipeline
	switch {
	case pid != nil:
		if target = st.pipelineByID(int(*pid)); target == nil {
			c.fail(codeNotSupportedChoice, "pipeline_id", "The value you selected is not a valid choice.")
			return 0, 0
		}
	case sid != nil && !isClosedStatus(int(*sid)):
		if target = st.pipelineOfStatus(int(*sid)); target == nil {
			c.fail(codeNotSupportedChoice, "status_id", "The value you selected is not a valid choice.")
			return 0, 0
		}
	case cur != nil:
		target = st.pipelineByID(cur.PipelineID)
	default:
		target = st.mainPipeline()
	}
	switch {
	case sid != nil && !target.hasStatus(int(*sid)):
		c.fail(codeNotSupportedChoice, "status_id", "The value you selected is not a valid choice.")
		return 0, 0
	case sid != nil:
		return target.ID, int(*sid)
	case cur == nil || cur.PipelineID != target.ID:
		return target.ID, target.Statuses[0].ID
	}
	return 0, 0
}

// leadLinks reads _embedded.contacts[{id,is_main}] and
// _embedded.companies[{id}] of a new lead: they must exist.
func (c *checker) leadLinks(st *store, o obj) ([]contactRef, int) {
	emb := asObj(o["_embedded"])
	var refs []contactRef
	var items []json.RawMessage
	if raw := emb["contacts"]; kind(raw) == 'a' && json.Unmarshal(raw, &items) == nil {
		for i, item := range items {
			path := "_embedded.contacts." + itoa(i)
			co := asObj(item)
			id := c.integer(co, "id", path+".id")
			if co == nil || id == nil || st.contacts[int(*id)] == nil {
				c.fail(codeNotFound, path+".id", "Contact not found.")
				continue
			}
			main := c.boolean(co, "is_main", path+".is_main")
			refs = append(refs, contactRef{ID: int(*id), IsMain: main != nil && *main})
		}
	}
	if len(refs) > 0 && !slices.ContainsFunc(refs, func(r contactRef) bool { return r.IsMain }) {
		refs[0].IsMain = true
	}
	companyID := 0
	items = nil
	if raw := emb["companies"]; kind(raw) == 'a' && json.Unmarshal(raw, &items) == nil && len(items) > 0 {
		id := c.integer(asObj(items[0]), "id", "_embedded.companies.0.id")
		if id == nil || st.companies[int(*id)] == nil {
			c.fail(codeNotFound, "_embedded.companies.0.id", "Company not found.")
		} else {
			companyID = int(*id)
		}
	}
	return refs, companyID
}

// newLead stores an empty lead with the next id. The caller holds the
// write lock.
func (st *store) newLead(now int64) *lead {
	l := &lead{record: record{ID: st.nextLeadID, ResponsibleUserID: DefaultUserID, GroupID: st.groupOf(DefaultUserID), CreatedBy: DefaultUserID, CreatedAt: now}}
	st.nextLeadID++
	st.leads[l.ID] = l
	return l
}

// applyLead writes in onto l and queues its webhooks. The caller holds the
// write lock.
func (st *store) applyLead(l *lead, in leadInput, now int64, create bool, hooks *hookBatch) {
	oldStatus, oldPipeline, oldResp := l.StatusID, l.PipelineID, l.ResponsibleUserID
	setIf(&l.Name, in.name)
	if in.price != nil {
		l.Price = int(*in.price)
	}
	if in.statusID != 0 {
		l.PipelineID, l.StatusID = in.pipelineID, in.statusID
	}
	switch {
	case isClosedStatus(l.StatusID) && (l.ClosedAt == nil || l.StatusID != oldStatus):
		closed := now
		l.ClosedAt = &closed
	case !isClosedStatus(l.StatusID):
		l.ClosedAt, l.LossReasonID = nil, 0
	}
	if in.closedAt != nil {
		closed := *in.closedAt
		l.ClosedAt = &closed
	}
	if in.lossReason != nil && l.StatusID == StatusLost {
		l.LossReasonID = int(*in.lossReason)
	}
	if in.responsible != nil {
		l.ResponsibleUserID, l.GroupID = *in.responsible, st.groupOf(*in.responsible)
	}
	setIf(&l.CreatedBy, in.createdBy)
	l.UpdatedBy = DefaultUserID
	if create {
		l.UpdatedBy = l.CreatedBy
	}
	setIf(&l.UpdatedBy, in.updatedBy)
	setIf(&l.CreatedAt, in.createdAt)
	l.UpdatedAt = now
	setIf(&l.UpdatedAt, in.updatedAt)
	l.Fields = mergeFields(l.Fields, in.fields.entries)
	l.TagIDs = st.applyTags(entLeads, l.TagIDs, in.tagsSet, in.tagsSetGiven, in.tagsAdd, in.tagsDelete)
	for _, ref := range in.contacts {
		st.linkLeadContact(l, ref)
	}
	if in.companyID != 0 {
		st.linkLeadCompany(l, in.companyID)
	}

	item := st.leadHookItem(l)
	if create {
		hooks.add(entLeads, hookAdd, item)
		return
	}
	hooks.add(entLeads, hookUpdate, item)
	if l.StatusID != oldStatus || l.PipelineID != oldPipeline {
		hooks.add(entLeads, "status", append(slices.Clone(item),
			formPair{"[old_status_id]", itoa(oldStatus)}, formPair{"[old_pipeline_id]", itoa(oldPipeline)}))
	}
	if l.ResponsibleUserID != oldResp {
		hooks.add(entLeads, "responsible", append(slices.Clone(item), formPair{"[old_responsible_user_id]", itoa(oldResp)}))
	}
}

// linkLeadContact links contact ref to l both ways. The caller holds the
// write lock.
func (st *store) linkLeadContact(l *lead, ref contactRef) {
	if slices.ContainsFunc(l.Contacts, func(r contactRef) bool { return r.ID == ref.ID }) {
		return
	}
	l.Contacts = append(l.Contacts, ref)
	if c := st.contacts[ref.ID]; c != nil {
		c.LeadIDs = appendUnique(c.LeadIDs, l.ID)
	}
}

// linkLeadCompany makes id the company of l, both ways. The caller holds
// the write lock.
func (st *store) linkLeadCompany(l *lead, id int) {
	if old := st.companies[l.CompanyID]; old != nil {
		old.LeadIDs = slices.DeleteFunc(old.LeadIDs, func(x int) bool { return x == l.ID })
	}
	l.CompanyID = id
	if co := st.companies[id]; co != nil {
		co.LeadIDs = appendUnique(co.LeadIDs, l.ID)
	}
}

// leadHookItem is a lead in a webhook: the common fields, then the lead's
// own. The caller holds a lock.
func (st *store) leadHookItem(l *lead) []formPair {
	return append(st.hookRecord(entLeads, &l.record, ""),
		formPair{"[status_id]", itoa(l.StatusID)}, formPair{"[pipeline_id]", itoa(l.PipelineID)},
		formPair{"[price]", itoa(l.Price)})
}

// parseLead validates one element of a leads POST or PATCH.
func parseLead(st *store, raw json.RawMessage, index int, patch bool, pathID int) (writeOp, []fieldError) {
	o := asObj(raw)
	if o == nil {
		return writeOp{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	op := writeOp{requestID: requestID(o, index)}
	var cur *lead
	if patch {
		cur = st.leads[c.updateID(o, pathID, func(id int) bool { return st.leads[id] != nil }, "Lead")]
		if cur == nil {
			return op, c.errs
		}
	}
	in := readLead(&c, st, o, cur, true)
	op.apply = func(now int64, base string, hooks *hookBatch) writtenJSON {
		l := cur
		if l == nil {
			l = st.newLead(now)
		}
		st.applyLead(l, in, now, !patch, hooks)
		return written(base, entLeads, l.ID, l.UpdatedAt, patch)
	}
	return op, c.errs
}

var leadWrites = writeRoute{plural: entLeads, noun: "Lead", parse: parseLead,
	exists: func(st *store, id int) bool { return st.leads[id] != nil }}

// createLeads serves POST /api/v4/leads.
func (s *Sandbox) createLeads(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, leadWrites, writeCreate)
}

// updateLeads serves PATCH /api/v4/leads.
func (s *Sandbox) updateLeads(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, leadWrites, writeUpdate)
}

// updateLead serves PATCH /api/v4/leads/{id}.
func (s *Sandbox) updateLead(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, leadWrites, writeUpdateOne)
}
