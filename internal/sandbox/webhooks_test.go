package sandbox

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// webhooksList decodes a GET /api/v4/webhooks answer (nil for a 204).
func webhooksList(t *testing.T, r reply) []webhookJSON {
	t.Helper()
	if r.status == http.StatusNoContent {
		if len(r.body) != 0 {
			t.Errorf("204 with body %q", r.body)
		}
		return nil
	}
	if r.status != http.StatusOK || r.header.Get("Content-Type") != contentHAL {
		t.Fatalf("status = %d (%s), body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var a webhooksAnswer
	r.decode(t, &a)
	if a.TotalItems != len(a.Embedded["webhooks"]) {
		t.Errorf("_total_items = %d for %d webhooks", a.TotalItems, len(a.Embedded["webhooks"]))
	}
	return a.Embedded["webhooks"]
}

func TestWebhooks_SubscribeListUnsubscribe(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)

	if got := webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil)); got != nil {
		t.Fatalf("fresh account lists %+v", got)
	}
	r := call(t, srv, "POST", "/api/v4/webhooks", map[string]any{
		"destination": "http://127.0.0.1:1/hook", "settings": []string{"add_contact", "update_contact"}, "sort": 10,
	})
	if r.status != http.StatusOK {
		t.Fatalf("subscribe: %d %s", r.status, r.body)
	}
	var created webhookJSON
	r.decode(t, &created)
	want := webhookJSON{
		ID: firstWebhookID, Destination: "http://127.0.0.1:1/hook", CreatedAt: created.CreatedAt, UpdatedAt: created.CreatedAt,
		AccountID: AccountID, CreatedBy: DefaultUserID, Sort: 10, Settings: []string{"add_contact", "update_contact"},
	}
	if diff := cmp.Diff(want, created); diff != "" || created.CreatedAt == 0 {
		t.Errorf("subscribe answer (-want +got):\n%s", diff)
	}
	call(t, srv, "POST", "/api/v4/webhooks", map[string]any{"destination": "https://example.com/other", "settings": []string{"add_lead"}, "sort": 5})

	list := webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil))
	if len(list) != 2 || list[0].Destination != "https://example.com/other" || list[1].ID != firstWebhookID {
		t.Errorf("list (sort order) = %+v", list)
	}
	list = webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks?filter[destination]=http://127.0.0.1:1/hook", nil))
	if diff := cmp.Diff([]webhookJSON{want}, list); diff != "" {
		t.Errorf("filtered list (-want +got):\n%s", diff)
	}
	if got := webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks?filter[destination]=http://127.0.0.1:1/nope", nil)); got != nil {
		t.Errorf("filter on an unknown destination lists %+v", got)
	}

	// Posting the same destination again updates it in place.
	r = call(t, srv, "POST", "/api/v4/webhooks", map[string]any{"destination": "http://127.0.0.1:1/hook", "settings": []string{"delete_contact"}})
	var again webhookJSON
	r.decode(t, &again)
	if again.ID != firstWebhookID || !cmp.Equal(again.Settings, []string{"delete_contact"}) || again.Sort != 0 {
		t.Errorf("re-subscribe = %+v", again)
	}
	if n := len(webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil))); n != 2 {
		t.Errorf("re-subscribe made %d subscriptions, want 2", n)
	}

	for range 2 { // unsubscribing twice is harmless
		if r := call(t, srv, "DELETE", "/api/v4/webhooks", map[string]any{"destination": "http://127.0.0.1:1/hook"}); r.status != http.StatusNoContent {
			t.Fatalf("unsubscribe: %d %s", r.status, r.body)
		}
	}
	list = webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil))
	if len(list) != 1 || list[0].Destination != "https://example.com/other" {
		t.Errorf("after unsubscribe: %+v", list)
	}
	if got := sb.Calls("POST /api/v4/webhooks"); got != 3 {
		t.Errorf("Calls(POST /api/v4/webhooks) = %d, want 3", got)
	}
}

func TestWebhooks_Validation(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData())
	tests := []struct {
		name, method, body string
		want               []verr
	}{
		{"NoDestination", "POST", `{"settings":["add_contact"]}`, []verr{{"0", "FieldMissing", "destination"}}},
		{"DestinationNotURL", "POST", `{"destination":"not a url","settings":["add_contact"]}`, []verr{{"0", "InvalidType", "destination"}}},
		{"DestinationNotHTTP", "POST", `{"destination":"ftp://x/y","settings":["add_contact"]}`, []verr{{"0", "InvalidType", "destination"}}},
		{"DestinationNotString", "POST", `{"destination":1,"settings":["add_contact"]}`, []verr{{"0", "InvalidType", "destination"}}},
		{"NoSettings", "POST", `{"destination":"https://x/y"}`, []verr{{"0", "FieldMissing", "settings"}}},
		{"EmptySettings", "POST", `{"destination":"https://x/y","settings":[]}`, []verr{{"0", "FieldMissing", "settings"}}},
		{"SettingsNotArray", "POST", `{"destination":"https://x/y","settings":"add_contact"}`, []verr{{"0", "InvalidType", "settings"}}},
		{"UnknownSetting", "POST", `{"destination":"https://x/y","settings":["add_contact","contact_add"]}`, []verr{{"0", "NotSupportedChoice", "settings.1"}}},
		{"SettingNotString", "POST", `{"destination":"https://x/y","settings":[1]}`, []verr{{"0", "InvalidType", "settings.0"}}},
		{"SortNotInt", "POST", `{"destination":"https://x/y","settings":["add_lead"],"sort":"a"}`, []verr{{"0", "InvalidType", "sort"}}},
		{"NotAnObject", "POST", `["https://x/y"]`, []verr{{"0", "InvalidType", ""}}},
		{"UnsubscribeNoDestination", "DELETE", `{}`, []verr{{"0", "FieldMissing", "destination"}}},
		{"UnsubscribeDestinationNotString", "DELETE", `{"destination":[]}`, []verr{{"0", "InvalidType", "destination"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := validationErrors(t, call(t, srv, tt.method, "/api/v4/webhooks", tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	if got := webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil)); got != nil {
		t.Errorf("invalid subscriptions were stored: %+v", got)
	}
}

func TestWebhooks_AdminOnly(t *testing.T) {
	t.Parallel()
	_, srv := start(t, WithoutDemoData(), WithNonAdminToken("manager"))
	for _, tt := range []struct{ method, body string }{
		{"GET", ""},
		{"POST", `{"destination":"https://x/y","settings":["add_contact"]}`},
		{"DELETE", `{"destination":"https://x/y"}`},
	} {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		if r := callAs(t, srv, "manager", tt.method, "/api/v4/webhooks", body); r.status != http.StatusForbidden || r.header.Get("Content-Type") != contentProblem {
			t.Errorf("%s as a manager: %d %s", tt.method, r.status, r.body)
		}
	}
}
