package sandbox

import (
	"net/http"
	"slices"
)

// Account users: GET /api/v4/users (paged like entity lists; with=role and
// with=group embed the user's role and group) and GET /api/v4/users/{id}
// (404 problem+json for an unknown id).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/users-api
// (Kommo: https://developers.kommo.com/reference/users-and-roles)

// Groups and roles of the demo users. Group 0 is the account's main group,
// which every account has.
const (
	GroupBranch = 350001
	RoleManager = 360001
	RoleHead    = 360002
)

var userGroups = map[int]string{0: "Отдел продаж", GroupBranch: "Филиал Санкт-Петербург"}
var userRoles = map[int]string{RoleManager: "Менеджер", RoleHead: "Руководитель отдела"}

type userJSON struct {
	ID       int           `json:"id"`
	Name     string        `json:"name"`
	Email    string        `json:"email"`
	Lang     string        `json:"lang"`
	Rights   userRights    `json:"rights"`
	Links    selfLinks     `json:"_links"`
	Embedded *userEmbedded `json:"_embedded,omitempty"`
}

// userRights is the rights object; entity rights are A (all), G (group),
// M (own) or D (denied).
type userRights struct {
	Leads        entityRights `json:"leads"`
	Contacts     entityRights `json:"contacts"`
	Companies    entityRights `json:"companies"`
	Tasks        taskRights   `json:"tasks"`
	MailAccess   bool         `json:"mail_access"`
	CatalogAcc   bool         `json:"catalog_access"`
	FilesAccess  bool         `json:"files_access"`
	StatusRights []struct{}   `json:"status_rights"`
	IsAdmin      bool         `json:"is_admin"`
	IsFree       bool         `json:"is_free"`
	IsActive     bool         `json:"is_active"`
	GroupID      *int         `json:"group_id"`
	RoleID       *int         `json:"role_id"`
}

type entityRights struct {
	View   string `json:"view"`
	Edit   string `json:"edit"`
	Add    string `json:"add"`
	Delete string `json:"delete"`
	Export string `json:"export"`
}

type taskRights struct {
	Edit   string `json:"edit"`
	Delete string `json:"delete"`
}

type userEmbedded struct {
	Roles  []namedRefJSON `json:"roles,omitempty"`
	Groups []namedRefJSON `json:"groups,omitempty"`
}

type namedRefJSON struct {
	ID    int        `json:"id"`
	Name  string     `json:"name"`
	Links *selfLinks `json:"_links,omitempty"`
}

func renderUser(u user, with map[string]bool, base string) userJSON {
	all := entityRights{"A", "A", "A", "A", "A"}
	mine := entityRights{View: "A", Edit: "M", Add: "A", Delete: "M", Export: "D"}
	r := userRights{
		Leads: mine, Contacts: mine, Companies: mine, Tasks: taskRights{Edit: "M", Delete: "M"},
		MailAccess: true, CatalogAcc: true, FilesAccess: true, StatusRights: []struct{}{},
		IsAdmin: u.IsAdmin, IsActive: u.IsActive, GroupID: optInt(u.GroupID), RoleID: optInt(u.RoleID),
	}
	if u.IsAdmin {
		r.Leads, r.Contacts, r.Companies, r.Tasks = all, all, all, taskRights{"A", "A"}
	}
	j := userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Lang: "ru", Rights: r, Links: selfLink(base + "/api/v4/users/" + itoa(u.ID))}
	if with["role"] || with["group"] {
		j.Embedded = &userEmbedded{}
		if name, ok := userRoles[u.RoleID]; ok && with["role"] {
			link := selfLink(base + "/api/v4/roles/" + itoa(u.RoleID))
			j.Embedded.Roles = []namedRefJSON{{ID: u.RoleID, Name: name, Links: &link}}
		}
		if with["group"] {
			j.Embedded.Groups = []namedRefJSON{{ID: u.GroupID, Name: userGroups[u.GroupID]}}
		}
	}
	return j
}

// sortedUsers returns the account's users ordered by id. The caller holds a lock.
func (st *store) sortedUsers() []user {
	out := make([]user, 0, len(st.users))
	for _, u := range st.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b user) int { return a.ID - b.ID })
	return out
}

// listUsers serves GET /api/v4/users.
func (s *Sandbox) listUsers(w http.ResponseWriter, r *http.Request) {
	p, aerr := parseList(r.URL.Query())
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	base := s.baseURL(r)
	s.store.mu.RLock()
	users := s.store.sortedUsers()
	s.store.mu.RUnlock()
	page, more := paginate(users, p)
	if len(page) == 0 {
		writeNoContent(w)
		return
	}
	out := make([]userJSON, len(page))
	for i, u := range page {
		out[i] = renderUser(u, p.with, base)
	}
	s.writePage(w, r, "users", out, p, more)
}

// getUser serves GET /api/v4/users/{id}.
func (s *Sandbox) getUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	s.store.mu.RLock()
	u, found := s.store.users[id]
	s.store.mu.RUnlock()
	if !ok || !found {
		writeProblem(w, http.StatusNotFound, "User not found")
		return
	}
	writeHAL(w, renderUser(u, parseWith(r.URL.Query()), s.baseURL(r)))
}
