package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeQueryTooComplex refuses a query before it runs: too deep, or needing
// more amoCRM calls than one operation may make.
const CodeQueryTooComplex = "QUERY_TOO_COMPLEX"

// Limits is a gqlgen extension that refuses, before any upstream call,
// operations nested deeper than MaxDepth or whose selection alone needs more
// than MaxCalls upstream calls. The call estimate is the gateway's own cost
// model: one call per root field plus one per level of related objects
// fetched in full; the gateway's runtime budget catches what it cannot see
// (a level with more than 250 ids takes more than one call).
type Limits struct {
	MaxDepth int
	MaxCalls int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension in gqlgen's registry.
func (Limits) ExtensionName() string { return "Limits" }

// Validate accepts any schema.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation and refuses it if it is over a limit.
func (l Limits) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	p := planFor(opCtx)
	if l.MaxDepth > 0 {
		if d := p.Depth; d > l.MaxDepth {
			return tooComplex(fmt.Sprintf("the query is nested %d levels deep; the limit is %d", d, l.MaxDepth))
		}
	}
	if l.MaxCalls > 0 {
		if n := p.Calls; n > l.MaxCalls {
			return tooComplex(fmt.Sprintf("the query needs at least %d amoCRM calls; one operation may make %d", n, l.MaxCalls))
		}
	}
	return nil
}

func tooComplex(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeQueryTooComplex}}
}

// depth is the deepest field nesting under set, following fragments.
// Introspection fields do not count: GraphiQL's own schema query is deep by
// nature and costs amoCRM nothing. Each fragment is measured once, so a
// document whose fragments spread each other twice over (2^n paths in a
// kilobyte) costs what its size does.
func depth(doc *ast.QueryDocument, set ast.SelectionSet, level int) int {
	return level + relDepth(doc, set, map[string]int{}, 0)
}

// relDepth is the nesting of set itself. frags holds the depth of each
// fragment measured so far; the validator has already refused fragment
// cycles, and guard bounds the walk regardless.
func relDepth(doc *ast.QueryDocument, set ast.SelectionSet, frags map[string]int, guard int) int {
	if guard > 1000 {
		return 0
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + relDepth(doc, s.SelectionSet, frags, guard+1)
		case *ast.InlineFragment:
			d = relDepth(doc, s.SelectionSet, frags, guard+1)
		case *ast.FragmentSpread:
			v, seen := frags[s.Name]
			if !seen {
				frags[s.Name] = 0 // a cycle ends here
				if f := doc.Fragments.ForName(s.Name); f != nil {
					v = relDepth(doc, f.SelectionSet, frags, guard+1)
				}
				frags[s.Name] = v
			}
			d = v
		}
		deepest = max(deepest, d)
	}
	return deepest
}
