package amocrm

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTasksService_List(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts *TaskListOptions
		want url.Values
	}{
		{"Nil", nil, url.Values{}},
		{
			name: "Docs", // the example of amoCRM's tasks page
			opts: &TaskListOptions{Limit: 2, Filter: &TaskFilter{TaskType: []int{TaskTypeMeeting}, IsCompleted: new(true)}},
			want: url.Values{"limit": {"2"}, "filter[task_type][]": {"2"}, "filter[is_completed]": {"1"}},
		},
		{
			name: "OpenTasksOfContacts",
			opts: &TaskListOptions{
				Page: 3,
				Filter: &TaskFilter{
					IsCompleted: new(false), EntityType: "contacts", EntityID: IDs{7143599, 7767065},
					ResponsibleUserID: []int{504141}, CreatedBy: []int{1},
					UpdatedAt: &Range{From: 1575910000}, CompleteTill: &Range{From: 1575910000, To: 1575996899},
					ID: IDs{56981},
				},
				Order: &TaskOrder{CompleteTill: "asc"},
			},
			want: url.Values{
				"page": {"3"}, "filter[is_completed]": {"0"}, "filter[entity_type]": {"contacts"},
				"filter[entity_id][]": {"7143599", "7767065"}, "filter[responsible_user_id][]": {"504141"},
				"filter[created_by][]": {"1"}, "filter[updated_at][from]": {"1575910000"},
				"filter[complete_till][from]": {"1575910000"}, "filter[complete_till][to]": {"1575996899"},
				"filter[id][]": {"56981"}, "order[complete_till]": {"asc"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t)
			mux.HandleFunc("GET /api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, tt.want)
				writeJSON(w, http.StatusOK, fixture(t, "tasks_list.json"))
			})
			got, resp, err := client.Tasks.List(t.Context(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := []*Task{
				{
					ID: 56981, CreatedBy: 54224, UpdatedBy: 3987910, CreatedAt: 1575910123, UpdatedAt: 1576767989,
					ResponsibleUserID: 123123, EntityID: 180765, EntityType: "leads", IsCompleted: true, TaskTypeID: 2,
					Text: "Назначить встречу с клиентом", Result: &TaskResult{Text: "Результат есть"}, CompleteTill: 1575910423,
					AccountID: 321312, Links: selfLink("https://example.amocrm.ru/api/v4/tasks/56981"),
				},
				{
					ID: 56983, CreatedBy: 54224, UpdatedBy: 54224, CreatedAt: 1575910500, UpdatedAt: 1575910500,
					ResponsibleUserID: 123123, Duration: 3600, TaskTypeID: 1, Text: "Позвонить", CompleteTill: 1575996899,
					AccountID: 321312, Links: selfLink("https://example.amocrm.ru/api/v4/tasks/56983"),
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("List mismatch (-want +got):\n%s", diff)
			}
			if resp.Page != 1 || resp.NextPage != 2 {
				t.Errorf("Page, NextPage = %d, %d; want 1, 2", resp.Page, resp.NextPage)
			}
		})
	}

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/tasks", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, resp, err := client.Tasks.List(t.Context(), &TaskListOptions{Page: 9})
		if err != nil || got == nil || len(got) != 0 || resp.NextPage != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})

	t.Run("Arguments", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		for _, tt := range []struct {
			name string
			opts *TaskListOptions
			arg  string
		}{
			{"Limit", &TaskListOptions{Limit: 251}, "limit"},
			{"EntityType", &TaskListOptions{Filter: &TaskFilter{EntityType: "lead"}}, "filter[entity_type]"},
			{"EntityIDWithoutType", &TaskListOptions{Filter: &TaskFilter{EntityID: IDs{1}}}, "filter[entity_id]"},
			{"OrderTwo", &TaskListOptions{Order: &TaskOrder{CreatedAt: "asc", ID: "desc"}}, "order"},
			{"OrderValue", &TaskListOptions{Order: &TaskOrder{CompleteTill: "ASC"}}, "order[complete_till]"},
		} {
			_, _, err := client.Tasks.List(t.Context(), tt.opts)
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Arg != tt.arg {
				t.Errorf("%s: err = %v, want *ArgumentError for %s", tt.name, err, tt.arg)
			}
		}
	})
}

