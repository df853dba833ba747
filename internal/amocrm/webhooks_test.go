package amocrm

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// webhookListFixture has the shape of amoCRM's GET /api/v4/webhooks answer
// (https://www.amocrm.ru/developers/content/crm_platform/webhooks-format):
// one id a number, one a string, as different answers carry them.
const webhookListFixture = `{
  "_total_items": 2,
  "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/webhooks"}},
  "_embedded": {"webhooks": [
    {"id": 1264, "destination": "https://gw.example.com/webhooks/amocrm/s3cr3t", "created_at": 1700000000,
     "updated_at": 1700000100, "account_id": 28805383, "created_by": 504141, "sort": 10, "disabled": false,
     "settings": ["add_contact", "update_contact", "status_lead"]},
    {"id": "5fe2b1", "destination": "https://other.example.com/hook", "created_at": 1600000000,
     "updated_at": 1600000000, "account_id": 28805383, "created_by": 504141, "sort": 1, "disabled": true,
     "settings": ["add_lead"]}
  ]}
}`

func TestWebhooksService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testHeader(t, r, "Authorization", "Bearer "+testToken)
			testQuery(t, r, url.Values{"filter[destination]": {"https://gw.example.com/webhooks/amocrm/s3cr3t"}})
			writeJSON(w, http.StatusOK, webhookListFixture)
		})
		got, _, err := client.Webhooks.List(t.Context(), &WebhookListOptions{
			Filter: &WebhookFilter{Destination: "https://gw.example.com/webhooks/amocrm/s3cr3t"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []*Webhook{
			{ID: "1264", Destination: "https://gw.example.com/webhooks/amocrm/s3cr3t", CreatedAt: 1700000000,
				UpdatedAt: 1700000100, AccountID: 28805383, CreatedBy: 504141, Sort: 10,
				Settings: []string{"add_contact", "update_contact", "status_lead"}},
			{ID: "5fe2b1", Destination: "https://other.example.com/hook", CreatedAt: 1600000000,
				UpdatedAt: 1600000000, AccountID: 28805383, CreatedBy: 504141, Sort: 1, Disabled: true,
				Settings: []string{"add_lead"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoOptions", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, nil)
			writeJSON(w, http.StatusOK, webhookListFixture)
		})
		got, _, err := client.Webhooks.List(t.Context(), nil)
		if err != nil || len(got) != 2 {
			t.Errorf("got %d webhooks, %v; want 2, nil", len(got), err)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})
		got, _, err := client.Webhooks.List(t.Context(), nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})

	t.Run("Forbidden", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusForbidden, `{"title":"Forbidden","type":"https://httpstatus.es/403","status":403,"detail":"Access denied"}`)
		})
		_, _, err := client.Webhooks.List(t.Context(), nil)
		var er *ErrorResponse
		if !errors.As(err, &er) || er.Status != http.StatusForbidden {
			t.Errorf("err = %v, want *ErrorResponse 403", err)
		}
	})
}

func TestWebhooksService_Subscribe(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodPost)
			testJSONBody(t, r, `{"destination":"https://gw.example.com/webhooks/amocrm/s3cr3t","settings":["add_contact","update_contact"],"sort":10}`)
			writeJSON(w, http.StatusOK, `{"id":1264,"destination":"https://gw.example.com/webhooks/amocrm/s3cr3t",
				"created_at":1700000000,"updated_at":1700000000,"account_id":28805383,"created_by":504141,"sort":10,
				"disabled":false,"settings":["add_contact","update_contact"]}`)
		})
		got, _, err := client.Webhooks.Subscribe(t.Context(), &SubscribeWebhookRequest{
			Destination: "https://gw.example.com/webhooks/amocrm/s3cr3t",
			Settings:    []string{"add_contact", "update_contact"},
			Sort:        10,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := &Webhook{ID: "1264", Destination: "https://gw.example.com/webhooks/amocrm/s3cr3t",
			CreatedAt: 1700000000, UpdatedAt: 1700000000, AccountID: 28805383, CreatedBy: 504141, Sort: 10,
			Settings: []string{"add_contact", "update_contact"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Subscribe mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoSort", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `{"destination":"https://gw.example.com/h","settings":["add_lead"]}`)
			writeJSON(w, http.StatusOK, `{"id":"1","destination":"https://gw.example.com/h","settings":["add_lead"]}`)
		})
		if _, _, err := client.Webhooks.Subscribe(t.Context(), &SubscribeWebhookRequest{
			Destination: "https://gw.example.com/h", Settings: []string{"add_lead"},
		}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusBadRequest, `{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}`)
		})
		_, _, err := client.Webhooks.Subscribe(t.Context(), &SubscribeWebhookRequest{Destination: "https://x", Settings: []string{"nope"}})
		var er *ErrorResponse
		if !errors.As(err, &er) || er.Status != http.StatusBadRequest {
			t.Errorf("err = %v, want *ErrorResponse 400", err)
		}
	})

	t.Run("ArgumentErrors", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t) // no handler: a call would fail the test's base-path mux
		for name, r := range map[string]*SubscribeWebhookRequest{
			"Nil":           nil,
			"NoDestination": {Settings: []string{"add_lead"}},
			"NoSettings":    {Destination: "https://gw.example.com/h"},
		} {
			_, resp, err := client.Webhooks.Subscribe(t.Context(), r)
			var ae *ArgumentError
			if !errors.As(err, &ae) || resp != nil {
				t.Errorf("%s: err = %v, resp = %v; want *ArgumentError and no call", name, err, resp)
			}
		}
	})
}

func TestWebhooksService_Unsubscribe(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodDelete)
			testJSONBody(t, r, `{"destination":"https://gw.example.com/webhooks/amocrm/s3cr3t"}`)
			w.WriteHeader(http.StatusNoContent)
		})
		resp, err := client.Webhooks.Unsubscribe(t.Context(), "https://gw.example.com/webhooks/amocrm/s3cr3t")
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Errorf("got %v, %v; want 204, nil", resp, err)
		}
	})

	t.Run("NoDestination", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		var ae *ArgumentError
		if _, err := client.Webhooks.Unsubscribe(t.Context(), " "); !errors.As(err, &ae) {
			t.Errorf("err = %v, want *ArgumentError", err)
		}
	})
}
