package amocrm

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-querystring/query"
)

func selfLink(href string) *Links { return &Links{Self: &Link{Href: href}} }

// validationProblem is the 400 answer of amoCRM's error reference.
const validationProblem = `{"validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"The value you selected is not a valid choice."}]}],"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}`

var wantValidationErrors = []ValidationError{{RequestID: "0", Errors: []FieldError{{
	Code: "NotSupportedChoice", Path: "custom_fields_values.0.field_id", Detail: "The value you selected is not a valid choice.",
}}}}

// testValidationErrors asserts a 400 *ErrorResponse with wantValidationErrors.
func testValidationErrors(t *testing.T, err error) {
	t.Helper()
	var er *ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("err = %v, want *ErrorResponse", err)
	}
	if er.Status != 400 || errors.Is(err, ErrUnavailable) {
		t.Errorf("status %d, unavailable %v; want 400, false", er.Status, errors.Is(err, ErrUnavailable))
	}
	if diff := cmp.Diff(wantValidationErrors, er.ValidationErrors); diff != "" {
		t.Errorf("ValidationErrors mismatch (-want +got):\n%s", diff)
	}
}

func TestContactsService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testHeader(t, r, "Authorization", "Bearer "+testToken)
			testQuery(t, r, url.Values{
				"with":                     {"leads,customers"},
				"page":                     {"1"},
				"limit":                    {"2"},
				"query":                    {"Иван"},
				"filter[id][]":             {"7143599", "7767065"},
				"filter[created_at][from]": {"1585758000"},
				"filter[created_at][to]":   {"1586359600"},
				"order[updated_at]":        {"desc"},
			})
			writeJSON(w, http.StatusOK, fixture(t, "contacts_list.json"))
		})
		got, resp, err := client.Contacts.List(t.Context(), &ContactListOptions{
			With: []string{"leads", "customers"}, Page: 1, Limit: 2, Query: "Иван",
			Filter: &ContactFilter{ID: []int{7143599, 7767065}, CreatedAt: &Range{From: 1585758000, To: 1586359600}},
			Order:  &Order{UpdatedAt: "desc"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Contact{
			{
				ID: 7143599, Name: "1", ResponsibleUserID: 504141, CreatedBy: 504141, UpdatedBy: 504141,
				CreatedAt: 1585758065, UpdatedAt: 1585758065, AccountID: 28805383,
				Links:    selfLink("https://example.amocrm.ru/api/v4/contacts/7143599"),
				Embedded: &ContactEmbedded{Tags: []Tag{}, Companies: []EntityRef{}},
			},
			{
				ID: 7767065, Name: "dsgdsg", ResponsibleUserID: 504141, CreatedBy: 504141, UpdatedBy: 504141,
				CreatedAt: 1586359590, UpdatedAt: 1586359590, AccountID: 28805383,
				Links:    selfLink("https://example.amocrm.ru/api/v4/contacts/7767065"),
				Embedded: &ContactEmbedded{Tags: []Tag{}, Companies: []EntityRef{}},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List mismatch (-want +got):\n%s", diff)
		}
		if resp.Page != 1 || resp.NextPage != 2 {
			t.Errorf("Page, NextPage = %d, %d; want 1, 2", resp.Page, resp.NextPage)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "contacts_list.json"), new(contactList))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, url.Values{"page": {"9"}})
			w.WriteHeader(http.StatusNoContent)
		})
		got, resp, err := client.Contacts.List(t.Context(), &ContactListOptions{Page: 9})
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != 0 || resp.NextPage != 0 || resp.StatusCode != 204 {
			t.Errorf("got %#v, NextPage %d, status %d; want an empty slice, 0, 204", got, resp.NextPage, resp.StatusCode)
		}
	})

	t.Run("LastPage", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"_page":3,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/contacts?page=3"}},"_embedded":{"contacts":[{"id":1}]}}`)
		})
		got, resp, err := client.Contacts.List(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || resp.Page != 3 || resp.NextPage != 0 {
			t.Errorf("got %d contacts, Page %d, NextPage %d; want 1, 3, 0", len(got), resp.Page, resp.NextPage)
		}
	})

	t.Run("PaymentRequired", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusPaymentRequired, `{"title":"Payment Required","type":"https://httpstatus.es/402","status":402,"detail":"Account is not paid"}`)
		})
		_, resp, err := client.Contacts.List(t.Context(), nil)
		var er *ErrorResponse
		if !errors.As(err, &er) || er.Status != 402 || er.Detail != "Account is not paid" || resp == nil {
			t.Errorf("err = %v, want *ErrorResponse 402 with the response", err)
		}
	})
}

