package loader

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/amogql/amogql/internal/amocrm"
)

// Account metadata (users, lead pipelines, custom field definitions) names
// what entities only hold ids of. A board of fifty leads asks for the same
// user list fifty times, and the lists change rarely, so each is read at most
// once per request and kept per credential for a short time across requests.

// DefaultMetadataTTL is how long metadata is kept when the operator sets
// nothing: short enough that a renamed stage or a new user shows within a
// minute, long enough that a board reloaded by many people costs no call.
const DefaultMetadataTTL = time.Minute

// maxMetadataEntries bounds the lists kept. With pass-through credentials
// every client token is a scope of its own; past the bound, expired lists are
// dropped and, if that is not enough, a new list is served but not kept.
const maxMetadataEntries = 4096

// maxMetadataPages bounds the pages read for one list: 40 pages of 250 users
// are ten thousand users, far past any account a board shows.
const maxMetadataPages = 40

// Metadata keeps account metadata across requests, per credential, for a
// TTL. It is safe for concurrent use; the zero TTL keeps nothing (each
// request still reads each list at most once). Lists fetched are never
// modified, so one list is handed to many requests.
type Metadata struct {
	ttl  time.Duration
	now  func() time.Time
	salt [16]byte // scopes are salted hashes, so memory never holds a token

	mu      sync.Mutex
	entries map[metaKey]metaEntry
}

type metaKey struct {
	scope [sha256.Size]byte
	kind  string
}

type metaEntry struct {
	val     any
	expires time.Time
}

// NewMetadata returns a store that keeps each list for ttl (0: not at all).
func NewMetadata(ttl time.Duration) *Metadata {
	m := &Metadata{ttl: ttl, now: time.Now, entries: map[metaKey]metaEntry{}}
	_, _ = rand.Read(m.salt[:])
	return m
}

// scope names the credential the request's upstream calls use: the client's
// bearer token when the gateway forwards it, or one scope for the gateway's
// own credential (no bearer in the context), which serves one account.
func (m *Metadata) scope(ctx context.Context) [sha256.Size]byte {
	token, _ := amocrm.BearerFromContext(ctx)
	b := make([]byte, 0, len(m.salt)+len(token))
	b = append(append(b, m.salt[:]...), token...)
	return sha256.Sum256(b)
}

func (m *Metadata) get(ctx context.Context, kind string) (any, bool) {
	if m == nil || m.ttl <= 0 {
		return nil, false
	}
	k := metaKey{m.scope(ctx), kind}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[k]
	if !ok {
		return nil, false
	}
	if !m.now().Before(e.expires) {
		delete(m.entries, k)
		return nil, false
	}
	return e.val, true
}

