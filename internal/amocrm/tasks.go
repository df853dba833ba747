package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// TasksService reads and writes tasks. A task has a responsible user and a
// deadline, and may be attached to a lead, contact, company or customer.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tasks-api
type TasksService service

// Task types every account has; others are the account's own.
const (
	TaskTypeCall    = 1
	TaskTypeMeeting = 2
)

// Task is an amoCRM task.
type Task struct {
	ID                int `json:"id"`
	ResponsibleUserID int `json:"responsible_user_id"`
	GroupID           int `json:"group_id"`
	// EntityID and EntityType ("leads", "contacts", "companies",
	// "customers") name what the task is attached to; 0 and "" for none.
	EntityID   int    `json:"entity_id"`
	EntityType string `json:"entity_type"`
	// Duration is in seconds.
	Duration    int    `json:"duration"`
	IsCompleted bool   `json:"is_completed"`
	TaskTypeID  int    `json:"task_type_id"`
	Text        string `json:"text"`
	// Result is nil until the task is completed with a result.
	Result *TaskResult `json:"result"`
	// CompleteTill is the deadline (Unix seconds).
	CompleteTill int64  `json:"complete_till"`
	CreatedBy    int    `json:"created_by"`
	UpdatedBy    int    `json:"updated_by"`
	CreatedAt    int64  `json:"created_at"` // Unix seconds
	UpdatedAt    int64  `json:"updated_at"` // Unix seconds
	AccountID    int    `json:"account_id"`
	RequestID    string `json:"request_id,omitempty"`
	Links        *Links `json:"_links,omitempty"`
}

// TaskResult is the outcome written when a task is completed.
type TaskResult struct {
	Text string `json:"text"`
}

// UnmarshalJSON reads the result object. amoCRM's PHP backend encodes an
// empty result as [] rather than {} or null; that is read as an empty
// result, which Task.Result turns into nil.
func (r *TaskResult) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		var elems []json.RawMessage
		if err := decodeJSON(data, &elems); err != nil {
			return err
		}
		if len(elems) > 0 {
			return fmt.Errorf("task result is a non-empty array")
		}
		*r = TaskResult{}
		return nil
	}
	type plain TaskResult // without this method
	return decodeJSON(data, (*plain)(r))
}

// TaskListOptions are the query parameters of TasksService.List.
type TaskListOptions struct {
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit  int         `url:"limit,omitempty"`
	Filter *TaskFilter `url:"filter,omitempty"`
	Order  *TaskOrder  `url:"order,omitempty"`
}

// TaskFilter narrows a task list; slices match any of their values.
type TaskFilter struct {
	// ID: filter[id][]=1&filter[id][]=2.
	ID                IDs   `url:"id,omitempty"`
	ResponsibleUserID []int `url:"responsible_user_id,brackets,omitempty"`
	CreatedBy         []int `url:"created_by,brackets,omitempty"`
	// IsCompleted: filter[is_completed]=1 (completed) or 0 (open); nil for
	// both.
	IsCompleted *bool `url:"is_completed,int,omitempty"`
	// TaskType: task type ids, filter[task_type][]=1.
	TaskType []int `url:"task_type,brackets,omitempty"`
	// EntityType: "leads", "contacts", "companies" or "customers".
	EntityType string `url:"entity_type,omitempty"`
	// EntityID needs EntityType (else an *ArgumentError).
	EntityID  IDs    `url:"entity_id,omitempty"`
	UpdatedAt *Range `url:"updated_at,omitempty"`
	// CompleteTill, the deadline range, is not among the filters amoCRM's
	// tasks page lists, and amoCRM ignores filters it does not know, so a
	// caller that needs the range exact checks Task.CompleteTill itself.
	CompleteTill *Range `url:"complete_till,omitempty"`
}

// TaskOrder sorts tasks: one of CreatedAt, CompleteTill or ID, "asc" or
// "desc".
type TaskOrder struct {
	CreatedAt    string `url:"created_at,omitempty"`
	CompleteTill string `url:"complete_till,omitempty"`
	ID           string `url:"id,omitempty"`
}

// taskEntityTypes are the entity types a task can be attached to.
var taskEntityTypes = []string{"leads", "contacts", "companies", "customers"}

func (o *TaskListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := checkPaging(o.Page, o.Limit); err != nil {
		return err
	}
	if f := o.Filter; f != nil {
		if f.EntityType != "" {
			if err := checkEntityType("filter[entity_type]", f.EntityType, taskEntityTypes...); err != nil {
				return err
			}
		} else if len(f.EntityID) > 0 {
			return &ArgumentError{Arg: "filter[entity_id]", Reason: "needs filter[entity_type]"}
		}
	}
	if o.Order == nil {
		return nil
	}
	return checkOrder([2]string{"created_at", o.Order.CreatedAt}, [2]string{"complete_till", o.Order.CompleteTill}, [2]string{"id", o.Order.ID})
}

