package metrics

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, url string
		want        string
	}{
		{"GET", "https://x.amocrm.ru/api/v4/contacts/123", "GET /api/v4/contacts/{id}"},
		{"GET", "https://x.amocrm.ru/api/v4/contacts?filter[id][]=1&filter[id][]=2", "GET /api/v4/contacts"},
		{"GET", "https://x.amocrm.ru/api/v4/contacts/123?with=leads,customers", "GET /api/v4/contacts/{id}"},
		{"GET", "https://x.amocrm.ru/api/v4/catalogs/4521/elements/425909", "GET /api/v4/catalogs/{id}/elements/{id}"},
		{"GET", "https://x.amocrm.ru/api/v4/contacts/chats?contact_id[]=3", "GET /api/v4/contacts/chats"},
		{"POST", "https://x.amocrm.ru/api/v4/contacts", "POST /api/v4/contacts"},
		{"PATCH", "https://x.amocrm.ru/api/v4/contacts/7", "PATCH /api/v4/contacts/{id}"},
		{"POST", "https://x.amocrm.ru/oauth2/access_token", "POST /oauth2/access_token"},
		{"GET", "http://127.0.0.1:8081/sandbox/api/v4/leads/9/", "GET /sandbox/api/v4/leads/{id}/"},
		{"GET", "https://x.amocrm.ru/api/v4/leads/12a", "GET /api/v4/leads/12a"}, // not an id: kept
		{"GET", "https://x.amocrm.ru/api/v4/leads/-1", "GET /api/v4/leads/-1"},   // not an id: kept
		{"", "https://x.amocrm.ru/api/v4/leads", "GET /api/v4/leads"},            // net/http reads "" as GET
		{"GET", "https://x.amocrm.ru", "GET /"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := route(&http.Request{Method: tt.method, URL: u}); got != tt.want {
				t.Errorf("route = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("NoURL", func(t *testing.T) {
		t.Parallel()
		for _, req := range []*http.Request{nil, {Method: "GET"}} {
			if got := route(req); got != "unknown" {
				t.Errorf("route(%v) = %q, want unknown", req, got)
			}
		}
	})
}
