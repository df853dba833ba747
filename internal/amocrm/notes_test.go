package amocrm

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var wantNotes = []*Note{
	{
		ID: 42709325, EntityID: 26050861, CreatedBy: 940088, UpdatedBy: 940088, CreatedAt: 1540407495, UpdatedAt: 1540408317,
		ResponsibleUserID: 940088, NoteType: NoteCommon, Params: json.RawMessage(`{"text": "Текст примечания"}`), AccountID: 17079858,
		Links: selfLink("https://example.amocrm.ru/api/v4/leads/26050861/notes/42709325"),
	},
	{
		ID: 42709841, EntityID: 26050861, CreatedBy: 940088, UpdatedBy: 940088, CreatedAt: 1540408617, UpdatedAt: 1540408617,
		ResponsibleUserID: 940088, NoteType: NoteCallIn,
		Params:    json.RawMessage(`{"uniq": "8f52d38a-5fb3-406d-93a3-a4832dc28f8b", "duration": 60, "source": "onlinePBX", "link": "https://example.com/call.mp3", "phone": "+79999999999"}`),
		AccountID: 17079858, Links: selfLink("https://example.amocrm.ru/api/v4/leads/26050861/notes/42709841"),
	},
}

// jsonEqual compares raw JSON by value, so that the tests do not depend on
// the fixture's spacing.
var jsonEqual = cmp.Comparer(func(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
})

func TestNotesService_List(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string
		call func(c *Client, t *testing.T) ([]*Note, *Response, error)
		want url.Values
	}{
		{
			name: "ByEntity",
			path: "GET /api/v4/leads/26050861/notes",
			call: func(c *Client, t *testing.T) ([]*Note, *Response, error) {
				return c.Notes.ListByEntity(t.Context(), "leads", 26050861, &NoteListOptions{
					Limit: 2, Filter: &NoteFilter{NoteType: []string{NoteCommon, NoteCallIn}}, Order: &Order{UpdatedAt: "desc"},
				})
			},
			want: url.Values{"limit": {"2"}, "filter[note_type][]": {"common", "call_in"}, "order[updated_at]": {"desc"}},
		},
		{
			name: "OfManyEntities",
			path: "GET /api/v4/leads/notes",
			call: func(c *Client, t *testing.T) ([]*Note, *Response, error) {
				return c.Notes.List(t.Context(), "leads", &NoteListOptions{
					Page: 2, Filter: &NoteFilter{EntityID: IDs{26050861, 5}, ID: IDs{42709325}, UpdatedAt: &Range{From: 1540407495}},
					Order: &Order{ID: "asc"},
				})
			},
			want: url.Values{
				"page": {"2"}, "filter[entity_id][]": {"26050861", "5"}, "filter[id][]": {"42709325"},
				"filter[updated_at][from]": {"1540407495"}, "order[id]": {"asc"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t)
			mux.HandleFunc(tt.path, func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, tt.want)
				writeJSON(w, http.StatusOK, fixture(t, "notes_list.json"))
			})
			got, resp, err := tt.call(client, t)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantNotes, got, jsonEqual); diff != "" {
				t.Errorf("List mismatch (-want +got):\n%s", diff)
			}
			if resp.Page != 1 || resp.NextPage != 0 {
				t.Errorf("Page, NextPage = %d, %d; want 1, 0", resp.Page, resp.NextPage)
			}
		})
	}

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "notes_list.json"), new(noteList))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/contacts/3/notes", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Notes.ListByEntity(t.Context(), "contacts", 3, nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})

	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/companies/notes/9", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"id":9,"entity_id":1,"note_type":"service_message","params":{"service":"Интеграция","text":"Готово"}}`)
		})
		got, _, err := client.Notes.Get(t.Context(), "companies", 9)
		want := &Note{ID: 9, EntityID: 1, NoteType: NoteServiceMessage, Params: json.RawMessage(`{"service":"Интеграция","text":"Готово"}`)}
		if diff := cmp.Diff(want, got, jsonEqual); err != nil || diff != "" {
			t.Errorf("Get: %v (-want +got):\n%s", err, diff)
		}
	})

	t.Run("Arguments", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		for _, tt := range []struct {
			name string
			call func() error
			arg  string
		}{
			{"EntityType", func() error { _, _, err := client.Notes.List(t.Context(), "tasks", nil); return err }, "entityType"},
			{"EntityID", func() error { _, _, err := client.Notes.ListByEntity(t.Context(), "leads", 0, nil); return err }, "entityID"},
			{"EntityIDFilter", func() error {
				_, _, err := client.Notes.ListByEntity(t.Context(), "leads", 1, &NoteListOptions{Filter: &NoteFilter{EntityID: IDs{2}}})
				return err
			}, "filter[entity_id]"},
			{"Limit", func() error {
				_, _, err := client.Notes.List(t.Context(), "leads", &NoteListOptions{Limit: 251})
				return err
			}, "limit"},
			{"OrderCreatedAt", func() error {
				_, _, err := client.Notes.List(t.Context(), "leads", &NoteListOptions{Order: &Order{CreatedAt: "asc"}})
				return err
			}, "order[created_at]"},
		} {
			err := tt.call()
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Arg != tt.arg {
				t.Errorf("%s: err = %v, want *ArgumentError for %s", tt.name, err, tt.arg)
			}
		}
	})
}

