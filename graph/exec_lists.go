package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amogql/amogql/internal/amocrm"
)

// A list is read by the client, not through the loaders, so their cache
// cannot carry it from the plan executor to gqlgen when the executor hands
// an operation over. lists does: the executor records each list read
// and hasNextPage probe under the root field's response key, and the
// resolver, finding them in its context, answers from them instead of
// asking amoCRM again.
type lists struct {
	mu    sync.Mutex
	m     map[string]*listRead
	pages map[string]any // *handedPage[T] of the other lists, by root key
}

// handedPage is a list page the executor read (or failed to), for the
// resolver of the same root field.
type handedPage[T any] struct {
	p   *listPageOf[T]
	err error
}

func (ls *lists) putPage(key string, p any) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.pages == nil {
		ls.pages = map[string]any{}
	}
	ls.pages[key] = p
}

// handedOver is the page the plan executor read for the root field being
// resolved, when it read one before handing the operation to gqlgen.
func handedOver[T any](ctx context.Context) (*handedPage[T], bool) {
	ls, _ := ctx.Value(listsKey{}).(*lists)
	if ls == nil {
		return nil, false
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	h, ok := ls.pages[rootKey(ctx)].(*handedPage[T])
	return h, ok
}

type listRead struct {
	rows        []*amocrm.Contact
	more, known bool
	err         error
	probed      bool
	probeMore   bool
	probeErr    error
}

type listsKey struct{}

func (ls *lists) get(key string) *listRead {
	if ls == nil {
		return nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.m[key]
}

func (ls *lists) put(key string, r *listRead) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = map[string]*listRead{}
	}
	ls.m[key] = r
}

// rootKey is the response key of the root field being resolved.
func rootKey(ctx context.Context) string {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		return fc.Field.Alias
	}
	return ""
}

// readHanded is readList, answered from the plan executor's read of the
// same root field when it read one before handing the operation over.
func readHanded[T any](ctx context.Context, args pageArgs, fp string, read, probeRead pageReader[T]) (*listPageOf[T], error) {
	if h, ok := handedOver[T](ctx); ok {
		return h.p, h.err
	}
	return readList(ctx, args, fp, read, probeRead)
}

// readWindow is window, answered from the plan executor's read of the same
// root field when there was one.
func readWindow(ctx context.Context, c *amocrm.Client, opts amocrm.ContactListOptions, offset, n int) ([]*amocrm.Contact, bool, bool, error) {
	ls, _ := ctx.Value(listsKey{}).(*lists)
	if r := ls.get(rootKey(ctx)); r != nil {
		return r.rows, r.more, r.known, r.err
	}
	return window(ctx, c, opts, offset, n)
}

// readProbe is probe, answered from the plan executor's probe of the same
// root field when there was one.
func readProbe(ctx context.Context, c *amocrm.Client, opts amocrm.ContactListOptions, offset int) func() (bool, error) {
	ls, _ := ctx.Value(listsKey{}).(*lists)
	if r := ls.get(rootKey(ctx)); r != nil && r.probed {
		return func() (bool, error) { return r.probeMore, r.probeErr }
	}
	return probe(ctx, c, opts, offset)
}

// recordProbe returns probe, keeping its answer in r.
func (r *listRead) recordProbe(probe func() (bool, error)) func() (bool, error) {
	return func() (bool, error) {
		more, err := probe()
		r.probed, r.probeMore, r.probeErr = true, more, err
		return more, err
	}
}