func TestContactsService_Get(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/3", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"with": {"leads,customers,catalog_elements"}})
			w.Header().Set("X-Request-Id", "b1e8")
			writeJSON(w, http.StatusOK, fixture(t, "contact_get.json"))
		})
		got, resp, err := client.Contacts.Get(t.Context(), 3, &GetOptions{With: []string{"leads", "customers", "catalog_elements"}})
		if err != nil {
			t.Fatal(err)
		}
		want := &Contact{
			ID: 3, Name: "Иван Иванов", FirstName: "Иван", LastName: "Иванов",
			ResponsibleUserID: 504141, CreatedBy: 504141, UpdatedBy: 504141,
			CreatedAt: 1582117331, UpdatedAt: 1590943929,
			CustomFieldsValues: []CustomFieldValues{{
				FieldID: 3, FieldName: "Телефон", FieldCode: "PHONE", FieldType: "multitext",
				Values: []CustomFieldValue{{Value: json.RawMessage(`"+79123"`), EnumID: new(1), Enum: new("WORK")}},
			}},
			AccountID: 28805383,
			Links:     selfLink("https://example.amocrm.ru/api/v4/contacts/3"),
			Embedded: &ContactEmbedded{
				Tags: []Tag{},
				Leads: []EntityRef{
					{ID: 1, Links: selfLink("https://example.amocrm.ru/api/v4/leads/1")},
					{ID: 3916883, Links: selfLink("https://example.amocrm.ru/api/v4/leads/3916883")},
				},
				Customers:       []EntityRef{{ID: 134923, Links: selfLink("https://example.amocrm.ru/api/v4/customers/134923")}},
				CatalogElements: []CatalogElementLink{},
				Companies:       []EntityRef{{ID: 1, Links: selfLink("https://example.amocrm.ru/api/v4/companies/1")}},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Get mismatch (-want +got):\n%s", diff)
		}
		if resp.RequestID != "b1e8" || resp.Page != 0 || resp.NextPage != 0 {
			t.Errorf("resp = %+v", resp)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "contact_get.json"), new(Contact))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/404", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, nil)
			w.WriteHeader(http.StatusNoContent)
		})
		got, resp, err := client.Contacts.Get(t.Context(), 404, nil)
		if got != nil || err != nil || resp == nil || resp.StatusCode != 204 {
			t.Errorf("got %v, %v, %v; want nil contact, a 204 response, nil error", got, resp, err)
		}
	})

	t.Run("CustomFieldValueShapes", func(t *testing.T) {
		t.Parallel()
		// Values of other field types amoCRM sends, kept verbatim.
		raw := `{"id":5,"custom_fields_values":[
			{"field_id":1,"field_name":"Agree","field_code":null,"field_type":"checkbox","values":[{"value":true}]},
			{"field_id":2,"field_name":"Age","field_code":null,"field_type":"numeric","values":[{"value":"42"}]},
			{"field_id":3,"field_name":"Email","field_code":"EMAIL","field_type":"multitext","values":[{"value":"a@b.c","enum_id":11,"enum_code":"WORK"}]},
			{"field_id":4,"field_name":"Org","field_code":null,"field_type":"legal_entity","values":[{"value":{"name":"ООО Ромашка","entity_type":2,"vat_id":"7700000000"}}]},
			{"field_id":5,"field_name":"Model","field_code":null,"field_type":"chained_list","values":[{"catalog_id":1000,"catalog_element_id":2000}]},
			{"field_id":6,"field_name":"Birthday","field_code":null,"field_type":"birthday","values":[{"value":1590943929}]},
			{"field_id":7,"field_name":"Empty","field_code":null,"field_type":"text","values":[{"value":null}]}
		],"_embedded":{"tags":[{"id":9,"name":"vip","color":null}],"catalog_elements":[{"id":44,"metadata":{"quantity":1.5,"catalog_id":1000,"price_id":77}}]}}`
		testNoLoss(t, raw, new(Contact))
	})
}

