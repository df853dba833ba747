package amocrm

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompaniesService_ListFilters(t *testing.T) {
	t.Parallel()
	client, mux := setup(t)
	mux.HandleFunc("GET /api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{
			"query": {"Рога"}, "limit": {"250"},
			"filter[name][]":                    {"АО Рога и копыта"},
			"filter[responsible_user_id][]":     {"504141"},
			"filter[created_at][from]":          {"1582117331"},
			"filter[updated_at][to]":            {"1586361223"},
			"filter[custom_fields_values][3][]": {"123213"},
			"order[updated_at]":                 {"asc"},
		})
		w.WriteHeader(http.StatusNoContent)
	})
	got, resp, err := client.Companies.List(t.Context(), &CompanyListOptions{
		Query: "Рога", Limit: 250,
		Filter: &CompanyFilter{
			Name: []string{"АО Рога и копыта"}, ResponsibleUserID: []int{504141},
			CreatedAt: &Range{From: 1582117331}, UpdatedAt: &Range{To: 1586361223},
			CustomFieldsValues: CustomFieldFilters{{FieldID: 3, Values: []string{"123213"}}},
		},
		Order: &Order{UpdatedAt: "asc"},
	})
	if err != nil || got == nil || len(got) != 0 || resp.StatusCode != http.StatusNoContent {
		t.Errorf("got %v, %v; want an empty slice from a 204", got, err)
	}
}

func TestCompaniesService_Write(t *testing.T) {
	t.Parallel()

	t.Run("Create", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[{"name":"АО Рога и копыта","responsible_user_id":504141,"tags_to_add":[{"name":"a"}],"_embedded":{"tags":[{"id":1}]}}]`)
			writeJSON(w, http.StatusOK, fixture(t, "companies_create.json"))
		})
		got, _, err := client.Companies.Create(t.Context(), []*CreateCompanyRequest{
			{Name: "АО Рога и копыта", ResponsibleUserID: 504141, TagsToAdd: []TagRef{{Name: "a"}}, Tags: []TagRef{{ID: 1}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Company{{ID: 11090825, RequestID: "0", Links: selfLink("https://example.amocrm.ru/api/v4/companies/11090825")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Create mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("PATCH /api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[{"id":11090825,"name":"Новое название компании","custom_fields_values":[{"field_id":5,"values":null}]}]`)
			writeJSON(w, http.StatusOK, fixture(t, "companies_update.json"))
		})
		got, _, err := client.Companies.Update(t.Context(), []*UpdateCompanyRequest{
			{ID: 11090825, Name: new("Новое название компании"), CustomFieldsValues: []CustomFieldValues{{FieldID: 5}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Company{{ID: 11090825, Name: "Новое название компании", UpdatedAt: 1590945248, Links: selfLink("https://example.amocrm.ru/api/v4/companies/11090825")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Companies.Create(t.Context(), []*CreateCompanyRequest{{}})
		testValidationErrors(t, err)
		_, _, err = client.Companies.Update(t.Context(), []*UpdateCompanyRequest{{ID: 1}})
		testValidationErrors(t, err)
	})
}
