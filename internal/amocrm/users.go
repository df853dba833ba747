package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// UsersService reads the account's users. amoCRM serves it to
// administrators only; others get 403.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/users-api
type UsersService service

// User is a user of the account.
type User struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Lang is one of ru, en, es, pt.
	Lang   string      `json:"lang"`
	Rights *UserRights `json:"rights,omitempty"`
	// UUID needs with=uuid.
	UUID *string `json:"uuid,omitempty"`
	// AmojoID (the user's id in amoCRM chats) needs with=amojo_id.
	AmojoID *string `json:"amojo_id,omitempty"`
	// UserRank needs with=user_rank.
	UserRank *string `json:"user_rank,omitempty"`
	// PhoneNumber needs with=phone_number.
	PhoneNumber *string       `json:"phone_number,omitempty"`
	Links       *Links        `json:"_links,omitempty"`
	Embedded    *UserEmbedded `json:"_embedded,omitempty"`
}

// UserRights is what a user may do. The per-entity objects map an action
// ("view", "edit", "add", "delete", "export") to its scope: "A" all, "G"
// the user's group, "M" the user's own, "D" denied.
type UserRights struct {
	Leads     map[string]string `json:"leads,omitempty"`
	Contacts  map[string]string `json:"contacts,omitempty"`
	Companies map[string]string `json:"companies,omitempty"`
	Tasks     map[string]string `json:"tasks,omitempty"`
	// MailAccess, CatalogAccess and FilesAccess open those sections.
	MailAccess    bool `json:"mail_access"`
	CatalogAccess bool `json:"catalog_access"`
	FilesAccess   bool `json:"files_access"`
	// StatusRights narrow the lead rights per pipeline stage.
	StatusRights []StatusRight `json:"status_rights,omitempty"`
	// CatalogRights and CustomFieldsRights are kept verbatim (null when the
	// user has none).
	CatalogRights      json.RawMessage `json:"catalog_rights,omitempty"`
	CustomFieldsRights json.RawMessage `json:"custom_fields_rights,omitempty"`
	OperDayReportsView bool            `json:"oper_day_reports_view_access"`
	OperDayUserTrack   bool            `json:"oper_day_user_tracking"`
	IsAdmin            bool            `json:"is_admin"`
	IsFree             bool            `json:"is_free"`
	IsActive           bool            `json:"is_active"`
	// GroupID and RoleID are nil when the user has no group or role.
	GroupID *int `json:"group_id"`
	RoleID  *int `json:"role_id"`
}

// StatusRight is a user's rights on the leads in one pipeline stage.
type StatusRight struct {
	EntityType string            `json:"entity_type"`
	PipelineID int               `json:"pipeline_id"`
	StatusID   int               `json:"status_id"`
	Rights     map[string]string `json:"rights"`
}

// UserEmbedded holds a user's role and group.
type UserEmbedded struct {
	// Roles needs with=role.
	Roles []UserRole `json:"roles"`
	// Groups needs with=group.
	Groups []UserGroup `json:"groups"`
}

// UserRole is a role as embedded in a user.
type UserRole struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Links *Links `json:"_links,omitempty"`
}

// UserGroup is a group of users as embedded in a user.
type UserGroup struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// UUID is the group's id in amoCRM chats, when sent.
	UUID *string `json:"uuid,omitempty"`
}

// UserListOptions are the query parameters of UsersService.List.
type UserListOptions struct {
	// With: "role", "group", "uuid", "amojo_id", "user_rank",
	// "phone_number".
	With []string `url:"with,comma,omitempty"`
	// Page is 1-based.
	Page int `url:"page,omitempty"`
	// Limit: 1–250, default 50; more is an *ArgumentError.
	Limit int `url:"limit,omitempty"`
}

func (o *UserListOptions) validate() error {
	if o == nil {
		return nil
	}
	return checkPaging(o.Page, o.Limit)
}

// List returns a page of users. An empty page (204) returns an empty slice.
// Response.TotalItems is the number of users.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/users-api
//
// GET /api/v4/users
func (s *UsersService) List(ctx context.Context, opts *UserListOptions) ([]*User, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	u, err := addOptions("api/v4/users", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body userList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Users), resp, nil
}

// Get returns one user, or nil (and a nil error) when amoCRM answers 204.
// opts.With takes the values of UserListOptions.With.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/users-api
//
// GET /api/v4/users/{id}
func (s *UsersService) Get(ctx context.Context, id int, opts *GetOptions) (*User, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	u, err := addOptions(fmt.Sprintf("api/v4/users/%d", id), opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var user *User
	resp, err := s.client.Do(req, &user)
	if err != nil {
		return nil, resp, err
	}
	return user, resp, nil
}

type userList struct {
	halPage
	Embedded struct {
		Users []*User `json:"users"`
	} `json:"_embedded"`
}
