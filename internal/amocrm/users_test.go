package amocrm

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUsersService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/users", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, url.Values{"with": {"role,group"}, "page": {"1"}, "limit": {"25"}})
			writeJSON(w, http.StatusOK, fixture(t, "users_list.json"))
		})
		got, resp, err := client.Users.List(t.Context(), &UserListOptions{With: []string{"role", "group"}, Page: 1, Limit: 25})
		if err != nil {
			t.Fatal(err)
		}
		all := map[string]string{"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"}
		want := []*User{{
			ID: 123123, Name: "Пользователь для примера", Email: "example@mail.com", Lang: "ru",
			Rights: &UserRights{
				Leads: all, Contacts: all, Companies: all, Tasks: map[string]string{"edit": "A", "delete": "A"},
				MailAccess: true, CatalogAccess: true,
				StatusRights:  []StatusRight{{EntityType: "leads", PipelineID: 2194576, StatusID: 30846277, Rights: map[string]string{"view": "A", "edit": "A", "delete": "A"}}},
				CatalogRights: json.RawMessage("null"), CustomFieldsRights: json.RawMessage("null"),
				IsAdmin: true, IsActive: true, GroupID: new(15), RoleID: new(7),
			},
			Links: selfLink("https://example.amocrm.ru/api/v4/users/123123"),
			Embedded: &UserEmbedded{
				Roles:  []UserRole{{ID: 7, Name: "Менеджер", Links: selfLink("https://example.amocrm.ru/api/v4/roles/7")}},
				Groups: []UserGroup{{ID: 15, Name: "Отдел продаж"}},
			},
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List mismatch (-want +got):\n%s", diff)
		}
		if resp.Page != 1 || resp.NextPage != 2 || resp.TotalItems != 1 {
			t.Errorf("Page, NextPage, TotalItems = %d, %d, %d; want 1, 2, 1", resp.Page, resp.NextPage, resp.TotalItems)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		var list struct {
			Embedded struct {
				Users []json.RawMessage `json:"users"`
			} `json:"_embedded"`
		}
		if err := json.Unmarshal([]byte(fixture(t, "users_list.json")), &list); err != nil {
			t.Fatal(err)
		}
		testNoLoss(t, string(list.Embedded.Users[0]), new(User))
	})

	t.Run("Forbidden", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("GET /api/v4/users", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusForbidden, `{"title":"Forbidden","type":"https://httpstatus.es/403","status":403,"detail":"Access denied"}`)
		})
		_, _, err := client.Users.List(t.Context(), nil)
		var er *ErrorResponse
		if !errors.As(err, &er) || er.Status != http.StatusForbidden || errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want a 403 *ErrorResponse", err)
		}
	})

	t.Run("Limit", func(t *testing.T) {
		t.Parallel()
		client, _ := setup(t)
		_, _, err := client.Users.List(t.Context(), &UserListOptions{Limit: 251})
		var ae *ArgumentError
		if !errors.As(err, &ae) || ae.Arg != "limit" {
			t.Errorf("err = %v, want *ArgumentError for limit", err)
		}
	})
}

func TestUsersService_Get(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   *User
	}{
		{"OK", http.StatusOK, `{"id":504141,"name":"Иван","email":"ivan@example.com","lang":"en","rights":{"is_admin":false,"is_active":true,"group_id":null,"role_id":null}}`,
			&User{ID: 504141, Name: "Иван", Email: "ivan@example.com", Lang: "en", Rights: &UserRights{IsActive: true}}},
		{"NoContent", http.StatusNoContent, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t)
			mux.HandleFunc("GET /api/v4/users/504141", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, url.Values{"with": {"role"}})
				writeJSON(w, tt.status, tt.body)
			})
			got, _, err := client.Users.Get(t.Context(), 504141, &GetOptions{With: []string{"role"}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Get mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
