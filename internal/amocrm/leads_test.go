package amocrm

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLeadsService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{
				"with":                             {"contacts"},
				"limit":                            {"250"},
				"filter[id][]":                     {"17657", "17658"},
				"filter[statuses][0][pipeline_id]": {"1113"},
				"filter[statuses][0][status_id]":   {"2030"},
				"order[created_at]":                {"asc"},
			})
			writeJSON(w, http.StatusOK, `{"_page":1,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads?page=1"},"next":{"href":"https://example.amocrm.ru/api/v4/leads?limit=250&page=2"}},"_embedded":{"leads":[`+fixture(t, "lead_get.json")+`]}}`)
		})
		got, resp, err := client.Leads.List(t.Context(), &LeadListOptions{
			With: []string{"contacts"}, Limit: 250,
			Filter: &LeadFilter{ID: []int{17657, 17658}, Statuses: LeadStatuses{{PipelineID: 1113, StatusID: 2030}}},
			Order:  &Order{CreatedAt: "asc"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != 17657 || resp.Page != 1 || resp.NextPage != 2 {
			t.Errorf("got %d leads (first %+v), Page %d, NextPage %d", len(got), got, resp.Page, resp.NextPage)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/leads", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, resp, err := client.Leads.List(t.Context(), nil)
		if err != nil || got == nil || len(got) != 0 || resp.NextPage != 0 {
			t.Errorf("got %v, %+v, %v; want an empty slice", got, resp, err)
		}
	})
}

func TestLeadsService_Get(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/leads/17657", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"with": {"contacts,catalog_elements"}})
			writeJSON(w, http.StatusOK, fixture(t, "lead_get.json"))
		})
		got, _, err := client.Leads.Get(t.Context(), 17657, &GetOptions{With: []string{"contacts", "catalog_elements"}})
		if err != nil {
			t.Fatal(err)
		}
		want := &Lead{
			ID: 17657, Name: "Сделка для примера", Price: 25000, ResponsibleUserID: 321123, StatusID: 2030, PipelineID: 1113,
			CreatedBy: 12332, UpdatedBy: 12323, CreatedAt: 1587741226, UpdatedAt: 1588241643,
			CustomFieldsValues: []CustomFieldValues{{
				FieldID: 1278898021, FieldName: "Дата договора", FieldType: "date",
				Values: []CustomFieldValue{{Value: json.RawMessage(`"2020-05-08"`)}},
			}},
			AccountID: 115135,
			Links:     selfLink("https://example.amocrm.ru/api/v4/leads/17657"),
			Embedded: &LeadEmbedded{
				Tags:            []Tag{{ID: 1252595, Name: "Важный", Color: new("FFCE5A")}},
				Companies:       []EntityRef{{ID: 40401297, Links: selfLink("https://example.amocrm.ru/api/v4/companies/40401297")}},
				Contacts:        []EntityRef{{ID: 3, IsMain: new(true), Links: selfLink("https://example.amocrm.ru/api/v4/contacts/3")}},
				CatalogElements: []CatalogElementLink{{ID: 425909, Metadata: &CatalogElementMetadata{Quantity: new(1.0), CatalogID: 4521, PriceID: new(11)}}},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Get mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "lead_get.json"), new(Lead))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/leads/1", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Leads.Get(t.Context(), 1, nil)
		if got != nil || err != nil {
			t.Errorf("got %v, %v; want nil, nil", got, err)
		}
	})
}

func TestLead_UnmarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		price   string
		want    int
		wantErr bool
	}{
		{price: `25000`, want: 25000},
		{price: `123.0`, want: 123},
		{price: `99.6`, want: 100},
		{price: `"123"`, want: 123},
		{price: `null`, want: 0},
		{price: `0`, want: 0},
		{price: `1e3`, want: 1000},
		{price: `"abc"`, wantErr: true},
		{price: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.price, func(t *testing.T) {
			t.Parallel()
			var l Lead
			err := json.Unmarshal([]byte(`{"id":5,"name":"n","price":`+tt.price+`,"closed_at":1}`), &l)
			if tt.wantErr {
				if err == nil {
					t.Errorf("price %s decoded as %d, want an error", tt.price, l.Price)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if int(l.Price) != tt.want || l.ID != 5 || l.Name != "n" || l.ClosedAt == nil || *l.ClosedAt != 1 {
				t.Errorf("decoded %+v, want price %d with the other fields kept", l, tt.want)
			}
		})
	}
	t.Run("MalformedIsUnavailable", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/leads/1", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"id":1,"price":"lots"}`)
		})
		_, _, err := client.Leads.Get(t.Context(), 1, nil)
		if err == nil || !strings.Contains(err.Error(), `amount "lots"`) || !isUnavailable(err) {
			t.Errorf("err = %v, want ErrUnavailable naming the bad amount", err)
		}
	})
}
