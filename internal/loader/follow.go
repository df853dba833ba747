package loader

import (
	"slices"
	"sync"

	"github.com/amogql/amogql/internal/amocrm"
)

// Entity names a kind of object the loaders fetch.
type Entity int

// The entities whose relations can be followed.
const (
	EntityContact Entity = iota
	EntityLead
	EntityCompany
	EntityCustomer
	EntityChatLink

	// entityCatalogElement is only decoded, never followed; the operation
	// walk does not record its reads, so it keeps its custom fields.
	entityCatalogElement
)

// Needs lists the relations of an entity whose full objects a query selects.
// Elements: the catalog elements linked to the entity, read in full.
type Needs struct {
	Contacts, Leads, Companies, Customers, Chats, Elements bool
}

func (n Needs) or(m Needs) Needs {
	return Needs{
		Contacts: n.Contacts || m.Contacts, Leads: n.Leads || m.Leads,
		Companies: n.Companies || m.Companies, Customers: n.Customers || m.Customers,
		Chats: n.Chats || m.Chats, Elements: n.Elements || m.Elements,
	}
}

// needs is what the query will ask of each entity's relations. Root
// resolvers record it for the whole selection tree before their first call.
//
// With it, every fetch starts the next level's fetch the moment its own rows
// arrive, for all rows at once: a nested list costs one call per level no
// matter how the resolvers below it are scheduled, and without waiting for a
// batching window.
//
// Needs are kept per level of the tree (the root field's objects are level
// 0, their related objects level 1, …), so the contacts of a company deep in
// a query do not inherit what the query asks of the top-level contacts.
type needs struct {
	mu   sync.Mutex
	by   map[needKey]Needs
	with map[Entity][]string
}

type needKey struct {
	entity Entity
	level  int
}

// Want records that the query selects the given relations of e at level.
func (l *Loaders) Want(e Entity, level int, n Needs) {
	l.needs.mu.Lock()
	if l.needs.by == nil {
		l.needs.by = make(map[needKey]Needs)
	}
	k := needKey{e, level}
	l.needs.by[k] = l.needs.by[k].or(n)
	l.needs.mu.Unlock()
}

// WantWith records with= values that fetches of e must carry: the
// relations the query selects on e anywhere, even if only their ids.
func (l *Loaders) WantWith(e Entity, with ...string) {
	l.needs.mu.Lock()
	defer l.needs.mu.Unlock()
	if l.needs.with == nil {
		l.needs.with = make(map[Entity][]string)
	}
	for _, w := range with {
		if !slices.Contains(l.needs.with[e], w) {
			l.needs.with[e] = append(l.needs.with[e], w)
		}
	}
}

// With returns the with= values fetches of e carry, in a fixed order so
// equal queries send equal URLs.
func (l *Loaders) With(e Entity) []string {
	l.needs.mu.Lock()
	defer l.needs.mu.Unlock()
	w := slices.Clone(l.needs.with[e])
	slices.Sort(w)
	return w
}

func (l *Loaders) wanted(e Entity, level int) Needs {
	l.needs.mu.Lock()
	defer l.needs.mu.Unlock()
	return l.needs.by[needKey{e, level}]
}

func appendRefs(ids []int, refs []amocrm.EntityRef) []int {
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	return ids
}