func (m *Metadata) put(ctx context.Context, kind string, v any) {
	if m == nil || m.ttl <= 0 {
		return
	}
	k := metaKey{m.scope(ctx), kind}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= maxMetadataEntries {
		for k, e := range m.entries {
			if !now.Before(e.expires) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= maxMetadataEntries {
			return
		}
	}
	m.entries[k] = metaEntry{val: v, expires: now.Add(m.ttl)}
}

// WithMetadata makes the loaders read account metadata through m, shared by
// every request; without it each request reads each list once.
func WithMetadata(m *Metadata) Option { return func(s *settings) { s.metadata = m } }

// metaFlight is one request's read of one list: the first resolver that
// needs the list reads it, the others wait for that read.
type metaFlight struct {
	done chan struct{}
	val  any
	err  error
}

// metadata returns the list kind, read by fetch at most once per request and
// at most once per TTL and credential. A failed read is not kept: the next
// request tries again.
func (l *Loaders) metadata(ctx context.Context, kind string, fetch func(context.Context) (any, error)) (any, error) {
	l.metaMu.Lock()
	f, waiting := l.meta[kind]
	if !waiting {
		f = &metaFlight{done: make(chan struct{})}
		l.meta[kind] = f
	}
	l.metaMu.Unlock()
	if waiting {
		select {
		case <-f.done:
			return f.val, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer close(f.done)
	if v, ok := l.shared.get(l.ctx, kind); ok {
		f.val = v
		return v, nil
	}
	// The request's context, as for every batch: the read serves every
	// resolver of the request, whichever one happened to start it.
	f.val, f.err = fetch(l.ctx)
	if f.err == nil {
		l.shared.put(l.ctx, kind, f.val)
	}
	return f.val, f.err
}

// Users is the account's user list.
type Users struct {
	List []*amocrm.User
	byID map[int]*amocrm.User
}

// Pipelines is the account's lead pipelines with their stages.
type Pipelines struct {
	List []*amocrm.Pipeline
	byID map[int]*amocrm.Pipeline
}

// PrefetchMetadata starts reading one of the account's lists ("users",
// "pipelines") now, in the background, for an operation that will read it:
// the read runs beside the operation's first calls, where a resolver would
// start it only once the entities naming users or stages had arrived, a
// round trip later. A list kept from an earlier request costs nothing.
func (l *Loaders) PrefetchMetadata(kind string) {
	switch kind {
	case "users":
		go func() { _, _ = l.Users(l.ctx) }()
	case "pipelines":
		go func() { _, _ = l.Pipelines(l.ctx) }()
	}
}

// Users returns the account's users: every page of GET /api/v4/users.
func (l *Loaders) Users(ctx context.Context) (*Users, error) {
	v, err := l.metadata(ctx, "users", func(ctx context.Context) (any, error) {
		var all []*amocrm.User
		for page := 1; page <= maxMetadataPages; page++ {
			users, resp, err := l.client.Users.List(ctx, &amocrm.UserListOptions{Page: page, Limit: maxIDsPerCall})
			if err != nil {
				return nil, err
			}
			all = append(all, users...)
			if len(users) < maxIDsPerCall || resp == nil || resp.NextPage == 0 {
				break
			}
		}
		u := &Users{List: all, byID: make(map[int]*amocrm.User, len(all))}
		for _, x := range all {
			u.byID[x.ID] = x
		}
		return u, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Users), nil
}

// User returns the account's user id, or nil when the account has none.
func (l *Loaders) User(ctx context.Context, id int) (*amocrm.User, error) {
	u, err := l.Users(ctx)
	if err != nil {
		return nil, err
	}
	return u.byID[id], nil
}

// Pipelines returns the account's lead pipelines: GET /api/v4/leads/pipelines
// answers all of them, with their stages, in one call.
func (l *Loaders) Pipelines(ctx context.Context) (*Pipelines, error) {
	v, err := l.metadata(ctx, "pipelines", func(ctx context.Context) (any, error) {
		list, _, err := l.client.Pipelines.List(ctx)
		if err != nil {
			return nil, err
		}
		p := &Pipelines{List: list, byID: make(map[int]*amocrm.Pipeline, len(list))}
		for _, x := range list {
			p.byID[x.ID] = x
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Pipelines), nil
}

// Pipeline returns the lead pipeline id, or nil when the account has none.
func (l *Loaders) Pipeline(ctx context.Context, id int) (*amocrm.Pipeline, error) {
	p, err := l.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	return p.byID[id], nil
}

// Status returns the stage statusID of pipeline pipelineID, or nil when the
// pipeline has no such stage. The closing stages 142 and 143 are in every
// pipeline, so a stage is only known with its pipeline.
func (l *Loaders) Status(ctx context.Context, pipelineID, statusID int) (*amocrm.PipelineStatus, error) {
	p, err := l.Pipeline(ctx, pipelineID)
	if err != nil || p == nil || p.Embedded == nil {
		return nil, err
	}
	for _, s := range p.Embedded.Statuses {
		if s.ID == statusID {
			return s, nil
		}
	}
	return nil, nil
}

// customFieldsPage is the page size of custom field definitions: amoCRM
// documents at most 50 per answer.
const customFieldsPage = 50

// CustomFields returns the custom field definitions of entityType
// ("contacts", "leads", "companies" or "customers"): every page of
// GET /api/v4/{entityType}/custom_fields.
func (l *Loaders) CustomFields(ctx context.Context, entityType string) ([]*amocrm.CustomField, error) {
	v, err := l.metadata(ctx, "custom_fields/"+entityType, func(ctx context.Context) (any, error) {
		var all []*amocrm.CustomField
		for page := 1; page <= maxMetadataPages; page++ {
			fields, resp, err := l.client.CustomFields.List(ctx, entityType, &amocrm.CustomFieldListOptions{Page: page, Limit: customFieldsPage})
			if err != nil {
				return nil, err
			}
			all = append(all, fields...)
			if len(fields) < customFieldsPage || resp == nil || resp.NextPage == 0 {
				break
			}
		}
		if all == nil {
			all = []*amocrm.CustomField{}
		}
		return all, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]*amocrm.CustomField), nil
}
