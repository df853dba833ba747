package loader

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/amogql/amogql/internal/amocrm"
)

const (
	// maxIDsPerCall is amoCRM's page limit: a filter[id][] call returns at most this many rows.
	maxIDsPerCall = 250
	// maxIDQueryBytes keeps a call's URL under the 8 KiB request line that
	// common proxies (nginx, Apache) accept, with ~400 bytes left for the path
	// and the other parameters; 250 nine-digit ids still fit one call.
	maxIDQueryBytes = 7800
	// idParamOverhead is len("filter%5Bid%5D%5B%5D=") plus the separating '&'.
	idParamOverhead = 22
)

// chunk splits ids into groups that fit one upstream call each.
func chunk(ids []int) [][]int { return chunkParams(ids, idParamOverhead) }

// chunkParams splits ids into groups of at most maxIDsPerCall whose query
// parameters, of overhead bytes each besides the id, fit maxIDQueryBytes.
func chunkParams(ids []int, overhead int) [][]int {
	var out [][]int
	start, size := 0, 0
	for i, id := range ids {
		n := overhead + len(strconv.Itoa(id))
		if i > start && (i-start == maxIDsPerCall || size+n > maxIDQueryBytes) {
			out = append(out, ids[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(ids) {
		out = append(out, ids[start:])
	}
	return out
}

// fetchAll runs fetch for every chunk of ids concurrently and indexes the rows by key.
func fetchAll[V any](ctx context.Context, ids []int, fetch func(context.Context, []int) ([]V, error), key func(V) int) (map[int]V, error) {
	chunks := chunk(ids)
	rows := make(map[int]V, len(ids))
	if len(chunks) == 1 {
		vs, err := fetch(ctx, chunks[0])
		for _, v := range vs {
			rows[key(v)] = v
		}
		return rows, err
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for _, c := range chunks {
		wg.Go(func() {
			vs, err := fetch(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			for _, v := range vs {
				rows[key(v)] = v
			}
		})
	}
	wg.Wait()
	return rows, firstErr
}

// byID adapts a fetch-by-ids function to a batch function whose results line
// up with keys: a missing id is a nil result, never a shifted one.
func byID[V any](fetch func(context.Context, []int) ([]V, error), key func(V) int) dataloader.BatchFunc[int, V] {
	return func(ctx context.Context, keys []int) []*dataloader.Result[V] {
		rows, err := fetchAll(ctx, keys, fetch, key)
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			v, ok := rows[k]
			if !ok && err != nil {
				out[i] = &dataloader.Result[V]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[V]{Data: v}
		}
		return out
	}
}

func contactID(c *amocrm.Contact) int   { return c.ID }
func leadID(l *amocrm.Lead) int         { return l.ID }
func companyID(c *amocrm.Company) int   { return c.ID }
func customerID(c *amocrm.Customer) int { return c.ID }

// The fetchers ignore the batch context: the dataloader hands over the first
// caller's, and the request's own context is the one that must govern the call.

func (l *Loaders) observe(entity string, n int) {
	if l.onBatch != nil {
		l.onBatch(entity, n)
	}
}

func (l *Loaders) fetchContacts(_ context.Context, ids []int) ([]*amocrm.Contact, error) {
	l.observe("contact", len(ids))
	cs, _, err := l.client.Contacts.List(l.Decoding(l.ctx, EntityContact), &amocrm.ContactListOptions{
		With: l.With(EntityContact), Limit: len(ids), Filter: &amocrm.ContactFilter{ID: ids},
	})
	return cs, err
}

func (l *Loaders) fetchLeads(_ context.Context, ids []int) ([]*amocrm.Lead, error) {
	l.observe("lead", len(ids))
	ls, _, err := l.client.Leads.List(l.Decoding(l.ctx, EntityLead), &amocrm.LeadListOptions{
		With: l.With(EntityLead), Limit: len(ids), Filter: &amocrm.LeadFilter{ID: ids},
	})
	return ls, err
}

func (l *Loaders) fetchCompanies(_ context.Context, ids []int) ([]*amocrm.Company, error) {
	l.observe("company", len(ids))
	cs, _, err := l.client.Companies.List(l.Decoding(l.ctx, EntityCompany), &amocrm.CompanyListOptions{
		With: l.With(EntityCompany), Limit: len(ids), Filter: &amocrm.CompanyFilter{ID: ids},
	})
	return cs, err
}

func (l *Loaders) fetchCustomers(_ context.Context, ids []int) ([]*amocrm.Customer, error) {
	l.observe("customer", len(ids))
	cs, _, err := l.client.Customers.List(l.Decoding(l.ctx, EntityCustomer), &amocrm.CustomerListOptions{
		With: l.With(EntityCustomer), Limit: len(ids), Filter: &amocrm.CustomerFilter{ID: ids},
	})
	return cs, err
}

// batchElements groups keys by catalog: elements are listed per catalog.
func (l *Loaders) batchElements(_ context.Context, keys []ElementKey) []*dataloader.Result[*amocrm.CatalogElement] {
	type found struct {
		rows map[ElementKey]*amocrm.CatalogElement
		err  error
	}
	byCatalog := groupByCatalog(keys)
	results := make(map[int]found, len(byCatalog))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for catalogID, ks := range byCatalog {
		wg.Go(func() {
			rows, err := l.fetchElements(catalogID)(ks)
			mu.Lock()
			results[catalogID] = found{rows, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	out := make([]*dataloader.Result[*amocrm.CatalogElement], len(keys))
	for i, k := range keys {
		f := results[k.CatalogID]
		if e, ok := f.rows[k]; ok || f.err == nil {
			out[i] = &dataloader.Result[*amocrm.CatalogElement]{Data: e}
			continue
		}
		out[i] = &dataloader.Result[*amocrm.CatalogElement]{Error: f.err}
	}
	return out
}

// groupByCatalog splits element keys by catalog, in first-seen order within each.
func groupByCatalog(keys []ElementKey) map[int][]ElementKey {
	by := make(map[int][]ElementKey)
	for _, k := range keys {
		by[k.CatalogID] = append(by[k.CatalogID], k)
	}
	return by
}

// fetchElements returns a fetch of elements of one catalog, all of whose
// keys must name that catalog: amoCRM lists elements per catalog.
func (l *Loaders) fetchElements(catalogID int) func([]ElementKey) (map[ElementKey]*amocrm.CatalogElement, error) {
	fetch := func(_ context.Context, ids []int) ([]*amocrm.CatalogElement, error) {
		l.observe("catalog_element", len(ids))
		es, _, err := l.client.Catalogs.ListElements(l.Decoding(l.ctx, entityCatalogElement), catalogID, &amocrm.CatalogElementListOptions{
			Limit: len(ids), Filter: &amocrm.CatalogElementFilter{ID: ids},
		})
		return es, err
	}
	return func(keys []ElementKey) (map[ElementKey]*amocrm.CatalogElement, error) {
		ids := make([]int, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		rows, err := fetchAll(l.ctx, ids, fetch, func(e *amocrm.CatalogElement) int { return e.ID })
		out := make(map[ElementKey]*amocrm.CatalogElement, len(rows))
		for id, e := range rows {
			out[ElementKey{CatalogID: catalogID, ID: id}] = e
		}
		return out, err
	}
}

// fetchChats fetches the chat links of many contacts in one call and groups
// them by contact; a contact without chats gets an empty group.
func (l *Loaders) fetchChats(_ context.Context, ids []int) ([]*ContactChats, error) {
	l.observe("chat_link", len(ids))
	links, _, err := l.client.Contacts.ListChats(l.Decoding(l.ctx, EntityChatLink), &amocrm.ChatListOptions{ContactID: ids})
	if err != nil {
		return nil, fmt.Errorf("chat links: %w", err)
	}
	by := make(map[int][]*amocrm.ChatLink, len(ids))
	for _, link := range links {
		by[link.ContactID] = append(by[link.ContactID], link)
	}
	out := make([]*ContactChats, len(ids))
	for i, id := range ids {
		out[i] = &ContactChats{ContactID: id, Links: by[id]}
	}
	return out, nil
}

func chatsContactID(c *ContactChats) int { return c.ContactID }
