package loader

import (
	"context"
	"slices"

	"github.com/amogql/amogql/internal/amocrm"
)

// Root fields that name their objects by id — contact(id:), lead(id:),
// company(id:), chatLinks(contactIds:) — read through the same caches as
// relations. So an object an operation reaches more than once (two aliases
// of one root field, or a root field and a relation) is read once, with
// every with= the operation wants of its kind, and whichever path asks first
// starts the read for all of them.
//
// Root objects are level 0. A single id is read by GET …/{id}, the call
// amoCRM documents for one object, and is not a batch (the batch-size
// metric counts none); several at once by filter[id][].

// PrefetchRootContacts starts reading contacts that root fields name.
func (l *Loaders) PrefetchRootContacts(ids []int) {
	prefetch(l, l.contacts, ids, 0, l.getContacts, l.FollowContacts)
}

// PrefetchRoots starts reading the contacts, leads and companies that an
// operation's root fields name, all claimed before any read starts: a
// contact's answer arriving first must find its lead under way, not claim
// it for a read of its own.
func (l *Loaders) PrefetchRoots(contacts, leads, companies []int) {
	starts := []func(){
		claimed(l, l.contacts, contacts, 0, l.getContacts, l.FollowContacts),
		claimed(l, l.leads, leads, 0, l.getLeads, l.FollowLeads),
		claimed(l, l.companies, companies, 0, l.getCompanies, l.FollowCompanies),
	}
	for _, start := range starts {
		start()
	}
}

// PrefetchRootLeads starts reading leads that root fields name.
func (l *Loaders) PrefetchRootLeads(ids []int) {
	prefetch(l, l.leads, ids, 0, l.getLeads, l.FollowLeads)
}

// PrefetchRootCompanies starts reading companies that root fields name.
func (l *Loaders) PrefetchRootCompanies(ids []int) {
	prefetch(l, l.companies, ids, 0, l.getCompanies, l.FollowCompanies)
}

// GetContact returns the contact a root field names; nil when amoCRM has
// none with that id.
func (l *Loaders) GetContact(ctx context.Context, id int) (*amocrm.Contact, error) {
	if _, ok := l.contacts.Get(ctx, id); !ok {
		l.PrefetchRootContacts([]int{id})
	}
	return l.Contact(ctx, id)
}

// GetLead returns the lead a root field names; nil when amoCRM has none.
func (l *Loaders) GetLead(ctx context.Context, id int) (*amocrm.Lead, error) {
	if _, ok := l.leads.Get(ctx, id); !ok {
		l.PrefetchRootLeads([]int{id})
	}
	return l.Lead(ctx, id)
}

// GetCompany returns the company a root field names; nil when amoCRM has none.
func (l *Loaders) GetCompany(ctx context.Context, id int) (*amocrm.Company, error) {
	if _, ok := l.companies.Get(ctx, id); !ok {
		l.PrefetchRootCompanies([]int{id})
	}
	return l.Company(ctx, id)
}

// ChatLinksOf returns the chat links of contacts that a root field names,
// contact by contact in the order given, each contact's links in amoCRM's
// order. The links are level 0.
func (l *Loaders) ChatLinksOf(ctx context.Context, contactIDs []int) ([]*amocrm.ChatLink, error) {
	ids := distinct(contactIDs)
	l.PrefetchChatLinks(ids, 0)
	ccs, err := loadMany(ctx, l.ChatLinksByContactID, l.chats, ids)
	if err != nil {
		return nil, err
	}
	links := []*amocrm.ChatLink{}
	for _, cc := range ccs {
		links = append(links, cc.Links...)
	}
	return links, nil
}

func distinct(ids []int) []int {
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// getOptions asks for the with= values fetches of e carry, or nothing.
func (l *Loaders) getOptions(e Entity) *amocrm.GetOptions {
	if w := l.With(e); len(w) > 0 {
		return &amocrm.GetOptions{With: w}
	}
	return nil
}

// one turns a single read into a prefetch fetch: a nil object (amoCRM's 204)
// is no row.
func one[V comparable](id int, v V, err error) (map[int]V, error) {
	var zero V
	if err != nil || v == zero {
		return nil, err
	}
	return map[int]V{id: v}, nil
}

func (l *Loaders) getContacts(ids []int) (map[int]*amocrm.Contact, error) {
	if len(ids) > 1 {
		return fetchAll(l.ctx, ids, l.fetchContacts, contactID)
	}
	c, _, err := l.client.Contacts.Get(l.Decoding(l.ctx, EntityContact), ids[0], l.getOptions(EntityContact))
	return one(ids[0], c, err)
}

func (l *Loaders) getLeads(ids []int) (map[int]*amocrm.Lead, error) {
	if len(ids) > 1 {
		return fetchAll(l.ctx, ids, l.fetchLeads, leadID)
	}
	x, _, err := l.client.Leads.Get(l.Decoding(l.ctx, EntityLead), ids[0], l.getOptions(EntityLead))
	return one(ids[0], x, err)
}

func (l *Loaders) getCompanies(ids []int) (map[int]*amocrm.Company, error) {
	if len(ids) > 1 {
		return fetchAll(l.ctx, ids, l.fetchCompanies, companyID)
	}
	x, _, err := l.client.Companies.Get(l.Decoding(l.ctx, EntityCompany), ids[0], l.getOptions(EntityCompany))
	return one(ids[0], x, err)
}
