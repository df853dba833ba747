package amocrm

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPipelinesService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/leads/pipelines", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, nil)
			writeJSON(w, http.StatusOK, fixture(t, "pipelines_list.json"))
		})
		got, resp, err := client.Pipelines.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || resp.TotalItems != 1 {
			t.Fatalf("got %d pipelines, TotalItems %d; want 1, 1", len(got), resp.TotalItems)
		}
		p := got[0]
		if p.ID != 3177727 || p.Name != "Воронка" || !p.IsMain || !p.IsUnsortedOn || p.IsArchive || p.AccountID != 12345678 {
			t.Errorf("pipeline = %+v", p)
		}
		st := p.Embedded.Statuses
		if len(st) != 4 {
			t.Fatalf("got %d statuses, want 4", len(st))
		}
		want := &PipelineStatus{
			ID: 32392156, Name: "Неразобранное", Sort: 10, PipelineID: 3177727, Color: "#c1c1c1",
			Type: StatusTypeUnsorted, AccountID: 12345678,
			Links: selfLink("https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392156"),
		}
		if diff := cmp.Diff(want, st[0]); diff != "" {
			t.Errorf("first status (-want +got):\n%s", diff)
		}
		if st[2].ID != StatusWon || st[3].ID != StatusLost || !st[1].IsEditable {
			t.Errorf("statuses = %+v %+v %+v", st[1], st[2], st[3])
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "pipelines_list.json"), new(pipelineList))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/leads/pipelines", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Pipelines.List(t.Context())
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})
}

func TestPipelinesService_Get(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/leads/pipelines/3177727", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"id":3177727,"name":"Воронка","sort":1,"is_main":true,"_embedded":{"statuses":[{"id":142,"name":"Успешно реализовано","pipeline_id":3177727}]}}`)
		})
		got, _, err := client.Pipelines.Get(t.Context(), 3177727)
		if err != nil || got == nil || got.Name != "Воронка" || len(got.Embedded.Statuses) != 1 || got.Embedded.Statuses[0].ID != StatusWon {
			t.Errorf("got %+v, %v", got, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/leads/pipelines/9", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusNotFound, `{"title":"Not Found","type":"https://httpstatus.es/404","status":404,"detail":"Pipeline not found"}`)
		})
		got, _, err := client.Pipelines.Get(t.Context(), 9)
		var er *ErrorResponse
		if got != nil || !errors.As(err, &er) || er.Status != http.StatusNotFound || er.Detail != "Pipeline not found" {
			t.Errorf("got %v, %v; want a 404 *ErrorResponse", got, err)
		}
	})

	t.Run("Statuses", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/leads/pipelines/3177727/statuses", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"_total_items":2,"_embedded":{"statuses":[{"id":142,"pipeline_id":3177727},{"id":143,"pipeline_id":3177727}]}}`)
		})
		got, _, err := client.Pipelines.ListStatuses(t.Context(), 3177727)
		if err != nil || len(got) != 2 || got[1].ID != StatusLost {
			t.Errorf("got %v, %v", got, err)
		}
	})
}
