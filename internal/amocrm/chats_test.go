package amocrm

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContactsService_ListChats(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/chats", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			// Top-level parameters, not filter[...].
			testQuery(t, r, url.Values{"contact_id[]": {"3102959", "5"}, "chat_id[]": {"6cbab3d5-c4c1-46ff-b710-ad59ad10805f"}})
			writeJSON(w, http.StatusOK, fixture(t, "chats_list.json"))
		})
		got, resp, err := client.Contacts.ListChats(t.Context(), &ChatListOptions{
			ContactID: []int{3102959, 5}, ChatID: []string{"6cbab3d5-c4c1-46ff-b710-ad59ad10805f"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*ChatLink{{ID: 26219, ContactID: 3102959, ChatID: "6cbab3d5-c4c1-46ff-b710-ad59ad10805f"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListChats mismatch (-want +got):\n%s", diff)
		}
		if resp.TotalItems != 1 || resp.NextPage != 0 {
			t.Errorf("TotalItems, NextPage = %d, %d; want 1, 0", resp.TotalItems, resp.NextPage)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "chats_list.json"), new(chatLinkList))
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/chats", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})
		got, resp, err := client.Contacts.ListChats(t.Context(), &ChatListOptions{ContactID: []int{1}})
		if err != nil || got == nil || len(got) != 0 || resp.TotalItems != 0 {
			t.Errorf("got %v, %+v, %v; want an empty slice", got, resp, err)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/chats", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, validationProblem)
		})
		_, _, err := client.Contacts.ListChats(t.Context(), &ChatListOptions{ChatID: []string{"bad"}})
		testValidationErrors(t, err)
	})
}

func TestContactsService_LinkChats(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/chats", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodPost)
			testJSONBody(t, r, fixture(t, "chats_link_request.json"))
			writeJSON(w, http.StatusOK, fixture(t, "chats_link.json"))
		})
		got, resp, err := client.Contacts.LinkChats(t.Context(), []*LinkChatRequest{
			{ContactID: 3102959, ChatID: "6cbab3d5-c4c1-46ff-b710-ad59ad10805f"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*ChatLink{{ID: 26219, ContactID: 3102959, ChatID: "6cbab3d5-c4c1-46ff-b710-ad59ad10805f", RequestID: "0"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LinkChats mismatch (-want +got):\n%s", diff)
		}
		if resp.TotalItems != 1 {
			t.Errorf("TotalItems = %d, want 1", resp.TotalItems)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "chats_link.json"), new(chatLinkList))
	})

	t.Run("Forbidden", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/chats", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusForbidden, `{"title":"Forbidden","type":"https://httpstatus.es/403","status":403,"detail":"Access denied"}`)
		})
		_, _, err := client.Contacts.LinkChats(t.Context(), []*LinkChatRequest{{ContactID: 1, ChatID: "c", RequestID: "r1"}})
		if er, ok := err.(*ErrorResponse); !ok || er.Status != 403 {
			t.Errorf("err = %v, want *ErrorResponse 403", err)
		}
	})
}
