package loader

import (
	"context"

	"github.com/amogql/amogql/internal/amocrm"
)

// A list resolver that already holds every id of the next level starts that
// level's fetch at once: the ids go upstream in one batch with no batching
// window, and the per-item resolvers that follow find the fetch in the cache.
// Ids already cached or under way are not fetched again.

// prefetch claims the uncached keys and fetches them in the background.
func prefetch[V any](l *Loaders, c *cache[int, V], ids []int, fetch func(context.Context, []int) ([]V, error), key func(V) int) {
	done := make(chan struct{})
	var (
		rows map[int]V
		err  error
	)
	missing := c.claim(ids, done, &rows, &err)
	if len(missing) == 0 {
		return
	}
	go func() {
		defer close(done)
		rows, err = fetchAll(l.ctx, missing, fetch, key)
	}()
}

// PrefetchLeads starts fetching the given leads.
func (l *Loaders) PrefetchLeads(ids []int) { prefetch(l, l.leads, ids, l.fetchLeads, leadID) }

// PrefetchCompanies starts fetching the given companies.
func (l *Loaders) PrefetchCompanies(ids []int) {
	prefetch(l, l.companies, ids, l.fetchCompanies, companyID)
}

// PrefetchCustomers starts fetching the given customers.
func (l *Loaders) PrefetchCustomers(ids []int) {
	prefetch(l, l.customers, ids, l.fetchCustomers, customerID)
}

// PrefetchContacts starts fetching the given contacts in full.
func (l *Loaders) PrefetchContacts(ids []int) {
	prefetch(l, l.contacts, ids, l.fetchContacts, contactID)
}

// PrefetchChatLinks starts fetching the chat links of the given contacts.
func (l *Loaders) PrefetchChatLinks(contactIDs []int) {
	fetch := func(ctx context.Context, ids []int) ([]contactChats, error) {
		links, _, err := l.client.Contacts.ListChats(l.ctx, &amocrm.ChatListOptions{ContactID: ids})
		if err != nil {
			return nil, err
		}
		by := make(map[int][]*amocrm.ChatLink, len(ids))
		for _, link := range links {
			by[link.ContactID] = append(by[link.ContactID], link)
		}
		out := make([]contactChats, len(ids))
		for i, id := range ids {
			out[i] = contactChats{id, by[id]}
		}
		return out, nil
	}
	done := make(chan struct{})
	var (
		rows map[int][]*amocrm.ChatLink
		err  error
	)
	missing := l.chats.claim(contactIDs, done, &rows, &err)
	if len(missing) == 0 {
		return
	}
	go func() {
		defer close(done)
		var grouped map[int]contactChats
		grouped, err = fetchAll(l.ctx, missing, fetch, func(c contactChats) int { return c.id })
		rows = make(map[int][]*amocrm.ChatLink, len(grouped))
		for id, c := range grouped {
			rows[id] = c.links
		}
	}()
}

type contactChats struct {
	id    int
	links []*amocrm.ChatLink
}
