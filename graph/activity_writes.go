package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
)

// The task and note writes answer like the contact writes (writes.go): a
// payload always, with one user error per item not written, maybe written or
// not read back; what was written is read back in one call by filter[id][].

func (r *mutationResolver) addNotes(ctx context.Context, entity model.EntityType, input []*model.AddNoteInput) *model.AddNotesPayload {
	fail := func(ue []*model.UserError) *model.AddNotesPayload {
		return &model.AddNotesPayload{Notes: []*amocrm.Note{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	reqIDs := requestIDs(input, func(in *model.AddNoteInput) *string { return in.RequestID })
	var uerrs []*model.UserError
	reqs := make([]*amocrm.AddNoteRequest, len(input))
	for i, in := range input {
		params, err := noteParams(in)
		if err != nil {
			uerrs = append(uerrs, userError(i, reqIDs[i], CodeBadUserInput, err.Error(), "input", strconv.Itoa(i), "params"))
		}
		noteType := model.NoteTypeCommon
		if in.NoteType != nil {
			noteType = *in.NoteType
		}
		reqs[i] = &amocrm.AddNoteRequest{
			EntityID: in.EntityID, NoteType: strings.ToLower(string(noteType)), Params: params, RequestID: reqIDs[i],
		}
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	path := entityPath(entity)
	added, _, err := r.Client.Notes.Add(ctx, path, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	byIndex, uerrs := written(added, func(n *amocrm.Note) string { return n.RequestID }, reqIDs)
	notes, uerrs := readBack(ctx, byIndex, reqIDs, uerrs, "note", "notes", "Note",
		func(n *amocrm.Note) int { return n.ID },
		func(n amocrm.Note, reqID string) *amocrm.Note { n.RequestID = reqID; return &n },
		func(ctx context.Context, ids []int) ([]*amocrm.Note, error) {
			rows, _, err := r.Client.Notes.List(ctx, path, &amocrm.NoteListOptions{Limit: len(ids), Filter: &amocrm.NoteFilter{ID: ids}})
			return rows, err
		})
	return &model.AddNotesPayload{Notes: notes, UserErrors: uerrs}
}

// noteParams is the note's params with its text merged in: text is
// params.text, the common case spelled out.
func noteParams(in *model.AddNoteInput) (json.RawMessage, error) {
	if in.Text == nil {
		return in.Params, nil
	}
	if len(in.Params) == 0 || string(in.Params) == "null" {
		return amocrm.NoteText(*in.Text), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(in.Params, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("params must be a JSON object to take text beside it")
	}
	obj["text"], _ = json.Marshal(*in.Text) // a string always marshals
	return json.Marshal(obj)
}

func (r *mutationResolver) createTasks(ctx context.Context, input []*model.CreateTaskInput) *model.CreateTasksPayload {
	fail := func(ue []*model.UserError) *model.CreateTasksPayload {
		return &model.CreateTasksPayload{Tasks: []*amocrm.Task{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	reqIDs := requestIDs(input, func(in *model.CreateTaskInput) *string { return in.RequestID })
	reqs := make([]*amocrm.CreateTaskRequest, len(input))
	for i, in := range input {
		reqs[i] = &amocrm.CreateTaskRequest{
			Text: in.Text, CompleteTill: in.CompleteTill, EntityID: deref(in.EntityID),
			ResponsibleUserID: deref(in.ResponsibleUserID), TaskTypeID: deref(in.TaskTypeID),
			Duration: deref(in.Duration), RequestID: reqIDs[i],
		}
		if in.EntityType != nil {
			reqs[i].EntityType = entityPath(*in.EntityType)
		}
	}
	created, _, err := r.Client.Tasks.Create(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	tasks, uerrs := r.writtenTasks(ctx, created, reqIDs)
	return &model.CreateTasksPayload{Tasks: tasks, UserErrors: uerrs}
}

func (r *mutationResolver) updateTasks(ctx context.Context, input []*model.UpdateTaskInput) *model.UpdateTasksPayload {
	fail := func(ue []*model.UserError) *model.UpdateTasksPayload {
		return &model.UpdateTasksPayload{Tasks: []*amocrm.Task{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	reqIDs := requestIDs(input, func(in *model.UpdateTaskInput) *string { return in.RequestID })
	reqs := make([]*amocrm.UpdateTaskRequest, len(input))
	for i, in := range input {
		req := &amocrm.UpdateTaskRequest{
			ID: in.ID, Text: in.Text, CompleteTill: in.CompleteTill, ResponsibleUserID: in.ResponsibleUserID,
			EntityID: in.EntityID, TaskTypeID: in.TaskTypeID, Duration: in.Duration,
			IsCompleted: in.IsCompleted, RequestID: reqIDs[i],
		}
		if in.EntityType != nil {
			t := entityPath(*in.EntityType)
			req.EntityType = &t
		}
		if in.Result != nil {
			req.Result = &amocrm.TaskResult{Text: *in.Result}
		}
		reqs[i] = req
	}
	updated, _, err := r.Client.Tasks.Update(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	tasks, uerrs := r.writtenTasks(ctx, updated, reqIDs)
	return &model.UpdateTasksPayload{Tasks: tasks, UserErrors: uerrs}
}

// writtenTasks lines a task write's answer up with the input and reads the
// tasks back in one call.
func (r *mutationResolver) writtenTasks(ctx context.Context, answer []*amocrm.Task, reqIDs []string) ([]*amocrm.Task, []*model.UserError) {
	byIndex, uerrs := written(answer, func(t *amocrm.Task) string { return t.RequestID }, reqIDs)
	return readBack(ctx, byIndex, reqIDs, uerrs, "task", "tasks", "Task",
		func(t *amocrm.Task) int { return t.ID },
		func(t amocrm.Task, reqID string) *amocrm.Task { t.RequestID = reqID; return &t },
		func(ctx context.Context, ids []int) ([]*amocrm.Task, error) {
			rows, _, err := r.Client.Tasks.List(ctx, &amocrm.TaskListOptions{Limit: len(ids), Filter: &amocrm.TaskFilter{ID: ids}})
			return rows, err
		})
}

// readBack returns the written items in input order, each a copy carrying
// its request id, loaded in full by one call of list, unless the payload's field (of typeName) selects nothing but
// ids and request ids, which the write's answer holds. An item written but
// not found, or not read because the call failed, gets READ_BACK_FAILED.
func readBack[T any](ctx context.Context, byIndex []*T, reqIDs []string, uerrs []*model.UserError,
	noun, field, typeName string, id func(*T) int, withReqID func(v T, reqID string) *T,
	list func(context.Context, []int) ([]*T, error),
) ([]*T, []*model.UserError) {
	out := make([]*T, 0, len(byIndex))
	ids := make([]int, 0, len(byIndex))
	for _, w := range byIndex {
		if w != nil {
			ids = append(ids, id(w))
		}
	}
	if !payloadSelects(ctx, field, typeName, "requestId") {
		for i, w := range byIndex {
			if w != nil {
				out = append(out, withReqID(*w, reqIDs[i]))
			}
		}
		return out, uerrs
	}
	var (
		loaded []*T
		err    error
	)
	if len(ids) > 0 {
		loaded, err = list(ctx, ids)
	}
	return lineUp(byIndex, loaded, err, id, noun, reqIDs, uerrs, func(i int, v *T) *T { return withReqID(*v, reqIDs[i]) })
}