// CreateTaskRequest is one task of TasksService.Create. amoCRM requires
// Text and CompleteTill; the client leaves that check to amoCRM, whose 400
// names the failing element, so one bad task does not hide the others'
// problems.
type CreateTaskRequest struct {
	Text string `json:"text"`
	// CompleteTill is the deadline (Unix seconds). 23:59 shows as "all
	// day" in amoCRM.
	CompleteTill int64 `json:"complete_till"`
	// ResponsibleUserID defaults to the user of the token.
	ResponsibleUserID int `json:"responsible_user_id,omitempty"`
	// EntityID and EntityType attach the task; both or neither.
	EntityID   int    `json:"entity_id,omitempty"`
	EntityType string `json:"entity_type,omitempty"`
	// TaskTypeID defaults to TaskTypeCall.
	TaskTypeID int `json:"task_type_id,omitempty"`
	// Duration is in seconds.
	Duration    int         `json:"duration,omitempty"`
	IsCompleted bool        `json:"is_completed,omitempty"`
	Result      *TaskResult `json:"result,omitempty"`
	CreatedBy   int         `json:"created_by,omitempty"`
	UpdatedBy   int         `json:"updated_by,omitempty"`
	CreatedAt   int64       `json:"created_at,omitempty"`
	UpdatedAt   int64       `json:"updated_at,omitempty"`
	RequestID   string      `json:"request_id,omitempty"`
}

// UpdateTaskRequest is one task of TasksService.Update (ID required).
// Pointer fields are sent when non-nil. Completing a task sets IsCompleted
// and, usually, Result (see CompleteTask).
type UpdateTaskRequest struct {
	ID                int         `json:"id,omitempty"`
	Text              *string     `json:"text,omitempty"`
	CompleteTill      *int64      `json:"complete_till,omitempty"`
	ResponsibleUserID *int        `json:"responsible_user_id,omitempty"`
	EntityID          *int        `json:"entity_id,omitempty"`
	EntityType        *string     `json:"entity_type,omitempty"`
	TaskTypeID        *int        `json:"task_type_id,omitempty"`
	Duration          *int        `json:"duration,omitempty"`
	IsCompleted       *bool       `json:"is_completed,omitempty"`
	Result            *TaskResult `json:"result,omitempty"`
	UpdatedBy         *int        `json:"updated_by,omitempty"`
	UpdatedAt         *int64      `json:"updated_at,omitempty"`
	RequestID         string      `json:"request_id,omitempty"`
}

// CompleteTask is the update that closes task id with result as its
// outcome ("" for none).
func CompleteTask(id int, result string) *UpdateTaskRequest {
	done := true
	r := &UpdateTaskRequest{ID: id, IsCompleted: &done}
	if result != "" {
		r.Result = &TaskResult{Text: result}
	}
	return r
}

// List returns a page of tasks. An empty page (204) returns an empty slice
// and NextPage 0. It returns *ArgumentError for a limit above 250, an
// unknown entity type, or entity ids without an entity type.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tasks-api
//
// GET /api/v4/tasks
func (s *TasksService) List(ctx context.Context, opts *TaskListOptions) ([]*Task, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/tasks", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body taskList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return fixResults(nonNil(body.Embedded.Tasks)), resp, nil
}

// Get returns one task, or nil (and a nil error) when amoCRM answers 204.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tasks-api
//
// GET /api/v4/tasks/{id}
func (s *TasksService) Get(ctx context.Context, id int) (*Task, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, fmt.Sprintf("api/v4/tasks/%d", id), nil)
	if err != nil {
		return nil, nil, err
	}
	var task *Task
	resp, err := s.client.Do(req, &task)
	if err != nil || task == nil {
		return nil, resp, err
	}
	return fixResults([]*Task{task})[0], resp, nil
}

// Create adds tasks in one batch (at most MaxBatch) and returns what amoCRM
// answers for each: ID, RequestID and Links only. A 400 answer is an
// *ErrorResponse whose ValidationErrors name the failing elements by
// request_id, with the path of each problem inside the element.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tasks-api
//
// POST /api/v4/tasks
func (s *TasksService) Create(ctx context.Context, reqs []*CreateTaskRequest) ([]*Task, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	return s.write(ctx, http.MethodPost, reqs)
}

// Update edits tasks in one batch (at most MaxBatch); every element needs
// its ID. It returns what amoCRM answers for each: ID, UpdatedAt and Links
// only. Errors are as for Create.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/tasks-api
//
// PATCH /api/v4/tasks
func (s *TasksService) Update(ctx context.Context, reqs []*UpdateTaskRequest) ([]*Task, *Response, error) {
	if err := checkWrite("reqs", reqs, MaxBatch); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if err := checkID(fmt.Sprintf("reqs[%d].ID", i), r.ID); err != nil {
			return nil, nil, err
		}
	}
	return s.write(ctx, http.MethodPatch, reqs)
}

func (s *TasksService) write(ctx context.Context, method string, body any) ([]*Task, *Response, error) {
	req, err := s.client.NewRequest(ctx, method, "api/v4/tasks", body)
	if err != nil {
		return nil, nil, err
	}
	var out taskList
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, resp, err
	}
	return fixResults(nonNil(out.Embedded.Tasks)), resp, nil
}

// fixResults turns the empty result amoCRM sends as [] into nil.
func fixResults(tasks []*Task) []*Task {
	for _, t := range tasks {
		if t.Result != nil && *t.Result == (TaskResult{}) {
			t.Result = nil
		}
	}
	return tasks
}

type taskList struct {
	halPage
	Embedded struct {
		Tasks []*Task `json:"tasks"`
	} `json:"_embedded"`
}
