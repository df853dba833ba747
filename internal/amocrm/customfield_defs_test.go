package amocrm

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCustomFieldsService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/contacts/custom_fields", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, url.Values{"limit": {"50"}, "page": {"1"}, "filter[type][]": {"multitext", "text"}, "order[sort]": {"asc"}})
			writeJSON(w, http.StatusOK, fixture(t, "custom_fields_list.json"))
		})
		got, resp, err := client.CustomFields.List(t.Context(), "contacts", &CustomFieldListOptions{
			Limit: 50, Page: 1, Filter: &CustomFieldListFilter{Type: []string{"multitext", "text"}}, Order: &CustomFieldOrder{Sort: "asc"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*CustomField{
			{
				ID: 3, Name: "Телефон", Type: "multitext", AccountID: 28805383, Code: "PHONE", Sort: 4,
				Enums:            []CustomFieldEnum{{ID: 1, Value: "WORK", Sort: 2}, {ID: 3, Value: "MOB", Sort: 6}},
				RequiredStatuses: []RequiredStatus{}, IsDeletable: new(false), IsPredefined: new(true), EntityType: "contacts",
				Links: selfLink("https://example.amocrm.ru/api/v4/contacts/custom_fields/3"),
			},
			{
				ID: 271316, Name: "Должность", Type: "text", AccountID: 28805383, Sort: 2, GroupID: new("contacts_1590587745"),
				RequiredStatuses: []RequiredStatus{{PipelineID: 3177727, StatusID: 32392159}},
				IsDeletable:      new(true), IsPredefined: new(false), EntityType: "contacts",
				Links: selfLink("https://example.amocrm.ru/api/v4/contacts/custom_fields/271316"),
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List mismatch (-want +got):\n%s", diff)
		}
		if resp.TotalItems != 2 || resp.NextPage != 0 {
			t.Errorf("TotalItems, NextPage = %d, %d; want 2, 0", resp.TotalItems, resp.NextPage)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/customers/segments/custom_fields", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.CustomFields.List(t.Context(), "customers/segments", nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})

	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/leads/custom_fields/77", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"id":77,"name":"Источник","type":"select","entity_type":"leads","is_computed":false,"enums":[{"id":5,"value":"Сайт","sort":1}]}`)
		})
		got, _, err := client.CustomFields.Get(t.Context(), "leads", 77)
		want := &CustomField{ID: 77, Name: "Источник", Type: "select", EntityType: "leads", IsComputed: new(false), Enums: []CustomFieldEnum{{ID: 5, Value: "Сайт", Sort: 1}}}
		if diff := cmp.Diff(want, got); err != nil || diff != "" {
			t.Errorf("Get: %v (-want +got):\n%s", err, diff)
		}
	})

	t.Run("Arguments", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		for _, tt := range []struct {
			name       string
			entityType string
			opts       *CustomFieldListOptions
			arg        string
		}{
			{"EntityType", "../account", nil, "entityType"},
			{"Limit", "leads", &CustomFieldListOptions{Limit: 251}, "limit"},
			{"OrderTwo", "leads", &CustomFieldListOptions{Order: &CustomFieldOrder{Sort: "asc", ID: "asc"}}, "order"},
			{"OrderValue", "leads", &CustomFieldListOptions{Order: &CustomFieldOrder{ID: "up"}}, "order[id]"},
		} {
			_, _, err := client.CustomFields.List(t.Context(), tt.entityType, tt.opts)
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Arg != tt.arg {
				t.Errorf("%s: err = %v, want *ArgumentError for %s", tt.name, err, tt.arg)
			}
		}
	})
}
