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

// rejected returns amoCRM's 400 as user errors, or nil for any other error.
func rejected(err error, ix indexer, root string) []*model.UserError {
	var resp *amocrm.ErrorResponse
	if errors.As(err, &resp) && resp.Status == http.StatusBadRequest {
		return validationUserErrors(resp, ix, root)
	}
	return nil
}

func (r *mutationResolver) createContacts(ctx context.Context, input []*model.CreateContactInput) (*model.CreateContactsPayload, error) {
	if err := checkBatchSize(len(input)); err != nil {
		return nil, err
	}
	for i, in := range input {
		if err := checkNames(fmt.Sprintf("input[%d]", i), in.Name, in.FirstName, in.LastName); err != nil {
			return nil, err
		}
	}
	reqIDs := requestIDs(input, func(in *model.CreateContactInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.CreateContactRequest, len(input))
	for i, in := range input {
		uerrs = checkTags(uerrs, i, reqIDs[i], "tagsToAdd", in.TagsToAdd)
		uerrs = checkFields(uerrs, i, reqIDs[i], in.CustomFieldsValues)
		reqs[i] = &amocrm.CreateContactRequest{
			Name: deref(in.Name), FirstName: deref(in.FirstName), LastName: deref(in.LastName),
			ResponsibleUserID: deref(in.ResponsibleUserID), CreatedBy: deref(in.CreatedBy), UpdatedBy: deref(in.UpdatedBy),
			CreatedAt: deref(in.CreatedAt), UpdatedAt: deref(in.UpdatedAt),
			CustomFieldsValues: customFields(in.CustomFieldsValues), TagsToAdd: tagRefs(in.TagsToAdd),
			RequestID: reqIDs[i],
		}
	}
	if len(uerrs) > 0 {
		return &model.CreateContactsPayload{Contacts: []*amocrm.Contact{}, UserErrors: uerrs}, nil
	}
	ix := newIndexer(reqIDs)
	created, _, err := r.Client.Contacts.Create(ctx, reqs)
	if ue := rejected(err, ix, "input"); ue != nil {
		return &model.CreateContactsPayload{Contacts: []*amocrm.Contact{}, UserErrors: ue}, nil
	}
	if err != nil {
		return nil, err
	}
	contacts, err := reload(ctx, created, ix, reqIDs)
	if err != nil {
		return nil, err
	}
	return &model.CreateContactsPayload{Contacts: contacts, UserErrors: []*model.UserError{}}, nil
}

func updateRequest(in *model.UpdateContactInput, reqID string) *amocrm.UpdateContactRequest {
	return &amocrm.UpdateContactRequest{
		ID: in.ID, Name: in.Name, FirstName: in.FirstName, LastName: in.LastName,
		ResponsibleUserID: in.ResponsibleUserID, CreatedBy: in.CreatedBy, UpdatedBy: in.UpdatedBy,
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
		CustomFieldsValues: customFields(in.CustomFieldsValues),
		TagsToAdd:          tagRefs(in.TagsToAdd), TagsToDelete: tagRefs(in.TagsToDelete),
		RequestID: reqID,
	}
}

func checkUpdate(uerrs []*model.UserError, i int, reqID string, in *model.UpdateContactInput) []*model.UserError {
	uerrs = checkTags(uerrs, i, reqID, "tagsToAdd", in.TagsToAdd)
	uerrs = checkTags(uerrs, i, reqID, "tagsToDelete", in.TagsToDelete)
	return checkFields(uerrs, i, reqID, in.CustomFieldsValues)
}

func (r *mutationResolver) updateContacts(ctx context.Context, input []*model.UpdateContactInput) (*model.UpdateContactsPayload, error) {
	if err := checkBatchSize(len(input)); err != nil {
		return nil, err
	}
	for i, in := range input {
		if err := checkNames(fmt.Sprintf("input[%d]", i), in.Name, in.FirstName, in.LastName); err != nil {
			return nil, err
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
		return &model.UpdateContactsPayload{Contacts: []*amocrm.Contact{}, UserErrors: uerrs}, nil
	}
	ix := newIndexer(reqIDs)
	updated, _, err := r.Client.Contacts.Update(ctx, reqs)
	if ue := rejected(err, ix, "input"); ue != nil {
		return &model.UpdateContactsPayload{Contacts: []*amocrm.Contact{}, UserErrors: ue}, nil
	}
	if err != nil {
		return nil, err
	}
	// amoCRM's update answer may leave request_id out; then items come in input order.
	for i, c := range updated {
		if c.RequestID == "" && i < len(reqIDs) {
			c.RequestID = reqIDs[i]
		}
	}
	contacts, err := reload(ctx, updated, ix, reqIDs)
	if err != nil {
		return nil, err
	}
	return &model.UpdateContactsPayload{Contacts: contacts, UserErrors: []*model.UserError{}}, nil
}

func (r *mutationResolver) updateContact(ctx context.Context, in *model.UpdateContactInput) (*model.UpdateContactPayload, error) {
	if err := checkNames("input", in.Name, in.FirstName, in.LastName); err != nil {
		return nil, err
	}
	reqID := deref(in.RequestID)
	if uerrs := checkUpdate(nil, 0, reqID, in); len(uerrs) > 0 {
		for _, ue := range uerrs {
			ue.Index, ue.Field = nil, append([]string{"input"}, ue.Field[2:]...)
		}
		return &model.UpdateContactPayload{UserErrors: uerrs}, nil
	}
	req := updateRequest(in, reqID)
	req.ID = 0 // the id is in the path of a single update
	_, _, err := r.Client.Contacts.UpdateOne(ctx, in.ID, req)
	if ue := rejected(err, indexer{}, "input"); ue != nil {
		// One object, not a list: every error is the input's own.
		for _, e := range ue {
			e.Index, e.Field = nil, []string{"input"}
			if e.UpstreamPath != nil {
				e.Field = append(e.Field, camelPath(*e.UpstreamPath)...)
			}
		}
		return &model.UpdateContactPayload{UserErrors: ue}, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	l.ForgetContacts([]int{in.ID})
	l.PrefetchContacts([]int{in.ID}, 0)
	c, err := l.Contact(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if c != nil && reqID != "" {
		cp := *c
		cp.RequestID = reqID
		c = &cp
	}
	return &model.UpdateContactPayload{Contact: c, UserErrors: []*model.UserError{}}, nil
}

// reload loads the written contacts in full, in one batched call, and returns
// them in input order carrying their request ids.
func reload(ctx context.Context, written []*amocrm.Contact, ix indexer, reqIDs []string) ([]*amocrm.Contact, error) {
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(written))
	byIndex := make(map[int]int, len(written)) // input index -> contact id
	for i, w := range written {
		ids = append(ids, w.ID)
		idx, ok := ix.take(w.RequestID)
		if !ok {
			idx = i
		}
		byIndex[idx] = w.ID
	}
	l.ForgetContacts(ids)
	l.PrefetchContacts(ids, 0)
	loaded, err := l.Contacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	found := make(map[int]*amocrm.Contact, len(loaded))
	for _, c := range loaded {
		found[c.ID] = c
	}
	out := make([]*amocrm.Contact, 0, len(written))
	for i := range reqIDs {
		id, ok := byIndex[i]
		if !ok || found[id] == nil {
			continue
		}
		cp := *found[id]
		cp.RequestID = reqIDs[i]
		out = append(out, &cp)
	}
	return out, nil
}