// appendElements adds the keys of linked elements; a link that names no
// catalog cannot be read and is left to its resolver.
func appendElements(keys []ElementKey, links []amocrm.CatalogElementLink) []ElementKey {
	for _, link := range links {
		if k, ok := LinkKey(&link); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// LinkKey returns the key of a linked catalog element. amoCRM puts the
// catalog in metadata or beside it, depending on the entity; ok is false
// when it gave neither.
func LinkKey(link *amocrm.CatalogElementLink) (ElementKey, bool) {
	switch {
	case link.Metadata != nil && link.Metadata.CatalogID != 0:
		return ElementKey{CatalogID: link.Metadata.CatalogID, ID: link.ID}, true
	case link.CatalogID != nil:
		return ElementKey{CatalogID: *link.CatalogID, ID: link.ID}, true
	}
	return ElementKey{}, false
}

// The Follow methods start fetching, for all the given objects at once, the
// relations the query wants of objects at level; what they fetch is followed
// in turn at level+1.

// FollowContacts starts fetching the wanted relations of contacts.
func (l *Loaders) FollowContacts(cs []*amocrm.Contact, level int) {
	n := l.wanted(EntityContact, level)
	if n == (Needs{}) || len(cs) == 0 {
		return
	}
	var leads, companies, customers, ids []int
	var elements []ElementKey
	for _, c := range cs {
		ids = append(ids, c.ID)
		if c.Embedded == nil {
			continue
		}
		leads = appendRefs(leads, c.Embedded.Leads)
		companies = appendRefs(companies, c.Embedded.Companies)
		customers = appendRefs(customers, c.Embedded.Customers)
		elements = appendElements(elements, c.Embedded.CatalogElements)
	}
	if n.Leads {
		l.PrefetchLeads(leads, level+1)
	}
	if n.Companies {
		l.PrefetchCompanies(companies, level+1)
	}
	if n.Customers {
		l.PrefetchCustomers(customers, level+1)
	}
	if n.Chats {
		l.PrefetchChatLinks(ids, level+1)
	}
	if n.Elements {
		l.PrefetchElements(elements, level+1)
	}
}

// FollowLeads starts fetching the wanted relations of leads.
func (l *Loaders) FollowLeads(ls []*amocrm.Lead, level int) {
	n := l.wanted(EntityLead, level)
	if n == (Needs{}) {
		return
	}
	var contacts, companies []int
	var elements []ElementKey
	for _, x := range ls {
		if x.Embedded != nil {
			contacts = appendRefs(contacts, x.Embedded.Contacts)
			companies = appendRefs(companies, x.Embedded.Companies)
			elements = appendElements(elements, x.Embedded.CatalogElements)
		}
	}
	if n.Contacts {
		l.PrefetchContacts(contacts, level+1)
	}
	if n.Companies {
		l.PrefetchCompanies(companies, level+1)
	}
	if n.Elements {
		l.PrefetchElements(elements, level+1)
	}
}

// FollowCompanies starts fetching the wanted relations of companies.
func (l *Loaders) FollowCompanies(cs []*amocrm.Company, level int) {
	n := l.wanted(EntityCompany, level)
	if n == (Needs{}) {
		return
	}
	var contacts, leads, customers []int
	for _, x := range cs {
		if x.Embedded != nil {
			contacts = appendRefs(contacts, x.Embedded.Contacts)
			leads = appendRefs(leads, x.Embedded.Leads)
			customers = appendRefs(customers, x.Embedded.Customers)
		}
	}
	if n.Contacts {
		l.PrefetchContacts(contacts, level+1)
	}
	if n.Leads {
		l.PrefetchLeads(leads, level+1)
	}
	if n.Customers {
		l.PrefetchCustomers(customers, level+1)
	}
}

// FollowCustomers starts fetching the wanted relations of customers.
func (l *Loaders) FollowCustomers(cs []*amocrm.Customer, level int) {
	n := l.wanted(EntityCustomer, level)
	if n == (Needs{}) {
		return
	}
	var contacts, companies []int
	for _, x := range cs {
		if x.Embedded != nil {
			contacts = appendRefs(contacts, x.Embedded.Contacts)
			companies = appendRefs(companies, x.Embedded.Companies)
		}
	}
	if n.Contacts {
		l.PrefetchContacts(contacts, level+1)
	}
	if n.Companies {
		l.PrefetchCompanies(companies, level+1)
	}
}

// FollowChatLinks starts fetching the contacts of chat links, if wanted.
func (l *Loaders) FollowChatLinks(links []*amocrm.ChatLink, level int) {
	if !l.wanted(EntityChatLink, level).Contacts {
		return
	}
	ids := make([]int, 0, len(links))
	for _, x := range links {
		ids = append(ids, x.ContactID)
	}
	l.PrefetchContacts(ids, level+1)
}
