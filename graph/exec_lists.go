package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// A list is read by the client, not through the loaders, so their cache
// cannot carry it from the plan executor to gqlgen when the executor hands
// an operation over. lists does: the executor records each page it read
// (its hasNextPage probe included, which runs at most once) under the root
// field's response key, and the resolver, finding it in its context,
// answers from it instead of asking amoCRM again.
type lists struct {
	mu    sync.Mutex
	pages map[string]any // *handedPage[T], by root key
}

type listsKey struct{}

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
