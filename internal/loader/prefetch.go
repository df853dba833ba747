package loader

import (
	"context"
	"fmt"

	"github.com/amogql/amogql/internal/amocrm"
)

// A resolver (or a Follow) that already holds every id of the next level
// starts that level's fetch at once: the ids go upstream in one batch with no
// batching window, and the per-item resolvers that follow find the fetch in
// the cache. Ids already cached or under way are not fetched again, but they
// are followed at this level too, once they arrive.

// prefetch claims the uncached keys, fetches them in the background and then
// follows every requested row at level.
func prefetch[K comparable, V comparable](l *Loaders, c *cache[K, V], ids []K, level int,
	fetch func([]K) (map[K]V, error), follow func([]V, int)) {
	claimed(l, c, ids, level, fetch, follow)()
}

// claimed is prefetch in two steps: it claims the keys now and returns the
// function that starts their fetch. Claiming several kinds before starting
// any keeps one kind's answer from reaching (and following into) ids that
// another kind was about to claim.
func claimed[K comparable, V comparable](l *Loaders, c *cache[K, V], ids []K, level int,
	fetch func([]K) (map[K]V, error), follow func([]V, int)) (start func()) {
	if len(ids) == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var (
		rows map[K]V
		err  error
	)
	missing := c.claim(ids, done, &rows, &err)
	return func() {
		go func() {
			released := false
			// A panic here would take the whole process down with it: turn it
			// into the claimed thunks' error instead.
			defer func() {
				if r := recover(); r != nil && !released {
					err = fmt.Errorf("loader: prefetch failed: %v", r)
					close(done)
				}
			}()
			if len(missing) > 0 {
				rows, err = fetch(missing)
				if err == nil {
					// Claim the next level before these rows are released: a
					// resolver that sees them must find its relations under way.
					follow(collect(rows, missing), level)
				}
			}
			// rows and err are read-only from here on: the claimed thunks read them.
			released = true
			close(done)
			if err != nil {
				return
			}
			// Ids another fetch had claimed are followed at this level too, once
			// they arrive.
			var others []V
			var zero V
			seen := make(map[K]bool, len(ids))
			for _, id := range ids {
				if _, mine := rows[id]; mine || seen[id] {
					continue
				}
				seen[id] = true
				if t, cached := c.Get(l.ctx, id); cached {
					if v, ferr := t(); ferr == nil && v != zero {
						others = append(others, v)
					}
				}
			}
			if len(others) > 0 {
				follow(others, level)
			}
		}()
	}
}

// byIDs is a prefetch fetch that reads ids by filter[id][], in as many
// concurrent calls as the ids need.
func byIDs[V any](l *Loaders, fetch func(context.Context, []int) ([]V, error), key func(V) int) func([]int) (map[int]V, error) {
	return func(ids []int) (map[int]V, error) { return fetchAll(l.ctx, ids, fetch, key) }
}

// collect returns the rows of ids that were found, in id order.
func collect[K comparable, V any](rows map[K]V, ids []K) []V {
	out := make([]V, 0, len(rows))
	for _, id := range ids {
		if v, ok := rows[id]; ok {
			out = append(out, v)
		}
	}
	return out
}

// PrefetchLeads starts fetching leads of the given level.
func (l *Loaders) PrefetchLeads(ids []int, level int) {
	prefetch(l, l.leads, ids, level, byIDs(l, l.fetchLeads, leadID), l.FollowLeads)
}

// PrefetchCompanies starts fetching companies of the given level.
func (l *Loaders) PrefetchCompanies(ids []int, level int) {
	prefetch(l, l.companies, ids, level, byIDs(l, l.fetchCompanies, companyID), l.FollowCompanies)
}

// PrefetchCustomers starts fetching customers of the given level.
func (l *Loaders) PrefetchCustomers(ids []int, level int) {
	prefetch(l, l.customers, ids, level, byIDs(l, l.fetchCustomers, customerID), l.FollowCustomers)
}

// PrefetchContacts starts fetching contacts, in full, of the given level.
func (l *Loaders) PrefetchContacts(ids []int, level int) {
	prefetch(l, l.contacts, ids, level, byIDs(l, l.fetchContacts, contactID), l.FollowContacts)
}

// PrefetchChatLinks starts fetching the chat links of the given contacts;
// the links are of the given level.
func (l *Loaders) PrefetchChatLinks(contactIDs []int, level int) {
	follow := func(cs []*ContactChats, level int) {
		var links []*amocrm.ChatLink
		for _, c := range cs {
			links = append(links, c.Links...)
		}
		l.FollowChatLinks(links, level)
	}
	prefetch(l, l.chats, contactIDs, level, byIDs(l, l.fetchChats, chatsContactID), follow)
}

// PrefetchElements starts fetching catalog elements of the given level, one
// call per catalog (more only past amoCRM's page limit). Elements lead
// nowhere, so nothing is followed.
func (l *Loaders) PrefetchElements(keys []ElementKey, level int) {
	for catalogID, ks := range groupByCatalog(keys) {
		prefetch(l, l.elements, ks, level, l.fetchElements(catalogID), func([]*amocrm.CatalogElement, int) {})
	}
}
