package amocrm

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompaniesService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"filter[id][]": {"1"}, "with": {"contacts"}, "order[id]": {"asc"}})
			writeJSON(w, http.StatusOK, `{"_page":1,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/companies?limit=2&page=1"},"next":{"href":"https://example.amocrm.ru/api/v4/companies?limit=2&page=2"}},"_embedded":{"companies":[`+fixture(t, "company_get.json")+`]}}`)
		})
		got, resp, err := client.Companies.List(t.Context(), &CompanyListOptions{
			With: []string{"contacts"}, Filter: &CompanyFilter{ID: []int{1}}, Order: &Order{ID: "asc"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != "АО Рога и копыта" || resp.NextPage != 2 {
			t.Errorf("got %+v, NextPage %d", got, resp.NextPage)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/companies", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, resp, err := client.Companies.List(t.Context(), nil)
		if err != nil || got == nil || len(got) != 0 || resp.NextPage != 0 {
			t.Errorf("got %v, %+v, %v; want an empty slice", got, resp, err)
		}
	})
}

func TestCompaniesService_Get(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/companies/1", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"with": {"contacts,leads,customers,catalog_elements"}})
			writeJSON(w, http.StatusOK, fixture(t, "company_get.json"))
		})
		got, _, err := client.Companies.Get(t.Context(), 1, &GetOptions{With: []string{"contacts", "leads", "customers", "catalog_elements"}})
		if err != nil {
			t.Fatal(err)
		}
		want := &Company{
			ID: 1, Name: "АО Рога и копыта", ResponsibleUserID: 504141, CreatedBy: 504141, UpdatedBy: 504141,
			CreatedAt: 1582117331, UpdatedAt: 1586361223,
			CustomFieldsValues: []CustomFieldValues{{
				FieldID: 3, FieldName: "Телефон", FieldCode: "PHONE", FieldType: "multitext",
				Values: []CustomFieldValue{{Value: json.RawMessage(`"123213"`), EnumID: new(1), Enum: new("WORK")}},
			}},
			AccountID: 28805383,
			Links:     selfLink("https://example.amocrm.ru/api/v4/companies/1"),
			Embedded: &CompanyEmbedded{
				Tags:      []Tag{},
				Contacts:  []EntityRef{{ID: 3, Links: selfLink("https://example.amocrm.ru/api/v4/contacts/3")}},
				Leads:     []EntityRef{{ID: 17657, Links: selfLink("https://example.amocrm.ru/api/v4/leads/17657")}},
				Customers: []EntityRef{},
				CatalogElements: []CatalogElementLink{{
					ID: 425909, Metadata: &CatalogElementMetadata{Quantity: new(2.5), CatalogID: 4521},
					Quantity: new(2.5), CatalogID: new(4521), PriceID: new(11),
				}},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Get mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "company_get.json"), new(Company))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/companies/2", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Companies.Get(t.Context(), 2, nil)
		if got != nil || err != nil {
			t.Errorf("got %v, %v; want nil, nil", got, err)
		}
	})
}
