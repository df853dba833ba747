package amocrm

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The lead list sends every documented filter, custom fields included,
// under its exact key.
func TestLeadsService_ListFilters(t *testing.T) {
	t.Parallel()
	from, to := 100.0, 500.5
	tests := []struct {
		name string
		opts *LeadListOptions
		want url.Values
	}{
		{
			name: "Board",
			opts: &LeadListOptions{
				Limit: 50, Page: 2, Query: "договор",
				Filter: &LeadFilter{
					Statuses:          LeadStatuses{{PipelineID: 3177727, StatusID: 32392159}, {PipelineID: 3177728}},
					ResponsibleUserID: []int{123123, 504141},
				},
				Order: &Order{UpdatedAt: "desc"},
			},
			want: url.Values{
				"limit": {"50"}, "page": {"2"}, "query": {"договор"},
				"filter[statuses][0][pipeline_id]": {"3177727"}, "filter[statuses][0][status_id]": {"32392159"},
				"filter[statuses][1][pipeline_id]": {"3177728"},
				"filter[responsible_user_id][]":    {"123123", "504141"},
				"order[updated_at]":                {"desc"},
			},
		},
		{
			name: "EveryFilter",
			opts: &LeadListOptions{
				With: []string{"contacts", "loss_reason"},
				Filter: &LeadFilter{
					ID: IDs{1, 2}, Name: []string{"A", "B"}, Price: &Range{From: 1000, To: 2000},
					PipelineID: []int{5597036, 5635013}, CreatedBy: []int{3}, UpdatedBy: []int{4},
					CreatedAt: &Range{From: 1668784000, To: 1671165900}, UpdatedAt: &Range{From: 5},
					ClosedAt: &Range{From: 1669825320}, ClosestTaskAt: &Range{To: 9},
					CustomFieldsValues: CustomFieldFilters{
						{FieldID: 1278898021, Values: []string{"a", "b"}},
						{FieldID: 77, From: &from, To: &to},
					},
				},
				Order: &Order{CreatedAt: "asc"},
			},
			want: url.Values{
				"with":         {"contacts,loss_reason"},
				"filter[id][]": {"1", "2"}, "filter[name][]": {"A", "B"},
				"filter[price][from]": {"1000"}, "filter[price][to]": {"2000"},
				"filter[pipeline_id][]": {"5597036", "5635013"},
				"filter[created_by][]":  {"3"}, "filter[updated_by][]": {"4"},
				"filter[created_at][from]": {"1668784000"}, "filter[created_at][to]": {"1671165900"},
				"filter[updated_at][from]": {"5"}, "filter[closed_at][from]": {"1669825320"},
				"filter[closest_task_at][to]":                {"9"},
				"filter[custom_fields_values][1278898021][]": {"a", "b"},
				"filter[custom_fields_values][77][from]":     {"100"},
				"filter[custom_fields_values][77][to]":       {"500.5"},
				"order[created_at]":                          {"asc"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t)
			mux.HandleFunc("GET /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, tt.want)
				writeJSON(w, http.StatusOK, `{"_page":1,"_embedded":{"leads":[`+fixture(t, "lead_get.json")+`]}}`)
			})
			got, _, err := client.Leads.List(t.Context(), tt.opts)
			if err != nil || len(got) != 1 || got[0].Price != 25000 || got[0].StatusID != 2030 || got[0].PipelineID != 1113 {
				t.Errorf("got %+v, %v", got, err)
			}
		})
	}
}

