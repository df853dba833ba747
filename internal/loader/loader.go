// Package loader batches and de-duplicates the upstream reads of one GraphQL
// request. A middleware puts a fresh set of loaders in each request's context;
// resolvers call the typed helpers (Lead, Company, …) and never the client.
//
// Every loader fetches by filter[id][] in chunks that respect amoCRM's
// 250-item limit and a URL length proxies accept, dispatches the chunks of one
// batch concurrently, and caches results for the rest of the request, so the
// same lead under fifty contacts costs one lookup.
package loader

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/amogql/amogql/internal/amocrm"
)

// DefaultWait is how long a loader collects keys before it calls upstream.
// Sibling resolvers of one list start within microseconds of each other; the
// window only has to outlast goroutine scheduling, and every millisecond of it
// is added to each nested level of a query.
const DefaultWait = 2 * time.Millisecond

// ElementKey identifies a catalog element: ids are only unique within a catalog.
type ElementKey struct {
	CatalogID int
	ID        int
}

// ContactChats is the chat links of one contact.
type ContactChats struct {
	ContactID int
	Links     []*amocrm.ChatLink
}

// Loaders holds one request's loaders.
type Loaders struct {
	ContactByID          *dataloader.Loader[int, *amocrm.Contact]
	LeadByID             *dataloader.Loader[int, *amocrm.Lead]
	CompanyByID          *dataloader.Loader[int, *amocrm.Company]
	CustomerByID         *dataloader.Loader[int, *amocrm.Customer]
	CatalogElementByID   *dataloader.Loader[ElementKey, *amocrm.CatalogElement]
	ChatLinksByContactID *dataloader.Loader[int, *ContactChats]

	contacts  *cache[int, *amocrm.Contact]
	leads     *cache[int, *amocrm.Lead]
	companies *cache[int, *amocrm.Company]
	customers *cache[int, *amocrm.Customer]
	elements  *cache[ElementKey, *amocrm.CatalogElement]
	chats     *cache[int, *ContactChats]
	activity  activity // notes and tasks, by entity

	needs needs
	reads reads // guarded by needs.mu

	shared *Metadata // nil: metadata is read once per request
	metaMu sync.Mutex
	meta   map[string]*metaFlight

	ctx     context.Context
	client  *amocrm.Client
	onBatch func(entity string, size int)
}

// Option configures New.
type Option func(*settings)

type settings struct {
	wait     time.Duration
	onBatch  func(entity string, size int)
	metadata *Metadata
}

// WithWait sets the batching window (default DefaultWait).
func WithWait(d time.Duration) Option { return func(s *settings) { s.wait = d } }

// WithBatchObserver reports the size of every upstream batch, by entity
// ("contact", "lead", …), so operators can see whether queries batch.
func WithBatchObserver(f func(entity string, size int)) Option {
	return func(s *settings) { s.onBatch = f }
}

// New builds the loaders of one request. ctx is the request's context: every
// batch runs under it, whichever resolver happened to trigger the batch, so
// per-request facts (credentials, cancellation) are the request's own.
func New(ctx context.Context, client *amocrm.Client, opts ...Option) *Loaders {
	s := settings{wait: DefaultWait}
	for _, o := range opts {
		o(&s)
	}
	l := &Loaders{
		ctx: ctx, client: client, onBatch: s.onBatch,
		contacts: newCache[int, *amocrm.Contact](), leads: newCache[int, *amocrm.Lead](),
		companies: newCache[int, *amocrm.Company](), customers: newCache[int, *amocrm.Customer](),
		elements: newCache[ElementKey, *amocrm.CatalogElement](), chats: newCache[int, *ContactChats](),
		shared: s.metadata, meta: map[string]*metaFlight{},
	}
	l.activity.wait = s.wait
	l.ContactByID = newLoader(l.contacts, s.wait, byID(l.fetchContacts, contactID))
	l.LeadByID = newLoader(l.leads, s.wait, byID(l.fetchLeads, leadID))
	l.CompanyByID = newLoader(l.companies, s.wait, byID(l.fetchCompanies, companyID))
	l.CustomerByID = newLoader(l.customers, s.wait, byID(l.fetchCustomers, customerID))
	l.CatalogElementByID = newLoader(l.elements, s.wait, l.batchElements)
	l.ChatLinksByContactID = newLoader(l.chats, s.wait, byID(l.fetchChats, chatsContactID))
	return l
}

func newLoader[K comparable, V any](c *cache[K, V], wait time.Duration, fn dataloader.BatchFunc[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(fn,
		dataloader.WithCache[K, V](c),
		dataloader.WithWait[K, V](wait),
		// Chunking happens inside the batch function, where the URL length is known.
		dataloader.WithBatchCapacity[K, V](0),
		dataloader.WithInputCapacity[K, V](maxIDsPerCall*4),
	)
}

type ctxKey struct{}

// ErrNoLoaders means the loader middleware did not run for this request.
var ErrNoLoaders = errors.New("loader: no loaders in context")

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders.
func For(ctx context.Context) (*Loaders, error) {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		return nil, ErrNoLoaders
	}
	return l, nil
}

// Middleware gives every request a fresh set of loaders, so nothing cached
// for one caller (and its credentials) is ever served to another.
func Middleware(client *amocrm.Client, opts ...Option) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			next.ServeHTTP(w, r.WithContext(NewContext(ctx, New(ctx, client, opts...))))
		})
	}
}