func TestContactsService_Create(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodPost)
			testQuery(t, r, nil)
			testJSONBody(t, r, fixture(t, "contacts_create_request.json"))
			writeJSON(w, http.StatusOK, fixture(t, "contacts_create.json"))
		})
		// The request of the docs' example.
		got, _, err := client.Contacts.Create(t.Context(), []*CreateContactRequest{
			{
				FirstName: "Петр", LastName: "Смирнов",
				CustomFieldsValues: []CustomFieldValues{{FieldID: 271316, Values: []CustomFieldValue{{Value: json.RawMessage(`"Директор"`)}}}},
			},
			{Name: "Владимир Смирнов", CreatedBy: 47272, TagsToAdd: []TagRef{{Name: "Тег контакта"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Contact{
			{ID: 40401635, RequestID: "0", Links: selfLink("https://example.amocrm.ru/api/v4/contacts/40401635")},
			{ID: 40401636, RequestID: "1", Links: selfLink("https://example.amocrm.ru/api/v4/contacts/40401636")},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Create mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "contacts_create.json"), new(contactList))
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		got, resp, err := client.Contacts.Create(t.Context(), []*CreateContactRequest{{
			Name:               "x",
			CustomFieldsValues: []CustomFieldValues{{FieldID: 1, Values: []CustomFieldValue{{Value: json.RawMessage(`"y"`)}}}},
		}})
		if got != nil || resp == nil {
			t.Errorf("got %v, resp %v; want no contacts and the response", got, resp)
		}
		testValidationErrors(t, err)
	})
}

func TestContactsService_Update(t *testing.T) {
	t.Parallel()

	// The request of the docs' example.
	example := func() *UpdateContactRequest {
		return &UpdateContactRequest{
			ID: 3, FirstName: new("Иван"), LastName: new("Иванов"),
			CustomFieldsValues: []CustomFieldValues{{
				FieldID: 66192, FieldName: "Телефон",
				Values: []CustomFieldValue{{Value: json.RawMessage(`"79999999999"`), EnumCode: new("WORK")}},
			}},
			TagsToDelete: []TagRef{{ID: 145471}},
		}
	}
	wantUpdated := []*Contact{{ID: 3, Name: "Иван Иванов", UpdatedAt: 1590945248, Links: selfLink("https://example.amocrm.ru/api/v4/contacts/3")}}

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodPatch)
			testJSONBody(t, r, "["+fixture(t, "contacts_update_request.json")+"]")
			writeJSON(w, http.StatusOK, fixture(t, "contacts_update.json"))
		})
		got, _, err := client.Contacts.Update(t.Context(), []*UpdateContactRequest{example()})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantUpdated, got); diff != "" {
			t.Errorf("Update mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("EmptyStringIsSent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[{"id":3,"last_name":"","responsible_user_id":0}]`)
			writeJSON(w, http.StatusOK, fixture(t, "contacts_update.json"))
		})
		if _, _, err := client.Contacts.Update(t.Context(), []*UpdateContactRequest{{ID: 3, LastName: new(""), ResponsibleUserID: new(0)}}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "contacts_update.json"), new(contactList))
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Contacts.Update(t.Context(), []*UpdateContactRequest{example()})
		testValidationErrors(t, err)
	})

	t.Run("UpdateOne", func(t *testing.T) {
		t.Parallel()
		// The body goes without id; the answer may be the documented
		// collection or a single contact.
		wantBody := `{"first_name":"Иван","last_name":"Иванов","custom_fields_values":[{"field_id":66192,"field_name":"Телефон","values":[{"value":"79999999999","enum_code":"WORK"}]}],"tags_to_delete":[{"id":145471}]}`
		answers := map[string]string{
			"Collection":   fixture(t, "contacts_update.json"),
			"SingleObject": `{"id":3,"name":"Иван Иванов","updated_at":1590945248,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/contacts/3"}}}`,
		}
		for name, answer := range answers {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				client, mux := setup(t)
				mux.HandleFunc("/api/v4/contacts/3", func(w http.ResponseWriter, r *http.Request) {
					testMethod(t, r, http.MethodPatch)
					testJSONBody(t, r, wantBody)
					writeJSON(w, http.StatusOK, answer)
				})
				req := example()
				got, _, err := client.Contacts.UpdateOne(t.Context(), 3, req)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(wantUpdated[0], got); diff != "" {
					t.Errorf("UpdateOne mismatch (-want +got):\n%s", diff)
				}
				if req.ID != 3 {
					t.Error("UpdateOne modified the caller's request")
				}
			})
		}
	})

	t.Run("UpdateOneValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/3", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Contacts.UpdateOne(t.Context(), 3, &UpdateContactRequest{Name: new("x")})
		testValidationErrors(t, err)
	})
}

// Custom field filters are keyed by field id, as amoCRM expects.
func TestContactFilter_CustomFields(t *testing.T) {
	t.Parallel()
	from, to := 30.0, 40.5
	q, err := query.Values(&ContactListOptions{Filter: &ContactFilter{CustomFieldsValues: CustomFieldFilters{
		{FieldID: 3, Values: []string{"+79123", "+7000"}},
		{FieldID: 271319, From: &from, To: &to},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"filter[custom_fields_values][3][]":          {"+79123", "+7000"},
		"filter[custom_fields_values][271319][from]": {"30"},
		"filter[custom_fields_values][271319][to]":   {"40.5"},
	}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}
