package amocrm

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTagsService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/leads/tags", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"filter[id][]": {"2707", "2709"}, "limit": {"50"}, "page": {"1"}})
			writeJSON(w, http.StatusOK, fixture(t, "tags_list.json"))
		})
		got, resp, err := client.Tags.List(t.Context(), "leads", &TagListOptions{Page: 1, Limit: 50, Filter: &TagFilter{ID: []int{2707, 2709}}})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Tag{{ID: 2707, Name: "Новый", Color: new("FFCE5A")}, {ID: 2709, Name: "Повторный"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List mismatch (-want +got):\n%s", diff)
		}
		if resp.Page != 1 || resp.NextPage != 0 {
			t.Errorf("Page, NextPage = %d, %d; want 1, 0", resp.Page, resp.NextPage)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "tags_list.json"), new(tagList))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/tags", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, url.Values{"filter[name]": {"VIP"}})
			w.WriteHeader(http.StatusNoContent)
		})
		got, _, err := client.Tags.List(t.Context(), "contacts", &TagListOptions{Filter: &TagFilter{Name: "VIP"}})
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})
}
