package graph

import (
	"context"
	"fmt"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

var leadWrites = writeKind[amocrm.Lead]{
	noun: "lead", field: "leads", typeName: "Lead",
	id:    func(l *amocrm.Lead) int { return l.ID },
	reqID: func(l *amocrm.Lead) string { return l.RequestID },
	stub:  func(id int) *amocrm.Lead { return &amocrm.Lead{ID: id} },
	forget: func(l *loader.Loaders, ctx context.Context, ids []int) {
		for _, id := range ids {
			l.LeadByID.Clear(ctx, id)
		}
	},
	prefetch: func(l *loader.Loaders, ids []int) { l.PrefetchLeads(ids, 0) },
	load:     (*loader.Loaders).Leads,
}

// checkLeadItem refuses, per item, what amoCRM would refuse without a word
// of use to the client (a tag or field naming nothing).
func checkLeadItem(uerrs []*model.UserError, i int, reqID string, tagLists map[string][]*model.TagInput, fields []*model.CustomFieldValueInput) []*model.UserError {
	for _, name := range []string{"tagsToAdd", "tagsToDelete", "tags"} {
		uerrs = checkTags(uerrs, i, reqID, name, tagLists[name])
	}
	return checkFields(uerrs, i, reqID, fields)
}

func createLeadRequest(in *model.CreateLeadInput, reqID string) *amocrm.CreateLeadRequest {
	req := &amocrm.CreateLeadRequest{
		Name: deref(in.Name), Price: deref(in.Price), StatusID: deref(in.StatusID), PipelineID: deref(in.PipelineID),
		LossReasonID: deref(in.LossReasonID), ResponsibleUserID: deref(in.ResponsibleUserID),
		CreatedBy: deref(in.CreatedBy), UpdatedBy: deref(in.UpdatedBy),
		CreatedAt: deref(in.CreatedAt), UpdatedAt: deref(in.UpdatedAt), ClosedAt: deref(in.ClosedAt),
		CustomFieldsValues: customFields(in.CustomFieldsValues), TagsToAdd: tagRefs(in.TagsToAdd),
		Tags: tagRefs(in.Tags), RequestID: reqID,
	}
	for j, id := range in.ContactIds {
		isMain := j == 0
		req.Contacts = append(req.Contacts, amocrm.EntityRef{ID: id, IsMain: &isMain})
	}
	if in.CompanyID != nil {
		req.Companies = []amocrm.EntityRef{{ID: *in.CompanyID}}
	}
	return req
}

func (r *mutationResolver) createLeads(ctx context.Context, input []*model.CreateLeadInput) *model.CreateLeadsPayload {
	fail := func(ue []*model.UserError) *model.CreateLeadsPayload {
		return &model.CreateLeadsPayload{Leads: []*amocrm.Lead{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	for i, in := range input {
		if err := checkLen(fmt.Sprintf("input[%d].name", i), in.Name, maxNameLen); err != nil {
			return fail(inputFailure(err))
		}
	}
	reqIDs := requestIDs(input, func(in *model.CreateLeadInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.CreateLeadRequest, len(input))
	for i, in := range input {
		uerrs = checkLeadItem(uerrs, i, reqIDs[i], map[string][]*model.TagInput{"tagsToAdd": in.TagsToAdd, "tags": in.Tags}, in.CustomFieldsValues)
		reqs[i] = createLeadRequest(in, reqIDs[i])
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	created, _, err := r.Client.Leads.Create(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	leads, uerrs := writtenOf(ctx, leadWrites, created, reqIDs)
	return &model.CreateLeadsPayload{Leads: leads, UserErrors: uerrs}
}

// wholeTagSet is an update's tags: nil (keep them) when left out or null,
// the whole new set otherwise, [] removing every tag.
func wholeTagSet(in []*model.TagInput) []amocrm.TagRef {
	if in == nil {
		return nil
	}
	return append([]amocrm.TagRef{}, tagRefs(in)...)
}

func (r *mutationResolver) updateLeads(ctx context.Context, input []*model.UpdateLeadInput) *model.UpdateLeadsPayload {
	fail := func(ue []*model.UserError) *model.UpdateLeadsPayload {
		return &model.UpdateLeadsPayload{Leads: []*amocrm.Lead{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	for i, in := range input {
		if err := checkLen(fmt.Sprintf("input[%d].name", i), in.Name, maxNameLen); err != nil {
			return fail(inputFailure(err))
		}
	}
	reqIDs := requestIDs(input, func(in *model.UpdateLeadInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.UpdateLeadRequest, len(input))
	for i, in := range input {
		uerrs = checkLeadItem(uerrs, i, reqIDs[i], map[string][]*model.TagInput{
			"tagsToAdd": in.TagsToAdd, "tagsToDelete": in.TagsToDelete, "tags": in.Tags,
		}, in.CustomFieldsValues)
		reqs[i] = &amocrm.UpdateLeadRequest{
			ID: in.ID, Name: in.Name, Price: in.Price, StatusID: in.StatusID, PipelineID: in.PipelineID,
			LossReasonID: in.LossReasonID, ResponsibleUserID: in.ResponsibleUserID,
			CreatedBy: in.CreatedBy, UpdatedBy: in.UpdatedBy,
			CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, ClosedAt: in.ClosedAt,
			CustomFieldsValues: customFields(in.CustomFieldsValues),
			TagsToAdd:          tagRefs(in.TagsToAdd), TagsToDelete: tagRefs(in.TagsToDelete),
			Tags: wholeTagSet(in.Tags), RequestID: reqIDs[i],
		}
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	updated, _, err := r.Client.Leads.Update(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	leads, uerrs := writtenOf(ctx, leadWrites, updated, reqIDs)
	return &model.UpdateLeadsPayload{Leads: leads, UserErrors: uerrs}
}

func (r *mutationResolver) createLeadsComplex(ctx context.Context, input []*model.CreateLeadComplexInput) *model.CreateLeadsPayload {
	fail := func(ue []*model.UserError) *model.CreateLeadsPayload {
		return &model.CreateLeadsPayload{Leads: []*amocrm.Lead{}, UserErrors: ue}
	}
	switch {
	case len(input) == 0:
		return fail(inputFailure(badInput("input must hold at least one item")))
	case len(input) > amocrm.MaxComplexBatch:
		return fail(inputFailure(badInput("input holds %d items; at most %d per call", len(input), amocrm.MaxComplexBatch)))
	}
	for i, in := range input {
		path := fmt.Sprintf("input[%d]", i)
		if err := checkLen(path+".lead.name", in.Lead.Name, maxNameLen); err != nil {
			return fail(inputFailure(err))
		}
		if len(in.Lead.ContactIds) > 0 || in.Lead.CompanyID != nil {
			return fail(inputFailure(badInput("%s.lead: a complex add links only the new contact and company; leave contactIds and companyId out", path)))
		}
		if c := in.Contact; c != nil {
			if err := checkNames(path+".contact", c.Name, c.FirstName, c.LastName); err != nil {
				return fail(inputFailure(err))
			}
		}
		if c := in.Company; c != nil {
			if err := checkLen(path+".company.name", c.Name, maxNameLen); err != nil {
				return fail(inputFailure(err))
			}
		}
	}
	reqIDs := requestIDs(input, func(in *model.CreateLeadComplexInput) *string { return in.Lead.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.ComplexLeadRequest, len(input))
	for i, in := range input {
		uerrs = checkLeadItem(uerrs, i, reqIDs[i], map[string][]*model.TagInput{"tagsToAdd": in.Lead.TagsToAdd, "tags": in.Lead.Tags}, in.Lead.CustomFieldsValues)
		req := &amocrm.ComplexLeadRequest{Lead: *createLeadRequest(in.Lead, reqIDs[i])}
		if c := in.Contact; c != nil {
			uerrs = checkFields(uerrs, i, reqIDs[i], c.CustomFieldsValues)
			req.Contact = &amocrm.CreateContactRequest{
				Name: deref(c.Name), FirstName: deref(c.FirstName), LastName: deref(c.LastName),
				ResponsibleUserID: deref(c.ResponsibleUserID), CustomFieldsValues: customFields(c.CustomFieldsValues),
				TagsToAdd: tagRefs(c.TagsToAdd), Tags: tagRefs(c.Tags),
			}
		}
		if c := in.Company; c != nil {
			uerrs = checkFields(uerrs, i, reqIDs[i], c.CustomFieldsValues)
			req.Company = companyCreateRequest(c, "")
		}
		reqs[i] = req
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	results, _, err := r.Client.Leads.CreateComplex(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	// The answer names each lead by an array of request ids; its first is
	// the lead's own.
	answer := make([]*amocrm.Lead, len(results))
	for i, res := range results {
		answer[i] = &amocrm.Lead{ID: res.ID}
		if len(res.RequestID) > 0 {
			answer[i].RequestID = res.RequestID[0]
		}
	}
	leads, uerrs := writtenOf(ctx, leadWrites, answer, reqIDs)
	return &model.CreateLeadsPayload{Leads: leads, UserErrors: uerrs}
}