func TestNotesService_Add(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/leads/notes", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `[
				{"entity_id":167353,"note_type":"common","params":{"text":"Текст \"примечания\" <b>"}},
				{"entity_id":167353,"note_type":"call_in","params":{"uniq":"8f52d38a","duration":60,"source":"example","link":"https://example.com","phone":"+79999999999"},"created_by":504141,"request_id":"call"}
			]`)
			writeJSON(w, http.StatusOK, fixture(t, "notes_add.json"))
		})
		got, _, err := client.Notes.Add(t.Context(), "leads", []*AddNoteRequest{
			{EntityID: 167353, NoteType: NoteCommon, Params: NoteText(`Текст "примечания" <b>`)},
			{
				EntityID: 167353, NoteType: NoteCallIn, CreatedBy: 504141, RequestID: "call",
				Params: json.RawMessage(`{"uniq":"8f52d38a","duration":60,"source":"example","link":"https://example.com","phone":"+79999999999"}`),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Note{
			{ID: 76787983, EntityID: 167353, RequestID: "0", Links: selfLink("https://example.amocrm.ru/api/v4/leads/167353/notes/76787983")},
			{ID: 76787985, EntityID: 167353, RequestID: "1", Links: selfLink("https://example.amocrm.ru/api/v4/leads/167353/notes/76787985")},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Add mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("POST /api/v4/contacts/notes", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Notes.Add(t.Context(), "contacts", []*AddNoteRequest{{EntityID: 1, NoteType: "bogus"}})
		testValidationErrors(t, err)
	})

	t.Run("Arguments", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		for _, tt := range []struct {
			name       string
			entityType string
			reqs       []*AddNoteRequest
			arg        string
		}{
			{"EntityType", "lead", []*AddNoteRequest{{EntityID: 1}}, "entityType"},
			{"Empty", "leads", nil, "reqs"},
			{"EntityID", "leads", []*AddNoteRequest{{EntityID: 1}, {NoteType: NoteCommon}}, "reqs[1].EntityID"},
			{"BadParams", "leads", []*AddNoteRequest{{EntityID: 1, Params: json.RawMessage(`{"text":`)}}, "reqs[0].Params"},
		} {
			_, _, err := client.Notes.Add(t.Context(), tt.entityType, tt.reqs)
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Arg != tt.arg {
				t.Errorf("%s: err = %v, want *ArgumentError for %s", tt.name, err, tt.arg)
			}
		}
	})
}
