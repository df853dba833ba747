package amocrm

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Tags is the whole tag set: nil leaves the contact's tags alone, an empty
// slice clears them, and either way tags_to_add / tags_to_delete still go.
func TestContactsService_TagSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tags []TagRef
		want string // the _embedded key of the body, "" for none
	}{
		{"NilUntouched", nil, ""},
		{"EmptyClears", []TagRef{}, `{"tags":[]}`},
		{"Replaces", []TagRef{{ID: 145471}, {Name: "VIP"}}, `{"tags":[{"id":145471},{"name":"VIP"}]}`},
	}
	withEmbedded := func(body, embedded string) string {
		if embedded == "" {
			return body
		}
		return body[:len(body)-1] + `,"_embedded":` + embedded + `}`
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t)
			mux.HandleFunc("POST /api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
				testJSONBody(t, r, "["+withEmbedded(`{"name":"x","tags_to_add":[{"name":"a"}]}`, tt.want)+"]")
				writeJSON(w, http.StatusOK, fixture(t, "contacts_create.json"))
			})
			mux.HandleFunc("PATCH /api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
				testJSONBody(t, r, "["+withEmbedded(`{"id":3,"tags_to_delete":[{"id":1}]}`, tt.want)+"]")
				writeJSON(w, http.StatusOK, fixture(t, "contacts_update.json"))
			})
			mux.HandleFunc("PATCH /api/v4/contacts/3", func(w http.ResponseWriter, r *http.Request) {
				testJSONBody(t, r, withEmbedded(`{"tags_to_delete":[{"id":1}]}`, tt.want))
				writeJSON(w, http.StatusOK, fixture(t, "contacts_update.json"))
			})
			ctx := t.Context()
			if _, _, err := client.Contacts.Create(ctx, []*CreateContactRequest{{Name: "x", TagsToAdd: []TagRef{{Name: "a"}}, Tags: tt.tags}}); err != nil {
				t.Fatal(err)
			}
			upd := &UpdateContactRequest{ID: 3, TagsToDelete: []TagRef{{ID: 1}}, Tags: tt.tags}
			if _, _, err := client.Contacts.Update(ctx, []*UpdateContactRequest{upd}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := client.Contacts.UpdateOne(ctx, 3, upd); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A field listed with nil Values is sent as "values": null, which clears it
// in amoCRM; fields not listed are not sent at all and stay as they are.
func TestUpdateContactRequest_ClearField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []CustomFieldValues
		want   string
	}{
		{"NoFieldsUntouched", nil, `{"id":3}`},
		{"NilValuesClears", []CustomFieldValues{{FieldID: 5}}, `{"id":3,"custom_fields_values":[{"field_id":5,"values":null}]}`},
		{"ByCode", []CustomFieldValues{{FieldCode: "EMAIL"}}, `{"id":3,"custom_fields_values":[{"field_code":"EMAIL","values":null}]}`},
		{"ClearOneSetAnother", []CustomFieldValues{
			{FieldID: 5},
			{FieldID: 3, Values: []CustomFieldValue{{Value: json.RawMessage(`"+7"`), EnumCode: new("WORK")}}},
		}, `{"id":3,"custom_fields_values":[{"field_id":5,"values":null},{"field_id":3,"values":[{"value":"+7","enum_code":"WORK"}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(&UpdateContactRequest{ID: 3, CustomFieldsValues: tt.fields})
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// An update of a contact that does not exist fails with an *ErrorResponse
// the caller can recognise: 404 for PATCH /api/v4/contacts/{id}, a 400 whose
// validation error has code NotFound at path "id" for a batch element.
func TestContactsService_UpdateMissing(t *testing.T) {
	t.Parallel()

	t.Run("UpdateOne", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/999", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusNotFound, `{"title":"Not Found","type":"https://httpstatus.es/404","status":404,"detail":"Contact not found"}`)
		})
		got, resp, err := client.Contacts.UpdateOne(t.Context(), 999, &UpdateContactRequest{Name: new("x")})
		var er *ErrorResponse
		if got != nil || resp == nil || !errors.As(err, &er) || er.Status != http.StatusNotFound || er.Detail != "Contact not found" || errors.Is(err, ErrUnavailable) {
			t.Errorf("got %v, %v, %#v; want a 404 *ErrorResponse", got, resp, err)
		}
	})

	t.Run("Batch", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, `{"validation-errors":[{"request_id":"1","errors":[{"code":"NotFound","path":"id","detail":"Contact not found."}]}],"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}`)
		})
		_, _, err := client.Contacts.Update(t.Context(), []*UpdateContactRequest{{ID: 3}, {ID: 999}})
		var er *ErrorResponse
		if !errors.As(err, &er) || er.Status != http.StatusBadRequest {
			t.Fatalf("err = %v; want a 400 *ErrorResponse", err)
		}
		want := []ValidationError{{RequestID: "1", Errors: []FieldError{{Code: "NotFound", Path: "id", Detail: "Contact not found."}}}}
		if diff := cmp.Diff(want, er.ValidationErrors); diff != "" {
			t.Errorf("validation errors (-want +got):\n%s", diff)
		}
	})
}
