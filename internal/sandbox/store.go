package sandbox

import (
	"cmp"
	"slices"
)

// Entity types as they appear in upstream paths.
const (
	entContacts  = "contacts"
	entLeads     = "leads"
	entCompanies = "companies"
	entCustomers = "customers"
)

// record is what contacts, leads, companies, customers and catalog elements
// have in common; list filters and ordering work on it.
type record struct {
	ID                int
	Name              string
	ResponsibleUserID int
	GroupID           int
	CreatedBy         int
	UpdatedBy         int
	CreatedAt         int64
	UpdatedAt         int64
	ClosestTaskAt     *int64
	IsDeleted         bool
	Fields            []cfEntry
	TagIDs            []int
	Elements          []elementLink // catalog elements linked to the entity
}

// base gives generic list code access to the common fields of any entity.
func (r *record) base() *record { return r }

// row is any entity a list can filter, order and page.
type row interface{ base() *record }

// cfEntry holds the values of one custom field of one entity.
type cfEntry struct {
	FieldID int
	Values  []cfValue
}

// cfValue is one value of a custom field. EnumID/EnumCode are set for
// multitext and select fields.
type cfValue struct {
	Value    any
	EnumID   int
	EnumCode string
	// docEnumKey renders EnumCode under the key "enum" instead of
	// "enum_code", as the documentation's examples do, so clients meet both.
	docEnumKey bool
}

// elementLink links a catalog element to an entity, with the metadata
// upstream returns in _embedded.catalog_elements.
type elementLink struct {
	ElementID int
	CatalogID int
	Quantity  float64
	PriceID   int // 0: no price field
}

// contactRef is a contact linked to a lead or customer.
type contactRef struct {
	ID     int
	IsMain bool
}

type contact struct {
	record
	FirstName   string
	LastName    string
	CompanyID   int // 0: none; a contact has at most one company
	LeadIDs     []int
	CustomerIDs []int
}

type lead struct {
	record
	Price        int
	StatusID     int
	PipelineID   int
	LossReasonID int // 0: null
	SourceID     int // 0: null
	ClosedAt     *int64
	Contacts     []contactRef
	CompanyID    int
}

type company struct {
	record
	ContactIDs  []int
	LeadIDs     []int
	CustomerIDs []int
}

type customer struct {
	record
	NextPrice      int
	NextDate       int64
	StatusID       int
	Periodicity    int
	LTV            int
	PurchasesCount int
	AverageCheck   int
	SegmentIDs     []int
	Contacts       []contactRef
	CompanyID      int
}

type catalog struct {
	ID      int
	Name    string
	PriceID int // id of the catalog's price field
	Fields  *fieldSet
}

type element struct {
	record
	CatalogID int
}

type tag struct {
	ID    int
	Name  string
	Color string // "" renders as null; only lead tags have colours
}

type chatLink struct {
	ID        int
	ChatID    string
	ContactID int
}

// user is an account user (users.go renders it).
type user struct {
	ID       int
	Name     string
	GroupID  int
	Email    string
	IsAdmin  bool
	IsActive bool
	RoleID   int // 0: none (administrators have no role)
}

// store is the account's data. One RWMutex guards everything: the data is
// small, and whole-request locking makes batch writes atomic for free.
// Taking it for writing also invalidates the answer cache.
type store struct {
	mu        versionedRWMutex
	users     map[int]user
	fields    map[string]*fieldSet // entity type -> custom fields
	contacts  map[int]*contact
	leads     map[int]*lead
	companies map[int]*company
	customers map[int]*customer
	catalogs  map[int]*catalog
	elements  map[int]*element
	tags      map[string]map[int]*tag // entity type -> tag id -> tag
	chats     map[string]*chatLink    // chat id -> link
	trash     map[int]*contact        // contacts deleted by DeleteContacts
	pipelines []*pipeline             // lead pipelines ordered by sort (pipelines.go)
	tasks     map[int]*task           // tasks.go
	notes     map[int]*note           // notes of every entity type (notes.go)

	nextContactID  int
	nextTagID      int
	nextChatLinkID int
	nextLeadID     int
	nextCompanyID  int
	nextTaskID     int
	nextNoteID     int
}

// First ids handed out by writes. The contact id is the one in the POST
// example of the documentation, so the first two contacts created in an
// empty sandbox get 40401635 and 40401636 exactly as documented.
const (
	firstNewContactID  = 40401635
	firstNewTagID      = 300001
	firstNewChatLinkID = 30001
	firstNewLeadID     = 21000001
	firstNewCompanyID  = 31000001
	firstNewTaskID     = 61000001
	firstNewNoteID     = 71000001
)

// newStore returns an account with its schema (users, custom fields,
// catalogs) and no entities.
func newStore() *store {
	st := &store{
		users:          map[int]user{},
		fields:         defaultFields(),
		contacts:       map[int]*contact{},
		leads:          map[int]*lead{},
		companies:      map[int]*company{},
		customers:      map[int]*customer{},
		catalogs:       map[int]*catalog{},
		elements:       map[int]*element{},
		tags:           map[string]map[int]*tag{},
		chats:          map[string]*chatLink{},
		trash:          map[int]*contact{},
		nextContactID:  firstNewContactID,
		nextTagID:      firstNewTagID,
		nextChatLinkID: firstNewChatLinkID,
		pipelines:      demoPipelines(),
		tasks:          map[int]*task{},
		notes:          map[int]*note{},
		nextLeadID:     firstNewLeadID,
		nextCompanyID:  firstNewCompanyID,
		nextTaskID:     firstNewTaskID,
		nextNoteID:     firstNewNoteID,
	}
	for _, u := range demoUsers {
		st.users[u.ID] = u
	}
	for _, c := range defaultCatalogs() {
		st.catalogs[c.ID] = c
	}
	for _, e := range []string{entContacts, entLeads, entCompanies, entCustomers} {
		st.tags[e] = map[int]*tag{}
	}
	return st
}

// sortedByID returns the values of m ordered by id.
func sortedByID[T row](m map[int]T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(a.base().ID, b.base().ID) })
	return out
}

// sortedTags returns a tag dictionary ordered by id.
func sortedTags(m map[int]*tag) []*tag {
	out := make([]*tag, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *tag) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// addTag creates a tag in the dictionary of entity type e and returns it.
// The caller holds the write lock.
func (st *store) addTag(e, name, color string) *tag {
	t := &tag{ID: st.nextTagID, Name: name, Color: color}
	st.nextTagID++
	st.tags[e][t.ID] = t
	return t
}

// tagByName finds a tag of entity type e by name, ignoring case as the
// upstream UI does. The caller holds a lock.
func (st *store) tagByName(e, name string) *tag {
	var found *tag
	for _, t := range st.tags[e] {
		if equalFoldTrim(t.Name, name) && (found == nil || t.ID < found.ID) {
			found = t
		}
	}
	return found
}

// groupOf returns the group of a user (0 for unknown users).
func (st *store) groupOf(userID int) int { return st.users[userID].GroupID }
