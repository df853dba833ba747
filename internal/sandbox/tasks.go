package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Tasks: GET /api/v4/tasks (filter[id], filter[responsible_user_id],
// filter[is_completed], filter[task_type], filter[entity_type],
// filter[entity_id], filter[updated_at] and, beyond the documented set,
// filter[complete_till][from|to]; order[created_at|complete_till|id]),
// GET /api/v4/tasks/{id} (404 for an unknown id; upstream's answer is
// unconfirmed), POST /api/v4/tasks and PATCH /api/v4/tasks[/{id}]
// (completing a task: is_completed true with result {text}).
// A task without a result renders "result": [], as the documentation's
// example does. Task writes send no webhooks in the sandbox.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tasks-api
// (Kommo: https://developers.kommo.com/reference/tasks-list)

// Task types every account has: 1 is a call ("Связаться"), 2 a meeting.
const (
	TaskTypeCall    = 1
	TaskTypeMeeting = 2
)

// task is one task. record carries its id, users and timestamps; Name is
// unused.
type task struct {
	record
	EntityID     int    // 0: a task of no entity
	EntityType   string // plural, as in paths; "" with EntityID 0
	Duration     int
	IsCompleted  bool
	TaskTypeID   int
	Text         string
	Result       string // "" renders as []
	CompleteTill int64
}

type taskJSON struct {
	ID                int             `json:"id"`
	CreatedBy         int             `json:"created_by"`
	UpdatedBy         int             `json:"updated_by"`
	CreatedAt         int64           `json:"created_at"`
	UpdatedAt         int64           `json:"updated_at"`
	ResponsibleUserID int             `json:"responsible_user_id"`
	GroupID           int             `json:"group_id"`
	EntityID          *int            `json:"entity_id"`
	EntityType        *string         `json:"entity_type"`
	Duration          int             `json:"duration"`
	IsCompleted       bool            `json:"is_completed"`
	TaskTypeID        int             `json:"task_type_id"`
	Text              string          `json:"text"`
	Result            json.RawMessage `json:"result"`
	CompleteTill      int64           `json:"complete_till"`
	AccountID         int             `json:"account_id"`
	Links             selfLinks       `json:"_links"`
}

func renderTask(t *task, base string) taskJSON {
	result := json.RawMessage("[]")
	if t.Result != "" {
		result, _ = json.Marshal(map[string]string{"text": t.Result})
	}
	return taskJSON{
		ID: t.ID, CreatedBy: t.CreatedBy, UpdatedBy: t.UpdatedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		ResponsibleUserID: t.ResponsibleUserID, GroupID: t.GroupID, EntityID: optInt(t.EntityID),
		EntityType: nullString(t.EntityType), Duration: t.Duration, IsCompleted: t.IsCompleted,
		TaskTypeID: t.TaskTypeID, Text: t.Text, Result: result, CompleteTill: t.CompleteTill, AccountID: AccountID,
		Links: selfLink(base + "/api/v4/tasks/" + itoa(t.ID)),
	}
}

// noteEntities are the entity types tasks and notes attach to.
var noteEntities = []string{entLeads, entContacts, entCompanies, entCustomers}

// entityExists reports whether entity type e has id. The caller holds a lock.
func (st *store) entityExists(e string, id int) bool {
	switch e {
	case entLeads:
		return st.leads[id] != nil
	case entContacts:
		return st.contacts[id] != nil
	case entCompanies:
		return st.companies[id] != nil
	case entCustomers:
		return st.customers[id] != nil
	}
	return false
}

// taskPreds compiles the task filters.
func taskPreds(f *node) ([]func(*task) bool, *apiError) {
	preds, aerr := commonPreds[*task](f)
	if aerr != nil {
		return nil, aerr
	}
	if vals := f.kid("is_completed").all(); len(vals) > 0 {
		var want bool
		switch strings.ToLower(strings.TrimSpace(vals[0])) {
		case "1", "true":
			want = true
		case "0", "false":
		default:
			return nil, invalidParam(codeInvalidType, "filter.is_completed", "filter[is_completed] must be 0 or 1")
		}
		preds = append(preds, func(t *task) bool { return t.IsCompleted == want })
	}
	types, aerr := filterInts(f, "task_type")
	if aerr != nil {
		return nil, aerr
	}
	if types != nil {
		preds = append(preds, func(t *task) bool { return slices.Contains(types, t.TaskTypeID) })
	}
	if vals := f.kid("entity_type").all(); len(vals) > 0 {
		e := vals[0]
		if !slices.Contains(noteEntities, e) {
			return nil, invalidParam(codeNotSupportedChoice, "filter.entity_type", "filter[entity_type] must be one of: "+strings.Join(noteEntities, ", "))
		}
		preds = append(preds, func(t *task) bool { return t.EntityType == e })
	}
	ids, aerr := filterInts(f, "entity_id")
	if aerr != nil {
		return nil, aerr
	}
	if ids != nil {
		preds = append(preds, func(t *task) bool { return slices.Contains(ids, t.EntityID) })
	}
	due, aerr := rangePred(f, "complete_till", func(t *task) *int64 { return &t.CompleteTill })
	if aerr != nil {
		return nil, aerr
	}
	if due != nil {
		preds = append(preds, due)
	}
	return preds, nil
}

var taskSpec = listSpec[*task]{
	plural: "tasks",
	noun:   "Task",
	order:  []string{"id", "created_at", "complete_till"},
	rows:   func(st *store, _ *http.Request) (map[int]*task, *apiError) { return st.tasks, nil },
	preds:  taskPreds,
	texts:  func(t *task) []string { return []string{t.Text} },
	key: func(field string) func(*task) int64 {
		if field == "complete_till" {
			return func(t *task) int64 { return t.CompleteTill }
		}
		return nil
	},
	render: func(_ *store, t *task, _ map[string]bool, base string) any { return renderTask(t, base) },
}

// listTasks serves GET /api/v4/tasks.
func (s *Sandbox) listTasks(w http.ResponseWriter, r *http.Request) { serveList(s, w, r, taskSpec) }

// getTask serves GET /api/v4/tasks/{id}.
func (s *Sandbox) getTask(w http.ResponseWriter, r *http.Request) { serveGet(s, w, r, taskSpec) }

// parseTask validates one task of a POST or PATCH: text and complete_till
// are required on create; entity_type and entity_id go together and must
// name an existing entity.
func parseTask(st *store, raw json.RawMessage, index int, patch bool, pathID int) (writeOp, []fieldError) {
	o := asObj(raw)
	if o == nil {
		return writeOp{requestID: itoa(index)}, []fieldError{{Code: codeInvalidType, Path: "", Detail: "This value should be of type object."}}
	}
	var c checker
	op := writeOp{requestID: requestID(o, index)}
	id := 0
	if patch {
		id = c.updateID(o, pathID, func(id int) bool { return st.tasks[id] != nil }, "Task")
	}
	text := c.str(o, "text", "text")
	till := c.integer(o, "complete_till", "complete_till")
	if !patch && text == nil {
		c.fail(codeFieldMissing, "text", "This field is missing.")
	}
	if !patch && till == nil {
		c.fail(codeFieldMissing, "complete_till", "This field is missing.")
	}
	typeID := c.integer(o, "task_type_id", "task_type_id")
	if typeID != nil && *typeID != TaskTypeCall && *typeID != TaskTypeMeeting {
		c.fail(codeNotSupportedChoice, "task_type_id", "The value you selected is not a valid choice.")
	}
	duration := c.integer(o, "duration", "duration")
	if duration != nil && *duration < 0 {
		c.fail(codeInvalidType, "duration", "This value should be 0 or more.")
	}
	responsible := c.userID(st, o, "responsible_user_id", false)
	createdBy := c.userID(st, o, "created_by", true)
	updatedBy := c.userID(st, o, "updated_by", true)
	completed := c.boolean(o, "is_completed", "is_completed")
	var result *string
	if raw, has := o["result"]; has && kind(raw) != 'z' {
		ro := asObj(raw)
		if ro == nil {
			c.fail(codeInvalidType, "result", "This value should be of type object.")
		} else {
			result = c.str(ro, "text", "result.text")
		}
	}
	entityType := c.str(o, "entity_type", "entity_type")
	entityID := c.integer(o, "entity_id", "entity_id")
	switch {
	case entityType != nil && !slices.Contains(noteEntities, *entityType):
		c.fail(codeNotSupportedChoice, "entity_type", "The value you selected is not a valid choice.")
	case (entityType == nil) != (entityID == nil):
		c.fail(codeFieldMissing, "entity_type", "entity_type and entity_id are given together.")
	case entityID != nil && !st.entityExists(*entityType, int(*entityID)):
		c.fail(codeNotFound, "entity_id", "Entity not found.")
	}
	op.apply = func(now int64, base string, _ *hookBatch) writtenJSON {
		t := st.tasks[id]
		if t == nil {
			t = &task{record: record{ID: st.nextTaskID, ResponsibleUserID: DefaultUserID, CreatedBy: DefaultUserID, CreatedAt: now}, TaskTypeID: TaskTypeCall}
			st.nextTaskID++
			st.tasks[t.ID] = t
		}
		setIf(&t.Text, text)
		setIf(&t.CompleteTill, till)
		if typeID != nil {
			t.TaskTypeID = int(*typeID)
		}
		if duration != nil {
			t.Duration = int(*duration)
		}
		setIf(&t.ResponsibleUserID, responsible)
		t.GroupID = st.groupOf(t.ResponsibleUserID)
		setIf(&t.CreatedBy, createdBy)
		t.UpdatedBy = t.CreatedBy
		if patch {
			t.UpdatedBy = DefaultUserID
		}
		setIf(&t.UpdatedBy, updatedBy)
		setIf(&t.IsCompleted, completed)
		setIf(&t.Result, result)
		if entityID != nil {
			t.EntityType, t.EntityID = *entityType, int(*entityID)
		}
		t.UpdatedAt = now
		return written(base, "tasks", t.ID, t.UpdatedAt, patch)
	}
	return op, c.errs
}

// setIf stores *v in dst when v is given.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

var taskWrites = writeRoute{plural: "tasks", noun: "Task", parse: parseTask,
	exists: func(st *store, id int) bool { return st.tasks[id] != nil }}

// createTasks serves POST /api/v4/tasks.
func (s *Sandbox) createTasks(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, taskWrites, writeCreate)
}

// updateTasks serves PATCH /api/v4/tasks.
func (s *Sandbox) updateTasks(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, taskWrites, writeUpdate)
}

// updateTask serves PATCH /api/v4/tasks/{id}.
func (s *Sandbox) updateTask(w http.ResponseWriter, r *http.Request) {
	s.serveWrite(w, r, taskWrites, writeUpdateOne)
}
