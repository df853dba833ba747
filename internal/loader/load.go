package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/amogql/amogql/internal/amocrm"
)

// loadMany loads keys through l and returns the found values in key order,
// leaving out keys amoCRM does not know. It registers every key before
// waiting on any, so all of them join the same batch. Keys already cached
// (prefetched, as most are) skip the dataloader's bookkeeping.
func loadMany[K comparable, V comparable](ctx context.Context, l *dataloader.Loader[K, V], c *cache[K, V], keys []K) ([]V, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	thunks := make([]dataloader.Thunk[V], len(keys))
	for i, k := range keys {
		if t, ok := c.Get(ctx, k); ok {
			thunks[i] = t
			continue
		}
		thunks[i] = l.Load(ctx, k)
	}
	var zero V
	out := make([]V, 0, len(keys))
	for _, t := range thunks {
		v, err := t()
		if err != nil {
			return nil, err
		}
		if v != zero {
			out = append(out, v)
		}
	}
	return out, nil
}

// Contact loads one contact with its leads, customers and catalog elements
// embedded; nil when amoCRM has none with that id.
func (l *Loaders) Contact(ctx context.Context, id int) (*amocrm.Contact, error) {
	return l.ContactByID.Load(ctx, id)()
}

// Contacts loads contacts by id, in id order, skipping unknown ids.
func (l *Loaders) Contacts(ctx context.Context, ids []int) ([]*amocrm.Contact, error) {
	return loadMany(ctx, l.ContactByID, l.contacts, ids)
}

// Lead loads one lead; nil when amoCRM has none with that id.
func (l *Loaders) Lead(ctx context.Context, id int) (*amocrm.Lead, error) {
	return l.LeadByID.Load(ctx, id)()
}

// Leads loads leads by id, in id order, skipping unknown ids.
func (l *Loaders) Leads(ctx context.Context, ids []int) ([]*amocrm.Lead, error) {
	return loadMany(ctx, l.LeadByID, l.leads, ids)
}

// Company loads one company; nil when amoCRM has none with that id.
func (l *Loaders) Company(ctx context.Context, id int) (*amocrm.Company, error) {
	return l.CompanyByID.Load(ctx, id)()
}

// Companies loads companies by id, in id order, skipping unknown ids.
func (l *Loaders) Companies(ctx context.Context, ids []int) ([]*amocrm.Company, error) {
	return loadMany(ctx, l.CompanyByID, l.companies, ids)
}

// Customers loads customers by id, in id order, skipping unknown ids.
func (l *Loaders) Customers(ctx context.Context, ids []int) ([]*amocrm.Customer, error) {
	return loadMany(ctx, l.CustomerByID, l.customers, ids)
}

// CatalogElement loads one catalog element; nil when it does not exist.
func (l *Loaders) CatalogElement(ctx context.Context, catalogID, id int) (*amocrm.CatalogElement, error) {
	return l.CatalogElementByID.Load(ctx, ElementKey{CatalogID: catalogID, ID: id})()
}

// ChatLinks loads the chat links of one contact.
func (l *Loaders) ChatLinks(ctx context.Context, contactID int) ([]*amocrm.ChatLink, error) {
	cc, err := l.ChatLinksByContactID.Load(ctx, contactID)()
	if err != nil || cc == nil {
		return nil, err
	}
	return cc.Links, nil
}

// PrimeContacts caches contacts the caller already holds in full (with their
// leads, customers and catalog elements), so relations need not refetch them.
func (l *Loaders) PrimeContacts(cs []*amocrm.Contact) {
	for _, c := range cs {
		l.ContactByID.Prime(l.ctx, c.ID, c)
	}
}

// ForgetContacts drops cached contacts, e.g. after a mutation changed them.
func (l *Loaders) ForgetContacts(ids []int) {
	for _, id := range ids {
		l.ContactByID.Clear(l.ctx, id)
	}
}

// ForgetChatLinks drops the cached chat links of contacts, e.g. after a relink.
func (l *Loaders) ForgetChatLinks(contactIDs []int) {
	for _, id := range contactIDs {
		l.ChatLinksByContactID.Clear(l.ctx, id)
	}
}
