package graph

import (
	"context"
	"fmt"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

var companyWrites = writeKind[amocrm.Company]{
	noun: "company", field: "companies", typeName: "Company",
	id:    func(c *amocrm.Company) int { return c.ID },
	reqID: func(c *amocrm.Company) string { return c.RequestID },
	stub:  func(id int) *amocrm.Company { return &amocrm.Company{ID: id} },
	forget: func(l *loader.Loaders, ctx context.Context, ids []int) {
		for _, id := range ids {
			l.CompanyByID.Clear(ctx, id)
		}
	},
	prefetch: func(l *loader.Loaders, ids []int) { l.PrefetchCompanies(ids, 0) },
	load:     (*loader.Loaders).Companies,
}

func companyCreateRequest(in *model.CreateCompanyInput, reqID string) *amocrm.CreateCompanyRequest {
	return &amocrm.CreateCompanyRequest{
		Name: deref(in.Name), ResponsibleUserID: deref(in.ResponsibleUserID),
		CreatedBy: deref(in.CreatedBy), UpdatedBy: deref(in.UpdatedBy),
		CreatedAt: deref(in.CreatedAt), UpdatedAt: deref(in.UpdatedAt),
		CustomFieldsValues: customFields(in.CustomFieldsValues), TagsToAdd: tagRefs(in.TagsToAdd),
		Tags: tagRefs(in.Tags), RequestID: reqID,
	}
}

func (r *mutationResolver) createCompanies(ctx context.Context, input []*model.CreateCompanyInput) *model.CreateCompaniesPayload {
	fail := func(ue []*model.UserError) *model.CreateCompaniesPayload {
		return &model.CreateCompaniesPayload{Companies: []*amocrm.Company{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	for i, in := range input {
		if err := checkLen(fmt.Sprintf("input[%d].name", i), in.Name, maxNameLen); err != nil {
			return fail(inputFailure(err))
		}
	}
	reqIDs := requestIDs(input, func(in *model.CreateCompanyInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.CreateCompanyRequest, len(input))
	for i, in := range input {
		uerrs = checkLeadItem(uerrs, i, reqIDs[i], map[string][]*model.TagInput{"tagsToAdd": in.TagsToAdd, "tags": in.Tags}, in.CustomFieldsValues)
		reqs[i] = companyCreateRequest(in, reqIDs[i])
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	created, _, err := r.Client.Companies.Create(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	companies, uerrs := writtenOf(ctx, companyWrites, created, reqIDs)
	return &model.CreateCompaniesPayload{Companies: companies, UserErrors: uerrs}
}

func (r *mutationResolver) updateCompanies(ctx context.Context, input []*model.UpdateCompanyInput) *model.UpdateCompaniesPayload {
	fail := func(ue []*model.UserError) *model.UpdateCompaniesPayload {
		return &model.UpdateCompaniesPayload{Companies: []*amocrm.Company{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	for i, in := range input {
		if err := checkLen(fmt.Sprintf("input[%d].name", i), in.Name, maxNameLen); err != nil {
			return fail(inputFailure(err))
		}
	}
	reqIDs := requestIDs(input, func(in *model.UpdateCompanyInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.UpdateCompanyRequest, len(input))
	for i, in := range input {
		uerrs = checkLeadItem(uerrs, i, reqIDs[i], map[string][]*model.TagInput{
			"tagsToAdd": in.TagsToAdd, "tagsToDelete": in.TagsToDelete, "tags": in.Tags,
		}, in.CustomFieldsValues)
		reqs[i] = &amocrm.UpdateCompanyRequest{
			ID: in.ID, Name: in.Name, ResponsibleUserID: in.ResponsibleUserID,
			CreatedBy: in.CreatedBy, UpdatedBy: in.UpdatedBy, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
			CustomFieldsValues: customFields(in.CustomFieldsValues),
			TagsToAdd:          tagRefs(in.TagsToAdd), TagsToDelete: tagRefs(in.TagsToDelete),
			Tags: wholeTagSet(in.Tags), RequestID: reqIDs[i],
		}
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	updated, _, err := r.Client.Companies.Update(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	companies, uerrs := writtenOf(ctx, companyWrites, updated, reqIDs)
	return &model.UpdateCompaniesPayload{Companies: companies, UserErrors: uerrs}
}