func TestLeadsService_Create(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[
				{"name":"Сделка для примера 1","price":20000,"status_id":32392159,"pipeline_id":3177727,"responsible_user_id":123123,
				 "custom_fields_values":[{"field_id":294471,"values":[{"value":"Наш первый клиент"}]}],
				 "_embedded":{"tags":[{"name":"Новый"}],"contacts":[{"id":3,"is_main":true}],"companies":[{"id":1}]}},
				{"name":"Сделка для примера 2","price":10000,"request_id":"lead-b"}
			]`)
			writeJSON(w, http.StatusOK, fixture(t, "leads_create.json"))
		})
		got, _, err := client.Leads.Create(t.Context(), []*CreateLeadRequest{
			{
				Name: "Сделка для примера 1", Price: 20000, StatusID: 32392159, PipelineID: 3177727, ResponsibleUserID: 123123,
				CustomFieldsValues: []CustomFieldValues{{FieldID: 294471, Values: []CustomFieldValue{{Value: json.RawMessage(`"Наш первый клиент"`)}}}},
				Tags:               []TagRef{{Name: "Новый"}},
				Contacts:           []EntityRef{{ID: 3, IsMain: new(true), Links: selfLink("dropped")}},
				Companies:          []EntityRef{{ID: 1}},
			},
			{Name: "Сделка для примера 2", Price: 10000, RequestID: "lead-b"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Lead{
			{ID: 10185151, RequestID: "0", Links: selfLink("https://example.amocrm.ru/api/v4/leads/10185151")},
			{ID: 10185153, RequestID: "lead-b", Links: selfLink("https://example.amocrm.ru/api/v4/leads/10185153")},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Create mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		got, resp, err := client.Leads.Create(t.Context(), []*CreateLeadRequest{{Name: "x"}})
		if got != nil || resp == nil {
			t.Errorf("got %v, %v; want no leads and the response", got, resp)
		}
		testValidationErrors(t, err)
	})

	t.Run("TooMany", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		reqs := make([]*CreateLeadRequest, MaxBatch+1)
		for i := range reqs {
			reqs[i] = &CreateLeadRequest{}
		}
		_, _, err := client.Leads.Create(t.Context(), reqs)
		var ae *ArgumentError
		if !errors.As(err, &ae) || ae.Arg != "reqs" {
			t.Errorf("err = %v, want *ArgumentError for reqs", err)
		}
	})
}

// A status move is a PATCH with status_id and pipeline_id; a lost lead
// carries its loss reason. Zero values behind pointers are sent.
func TestLeadsService_Update(t *testing.T) {
	t.Parallel()

	t.Run("StatusMove", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("PATCH /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[
				{"id":54886,"status_id":32392159,"pipeline_id":3177727,"price":0},
				{"id":54884,"status_id":143,"pipeline_id":3177727,"loss_reason_id":7,"tags_to_delete":[{"id":1}],"_embedded":{"tags":[]}}
			]`)
			writeJSON(w, http.StatusOK, fixture(t, "leads_update.json"))
		})
		got, _, err := client.Leads.Update(t.Context(), []*UpdateLeadRequest{
			{ID: 54886, StatusID: new(32392159), PipelineID: new(3177727), Price: new(0)},
			{ID: 54884, StatusID: new(StatusLost), PipelineID: new(3177727), LossReasonID: new(7), TagsToDelete: []TagRef{{ID: 1}}, Tags: []TagRef{}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Lead{
			{ID: 54886, UpdatedAt: 1589556420, Links: selfLink("https://example.amocrm.ru/api/v4/leads/54886")},
			{ID: 54884, UpdatedAt: 1589556420, Links: selfLink("https://example.amocrm.ru/api/v4/leads/54884")},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("PerItemErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("PATCH /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, `{"validation-errors":[{"request_id":"1","errors":[{"code":"NotFound","path":"id","detail":"Lead not found."},{"code":"NotSupportedChoice","path":"status_id","detail":"The value you selected is not a valid choice."}]}],"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}`)
		})
		_, _, err := client.Leads.Update(t.Context(), []*UpdateLeadRequest{{ID: 1}, {ID: 999, StatusID: new(5)}})
		var er *ErrorResponse
		if !errors.As(err, &er) || er.Status != http.StatusBadRequest {
			t.Fatalf("err = %v; want a 400 *ErrorResponse", err)
		}
		want := []ValidationError{{RequestID: "1", Errors: []FieldError{
			{Code: "NotFound", Path: "id", Detail: "Lead not found."},
			{Code: "NotSupportedChoice", Path: "status_id", Detail: "The value you selected is not a valid choice."},
		}}}
		if diff := cmp.Diff(want, er.ValidationErrors); diff != "" {
			t.Errorf("validation errors (-want +got):\n%s", diff)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("PATCH /api/v4/leads", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Leads.Update(t.Context(), []*UpdateLeadRequest{{ID: 1, Name: new("")}})
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})
}

func TestLeadsService_CreateComplex(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/leads/complex", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[
				{"name":"Сделка","price":3453,"request_id":"1","_embedded":{
					"contacts":[{"first_name":"Евгений","custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+79123","enum_code":"WORK"}]}]}],
					"companies":[{"name":"ООО Рога и Копыта"}],
					"tags":[{"name":"сайт"}]}},
				{"name":"Только сделка","request_id":"2","_embedded":{"contacts":[{"name":"Иван","_embedded":{"tags":[{"id":5}]}}]}}
			]`)
			writeJSON(w, http.StatusOK, fixture(t, "leads_complex.json"))
		})
		got, _, err := client.Leads.CreateComplex(t.Context(), []*ComplexLeadRequest{
			{
				Lead: CreateLeadRequest{Name: "Сделка", Price: 3453, RequestID: "1", Tags: []TagRef{{Name: "сайт"}}},
				Contact: &CreateContactRequest{FirstName: "Евгений", CustomFieldsValues: []CustomFieldValues{
					{FieldCode: "PHONE", Values: []CustomFieldValue{{Value: json.RawMessage(`"+79123"`), EnumCode: new("WORK")}}},
				}},
				Company: &CreateCompanyRequest{Name: "ООО Рога и Копыта"},
			},
			{Lead: CreateLeadRequest{Name: "Только сделка", RequestID: "2"}, Contact: &CreateContactRequest{Name: "Иван", Tags: []TagRef{{ID: 5}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*ComplexLeadResult{
			{ID: 9774766, ContactID: 12117258, CompanyID: 12117260, RequestID: []string{"1"}},
			{ID: 9774770, ContactID: 12117262, RequestID: []string{"2"}, Merged: true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CreateComplex mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/leads/complex", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Leads.CreateComplex(t.Context(), []*ComplexLeadRequest{{Lead: CreateLeadRequest{Name: "x"}}})
		testValidationErrors(t, err)
	})

	t.Run("Arguments", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		tooMany := make([]*ComplexLeadRequest, MaxComplexBatch+1)
		for i := range tooMany {
			tooMany[i] = &ComplexLeadRequest{}
		}
		for _, tt := range []struct {
			name string
			reqs []*ComplexLeadRequest
			arg  string
		}{
			{"Empty", nil, "reqs"},
			{"TooMany", tooMany, "reqs"},
			{"LinksExisting", []*ComplexLeadRequest{{}, {Lead: CreateLeadRequest{Contacts: []EntityRef{{ID: 3}}}}}, "reqs[1].Lead"},
		} {
			_, _, err := client.Leads.CreateComplex(t.Context(), tt.reqs)
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Arg != tt.arg {
				t.Errorf("%s: err = %v, want *ArgumentError for %s", tt.name, err, tt.arg)
			}
		}
	})
}

func TestLead_LossReason(t *testing.T) {
	t.Parallel()
	client, mux := setup(t)
	mux.HandleFunc("GET /api/v4/leads/5", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"with": {"loss_reason"}})
		writeJSON(w, http.StatusOK, `{"id":5,"status_id":143,"loss_reason_id":7,"_embedded":{"tags":[],"loss_reason":[{"id":7,"name":"Дорого","sort":10000,"created_at":1589306013,"updated_at":1589306013,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/leads/loss_reasons/7"}}}]}}`)
	})
	got, _, err := client.Leads.Get(t.Context(), 5, &GetOptions{With: []string{"loss_reason"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []LossReason{{ID: 7, Name: "Дорого", Sort: 10000, CreatedAt: 1589306013, UpdatedAt: 1589306013, Links: selfLink("https://example.amocrm.ru/api/v4/leads/loss_reasons/7")}}
	if diff := cmp.Diff(want, got.Embedded.LossReason); diff != "" || got.LossReasonID == nil || *got.LossReasonID != 7 {
		t.Errorf("loss reason mismatch (-want +got):\n%s", diff)
	}
}
