package amocrm

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogsService_ListElements(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"filter[id][]": {"425909"}, "limit": {"250"}, "page": {"1"}})
			writeJSON(w, http.StatusOK, fixture(t, "catalog_elements_list.json"))
		})
		got, resp, err := client.Catalogs.ListElements(t.Context(), 4521, &CatalogElementListOptions{Page: 1, Limit: 250, Filter: &CatalogElementFilter{ID: []int{425909}}})
		if err != nil {
			t.Fatal(err)
		}
		want := []*CatalogElement{{
			ID: 425909, CatalogID: 4521, Name: "Товар", CreatedBy: 504141, UpdatedBy: 504141,
			CreatedAt: 1590939441, UpdatedAt: 1590939441,
			CustomFieldsValues: []CustomFieldValues{
				{FieldID: 101, FieldName: "Артикул", FieldCode: "SKU", FieldType: "text", Values: []CustomFieldValue{{Value: json.RawMessage(`"A-1"`)}}},
				{FieldID: 102, FieldName: "Цена", FieldCode: "PRICE", FieldType: "price", Values: []CustomFieldValue{{Value: json.RawMessage(`199.9`)}}},
			},
			AccountID: 28805383,
			Links:     selfLink("https://example.amocrm.ru/api/v4/catalogs/4521/elements/425909"),
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListElements mismatch (-want +got):\n%s", diff)
		}
		if resp.Page != 1 || resp.NextPage != 2 {
			t.Errorf("Page, NextPage = %d, %d; want 1, 2", resp.Page, resp.NextPage)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "catalog_elements_list.json"), new(catalogElementList))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, resp, err := client.Catalogs.ListElements(t.Context(), 4521, nil)
		if err != nil || got == nil || len(got) != 0 || resp.NextPage != 0 {
			t.Errorf("got %v, %+v, %v; want an empty slice", got, resp, err)
		}
	})
}

func TestCatalogsService_GetElement(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/catalogs/4521/elements/425909", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, nil)
			writeJSON(w, http.StatusOK, `{"id":425909,"catalog_id":4521,"name":"Товар","currency_id":643,"custom_fields_values":null}`)
		})
		got, _, err := client.Catalogs.GetElement(t.Context(), 4521, 425909, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&CatalogElement{ID: 425909, CatalogID: 4521, Name: "Товар", CurrencyID: new(643)}, got); diff != "" {
			t.Errorf("GetElement mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/catalogs/4521/elements/1", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Catalogs.GetElement(t.Context(), 4521, 1, nil)
		if got != nil || err != nil {
			t.Errorf("got %v, %v; want nil, nil", got, err)
		}
	})
}
