package graph

import (
	"context"
	"sync"

	"github.com/amogql/amogql/graph/model"
)

// The paging every amoCRM list shares: Relay windows over page/limit pages,
// read in one call whenever one page holds the window, and hasNextPage
// settled by the same call or, only when selected, by a probe.

// pageReader reads one page of a list: page is 1-based, limit at most
// maxFirst, in the order and with the filter of one query.
type pageReader[T any] func(ctx context.Context, page, limit int) ([]T, error)

// windowOf reads the items [offset, offset+n) in the list's order. It asks
// for one item more where a single page can hold it, which settles
// hasNextPage without a further call; known reports whether it did.
func windowOf[T any](ctx context.Context, read pageReader[T], offset, n int) (items []T, more, known bool, err error) {
	if page, limit, skip, ok := pageWindow(offset, n+1, maxFirst); ok {
		rows, err := read(ctx, page, limit)
		if err != nil {
			return nil, false, false, err
		}
		rows = from(rows, skip)
		if len(rows) > n {
			return rows[:n], true, true, nil
		}
		return rows, false, true, nil
	}
	if page, limit, skip, ok := pageWindow(offset, n, maxFirst); ok {
		rows, err := read(ctx, page, limit)
		if err != nil {
			return nil, false, false, err
		}
		rows = from(rows, skip)
		// A short page ends the list; a full one may or may not be the last.
		return rows, false, len(rows) < n, nil
	}
	// The window straddles two pages of size n: read both at once.
	page := offset/n + 1
	var (
		wg         sync.WaitGroup
		a, b       []T
		errA, errB error
	)
	wg.Go(func() { a, errA = read(ctx, page, n) })
	wg.Go(func() { b, errB = read(ctx, page+1, n) })
	wg.Wait()
	if errA != nil {
		return nil, false, false, errA
	}
	if errB != nil {
		return nil, false, false, errB
	}
	rows := append(from(a, offset%n), b...)
	if len(a) < n { // the first page was the last one
		return from(a, offset%n), false, true, nil
	}
	if len(rows) > n { // an item follows the window
		return rows[:n], true, true, nil
	}
	return rows, false, len(b) < n, nil
}

func from[T any](rows []T, skip int) []T {
	if skip >= len(rows) {
		return rows[:0]
	}
	return rows[skip:]
}

// probeOf answers hasNextPage by asking for the single item at offset, only
// when a client selects hasNextPage and the page itself could not tell. It
// asks once however often the field is selected (aliases): the answer is
// kept, and two resolvers never run the call at the same time.
func probeOf[T any](ctx context.Context, read pageReader[T], offset int) func() (bool, error) {
	return sync.OnceValues(func() (bool, error) {
		rows, err := read(ctx, offset+1, 1)
		return len(rows) > 0, err
	})
}

// listPageOf is one page of a list connection, as readList found it.
type listPageOf[T any] struct {
	rows    []T
	offset  int // the position of rows[0] in the whole list
	fp      string
	hasNext func() (bool, error)
}

// readList reads the page a connection's arguments ask for: the window
// through read, and hasNextPage from the same call when it can tell, else
// from probeRead (which may leave out what the items embed) when selected.
// fp ties the cursors to the list and its arguments.
func readList[T any](ctx context.Context, args pageArgs, fp string, read, probeRead pageReader[T]) (*listPageOf[T], error) {
	offset, n, err := args.bounds(fp)
	if err != nil {
		return nil, err
	}
	p := &listPageOf[T]{offset: offset, fp: fp}
	if n == 0 {
		p.rows = []T{}
		p.hasNext = probeOf(ctx, probeRead, offset)
		return p, nil
	}
	rows, more, known, err := windowOf(ctx, read, offset, n)
	if err != nil {
		return nil, err
	}
	p.rows = rows
	if known {
		p.hasNext = func() (bool, error) { return more, nil }
	} else {
		p.hasNext = probeOf(ctx, probeRead, offset+n)
	}
	return p, nil
}

// edgesOf returns the page's edges, each made by edge from the item's
// cursor and the item; never nil, as the schema's edges are non-null.
func edgesOf[T, E any](p *listPageOf[T], edge func(cursor string, node T) E) []E {
	out := make([]E, len(p.rows))
	for i, r := range p.rows {
		out[i] = edge(encodeCursor(p.offset+i, p.fp), r)
	}
	return out
}

func (p *listPageOf[T]) pageInfo() *model.PageInfo {
	pi := &model.PageInfo{HasPreviousPage: p.offset > 0, HasNext: p.hasNext}
	if n := len(p.rows); n > 0 {
		start, end := encodeCursor(p.offset, p.fp), encodeCursor(p.offset+n-1, p.fp)
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}
