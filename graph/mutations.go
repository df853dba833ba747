package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

func checkBatchSize(n int) error {
	if n == 0 {
		return badInput("input must hold at least one item")
	}
	if n > maxBatch {
		return badInput("input holds %d items; at most %d per call", n, maxBatch)
	}
	return nil
}

func (r *mutationResolver) createContacts(ctx context.Context, input []*model.CreateContactInput) *model.CreateContactsPayload {
	fail := func(ue []*model.UserError) *model.CreateContactsPayload {
		return &model.CreateContactsPayload{Contacts: []*amocrm.Contact{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	for i, in := range input {
		if err := checkNames(fmt.Sprintf("input[%d]", i), in.Name, in.FirstName, in.LastName); err != nil {
			return fail(inputFailure(err))
		}
	}
	reqIDs := requestIDs(input, func(in *model.CreateContactInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.CreateContactRequest, len(input))
	for i, in := range input {
		uerrs = checkTags(uerrs, i, reqIDs[i], "tagsToAdd", in.TagsToAdd)
		uerrs = checkTags(uerrs, i, reqIDs[i], "tags", in.Tags)
		uerrs = checkFields(uerrs, i, reqIDs[i], in.CustomFieldsValues)
		reqs[i] = &amocrm.CreateContactRequest{
			Name: deref(in.Name), FirstName: deref(in.FirstName), LastName: deref(in.LastName),
			ResponsibleUserID: deref(in.ResponsibleUserID), CreatedBy: deref(in.CreatedBy), UpdatedBy: deref(in.UpdatedBy),
			CreatedAt: deref(in.CreatedAt), UpdatedAt: deref(in.UpdatedAt),
			CustomFieldsValues: customFields(in.CustomFieldsValues), TagsToAdd: tagRefs(in.TagsToAdd),
			Tags: tagRefs(in.Tags), RequestID: reqIDs[i],
		}
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	created, _, err := r.Client.Contacts.Create(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	contacts, uerrs := writtenContacts(ctx, created, reqIDs)
	return &model.CreateContactsPayload{Contacts: contacts, UserErrors: uerrs}
}

func updateRequest(in *model.UpdateContactInput, reqID string) *amocrm.UpdateContactRequest {
	return &amocrm.UpdateContactRequest{
		ID: in.ID, Name: clearable(in.Name), FirstName: clearable(in.FirstName), LastName: clearable(in.LastName),
		ResponsibleUserID: in.ResponsibleUserID, CreatedBy: in.CreatedBy, UpdatedBy: in.UpdatedBy,
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
		CustomFieldsValues: customFields(in.CustomFieldsValues),
		TagsToAdd:          tagRefs(in.TagsToAdd), TagsToDelete: tagRefs(in.TagsToDelete),
		Tags: tagSet(in.Tags), RequestID: reqID,
	}
}

func checkUpdate(uerrs []*model.UserError, i int, reqID string, in *model.UpdateContactInput) []*model.UserError {
	uerrs = checkTags(uerrs, i, reqID, "tagsToAdd", in.TagsToAdd)
	uerrs = checkTags(uerrs, i, reqID, "tagsToDelete", in.TagsToDelete)
	uerrs = checkTags(uerrs, i, reqID, "tags", in.Tags.Value())
	return checkFields(uerrs, i, reqID, in.CustomFieldsValues)
}

func (r *mutationResolver) updateContacts(ctx context.Context, input []*model.UpdateContactInput) *model.UpdateContactsPayload {
	fail := func(ue []*model.UserError) *model.UpdateContactsPayload {
		return &model.UpdateContactsPayload{Contacts: []*amocrm.Contact{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	for i, in := range input {
		if err := checkNames(fmt.Sprintf("input[%d]", i), in.Name.Value(), in.FirstName.Value(), in.LastName.Value()); err != nil {
			return fail(inputFailure(err))
		}
	}
	reqIDs := requestIDs(input, func(in *model.UpdateContactInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.UpdateContactRequest, len(input))
	for i, in := range input {
		uerrs = checkUpdate(uerrs, i, reqIDs[i], in)
		reqs[i] = updateRequest(in, reqIDs[i])
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	updated, _, err := r.Client.Contacts.Update(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	contacts, uerrs := writtenContacts(ctx, updated, reqIDs)
	return &model.UpdateContactsPayload{Contacts: contacts, UserErrors: uerrs}
}

func (r *mutationResolver) updateContact(ctx context.Context, in *model.UpdateContactInput) *model.UpdateContactPayload {
	fail := func(ue []*model.UserError) *model.UpdateContactPayload {
		for _, e := range ue {
			// One object, not a list: every error is the input's own.
			e.Index, e.Field = nil, []string{"input"}
			if e.UpstreamPath != nil {
				e.Field = append(e.Field, camelPath(*e.UpstreamPath)...)
			}
		}
		return &model.UpdateContactPayload{UserErrors: ue}
	}
	if err := checkNames("input", in.Name.Value(), in.FirstName.Value(), in.LastName.Value()); err != nil {
		return fail(inputFailure(err))
	}
	reqID := deref(in.RequestID)
	if uerrs := checkUpdate(nil, 0, reqID, in); len(uerrs) > 0 {
		for _, ue := range uerrs {
			ue.Index, ue.Field = nil, append([]string{"input"}, ue.Field[2:]...)
		}
		return &model.UpdateContactPayload{UserErrors: uerrs}
	}
	req := updateRequest(in, reqID)
	req.ID = 0 // the id is in the path of a single update
	c, _, err := r.Client.Contacts.UpdateOne(ctx, in.ID, req)
	var resp *amocrm.ErrorResponse
	switch {
	case err == nil && c == nil, errors.As(err, &resp) && resp.Status == http.StatusNotFound:
		// amoCRM answers a single update of an unknown id 404 (or, as it
		// answers a read of one, 204); the batch update reports the same
		// as a NotFound validation error.
		return fail([]*model.UserError{userError(0, reqID, CodeNotFoundUpstream, fmt.Sprintf("amoCRM has no contact %d", in.ID))})
	case err != nil:
		return fail(r.writeFailure(ctx, err, []string{reqID}))
	}
	c.RequestID = reqID
	contacts, uerrs := writtenContacts(ctx, []*amocrm.Contact{c}, []string{reqID})
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	return &model.UpdateContactPayload{Contact: contacts[0], UserErrors: []*model.UserError{}}
}

// writtenContacts returns what a write answered, in input order, with
// its request ids, and a user error for every item it cannot account for.
// The contacts are loaded in full in one batched call, unless the payload
// reads nothing but ids and request ids, which the write's answer holds.
func writtenContacts(ctx context.Context, answer []*amocrm.Contact, reqIDs []string) ([]*amocrm.Contact, []*model.UserError) {
	byIndex, uerrs := written(answer, func(c *amocrm.Contact) string { return c.RequestID }, reqIDs)
	out := make([]*amocrm.Contact, 0, len(byIndex))
	if !payloadReadsBack(ctx) {
		for i, c := range byIndex {
			if c != nil {
				out = append(out, &amocrm.Contact{ID: c.ID, RequestID: reqIDs[i]})
			}
		}
		return out, uerrs
	}
	ids := make([]int, 0, len(byIndex))
	for _, c := range byIndex {
		if c != nil {
			ids = append(ids, c.ID)
		}
	}
	l, err := loader.For(ctx)
	var loaded []*amocrm.Contact
	if err == nil {
		l.ForgetContacts(ids)
		l.PrefetchContacts(ids, 0)
		loaded, err = l.Contacts(ctx, ids)
	}
	found := make(map[int]*amocrm.Contact, len(loaded))
	for _, c := range loaded {
		found[c.ID] = c
	}
	for i, w := range byIndex {
		if w == nil {
			continue
		}
		switch id, c := w.ID, found[w.ID]; {
		case err != nil:
			uerrs = append(uerrs, readBackFailed(i, reqIDs[i], id, describe(err)))
		case c == nil:
			uerrs = append(uerrs, readBackFailed(i, reqIDs[i], id, "amoCRM no longer has it"))
		default:
			cp := *c
			cp.RequestID = reqIDs[i]
			out = append(out, &cp)
		}
	}
	return out, uerrs
}