// amoCRM sends a task without a result as "result": [], which must decode
// as no result rather than fail the whole list.
func TestTaskResult_EmptyArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		result string
		want   *TaskResult
	}{
		{`[]`, nil},
		{` [ ] `, nil},
		{`null`, nil},
		{`{}`, nil},
		{`{"text":"done"}`, &TaskResult{Text: "done"}},
	}
	for _, tt := range tests {
		t.Run(tt.result, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t)
			mux.HandleFunc("GET /api/v4/tasks/1", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, `{"id":1,"text":"x","result":`+tt.result+`}`)
			})
			got, _, err := client.Tasks.Get(t.Context(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Result); diff != "" || got.Text != "x" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("NotAResult", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/tasks/1", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"id":1,"result":[1]}`)
		})
		if _, _, err := client.Tasks.Get(t.Context(), 1); !isUnavailable(err) {
			t.Errorf("err = %v, want ErrUnavailable for a malformed result", err)
		}
	})
	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/tasks/2", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Tasks.Get(t.Context(), 2)
		if got != nil || err != nil {
			t.Errorf("got %v, %v; want nil, nil", got, err)
		}
	})
}

func TestTasksService_Write(t *testing.T) {
	t.Parallel()

	t.Run("Create", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[
				{"task_type_id":1,"text":"Встреча с клиентом Иван Иванов","complete_till":1588885140,"entity_id":9785993,"entity_type":"leads","request_id":"example"},
				{"text":"Без сущности","complete_till":1588885140,"responsible_user_id":504141}
			]`)
			writeJSON(w, http.StatusOK, fixture(t, "tasks_create.json"))
		})
		got, _, err := client.Tasks.Create(t.Context(), []*CreateTaskRequest{
			{TaskTypeID: TaskTypeCall, Text: "Встреча с клиентом Иван Иванов", CompleteTill: 1588885140, EntityID: 9785993, EntityType: "leads", RequestID: "example"},
			{Text: "Без сущности", CompleteTill: 1588885140, ResponsibleUserID: 504141},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Task{
			{ID: 4745251, RequestID: "0", Links: selfLink("https://example.amocrm.ru/api/v4/tasks/4745251")},
			{ID: 4747929, RequestID: "1", Links: selfLink("https://example.amocrm.ru/api/v4/tasks/4747929")},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Create mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("Complete", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("PATCH /api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[
				{"id":4745251,"is_completed":true,"result":{"text":"Удалось связаться с клиентом"}},
				{"id":4747929,"is_completed":true},
				{"id":5,"text":"Перенесено","complete_till":1589000000,"is_completed":false}
			]`)
			writeJSON(w, http.StatusOK, `{"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/tasks"}},"_embedded":{"tasks":[{"id":4745251,"updated_at":1588760725,"request_id":"0","_links":{"self":{"href":"https://example.amocrm.ru/api/v4/tasks/4745251"}}}]}}`)
		})
		got, _, err := client.Tasks.Update(t.Context(), []*UpdateTaskRequest{
			CompleteTask(4745251, "Удалось связаться с клиентом"),
			CompleteTask(4747929, ""),
			{ID: 5, Text: new("Перенесено"), CompleteTill: new(int64(1589000000)), IsCompleted: new(false)},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Task{{ID: 4745251, UpdatedAt: 1588760725, RequestID: "0", Links: selfLink("https://example.amocrm.ru/api/v4/tasks/4745251")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Tasks.Create(t.Context(), []*CreateTaskRequest{{}})
		testValidationErrors(t, err)
		_, _, err = client.Tasks.Update(t.Context(), []*UpdateTaskRequest{CompleteTask(1, "")})
		testValidationErrors(t, err)
	})

	t.Run("Arguments", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		_, _, err := client.Tasks.Update(t.Context(), []*UpdateTaskRequest{{ID: 1}, {Text: new("x")}})
		var ae *ArgumentError
		if !errors.As(err, &ae) || ae.Arg != "reqs[1].ID" {
			t.Errorf("err = %v, want *ArgumentError for reqs[1].ID", err)
		}
		_, _, err = client.Tasks.Create(t.Context(), nil)
		if !errors.As(err, &ae) || ae.Arg != "reqs" {
			t.Errorf("err = %v, want *ArgumentError for reqs", err)
		}
	})
}
