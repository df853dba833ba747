package graph

import (
	"cmp"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// SortErrors orders errors by path (request-level errors, with no path,
// first; list indexes numerically, field names alphabetically), then by
// message. gqlgen
// collects the errors of a list's elements as their goroutines finish, so
// two runs of one query could list the same errors in different orders;
// GraphQL sets no order (https://spec.graphql.org/October2021/#sec-Errors),
// so the gateway picks one, and the same answer is always the same bytes:
// clients, caches and the plan executor's byte-for-byte comparison with
// the resolvers can rely on it.
func SortErrors(errs gqlerror.List) {
	if len(errs) < 2 {
		return
	}
	slices.SortStableFunc(errs, func(a, b *gqlerror.Error) int {
		if c := comparePaths(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
}

// comparePaths orders paths element by element; a list index sorts before
// a field name at the same place, and a path before its extensions.
func comparePaths(a, b ast.Path) int {
	for i := range min(len(a), len(b)) {
		if c := comparePathElements(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func comparePathElements(a, b ast.PathElement) int {
	ai, aIsIndex := a.(ast.PathIndex)
	bi, bIsIndex := b.(ast.PathIndex)
	switch {
	case aIsIndex && bIsIndex:
		return cmp.Compare(ai, bi)
	case aIsIndex:
		return -1
	case bIsIndex:
		return 1
	}
	an, _ := a.(ast.PathName)
	bn, _ := b.(ast.PathName)
	return cmp.Compare(an, bn)
}
