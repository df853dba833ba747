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

// A catalog element's metadata is kept whole: keys beyond quantity,
// catalog_id and price_id survive decoding and encoding again, and the
// typed keys are still read.
func TestCatalogElementMetadata_KeptWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      *CatalogElementMetadata
	}{
		{"KnownKeysOnly", `{"quantity":2.5,"catalog_id":4521,"price_id":11}`,
			&CatalogElementMetadata{Quantity: new(2.5), CatalogID: 4521, PriceID: new(11)}},
		{"ExtraKeys", `{"quantity":1,"catalog_id":4521,"price_id":null,"updated_by":504141,"is_main":false,"note":{"a":[1,"b"]}}`,
			&CatalogElementMetadata{Quantity: new(1.0), CatalogID: 4521, Extra: map[string]json.RawMessage{
				"updated_by": json.RawMessage(`504141`), "is_main": json.RawMessage(`false`), "note": json.RawMessage(`{"a":[1,"b"]}`),
			}}},
		{"Empty", `{}`, &CatalogElementMetadata{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			contact := `{"id":3,"_embedded":{"catalog_elements":[{"id":44,"metadata":` + tt.raw + `}]}}`
			var c Contact
			if err := decodeJSON([]byte(contact), &c); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Embedded.CatalogElements[0].Metadata); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			testNoLoss(t, contact, new(Contact))
		})
	}
}

// Hostile metadata fails to decode as any wrong type does, without panics.
func TestCatalogElementMetadata_Invalid(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`[]`, `"x"`, `{"quantity":"many"}`, `{"catalog_id":{}}`, `{"a":}`} {
		var l CatalogElementLink
		if err := decodeJSON([]byte(`{"id":1,"metadata":`+raw+`}`), &l); err == nil {
			t.Errorf("metadata %s decoded without error: %+v", raw, l.Metadata)
		}
	}
	var l CatalogElementLink
	if err := decodeJSON([]byte(`{"id":1,"metadata":null}`), &l); err != nil || l.Metadata != nil {
		t.Errorf("null metadata: %+v, %v; want nil, no error", l.Metadata, err)
	}
}
