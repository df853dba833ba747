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
	if l.MaxDepth > 0 {
		if d := depth(opCtx.Doc, opCtx.Operation.SelectionSet, 0); d > l.MaxDepth {
			return tooComplex(fmt.Sprintf("the query is nested %d levels deep; the limit is %d", d, l.MaxDepth))
		}
	}
	if l.MaxCalls > 0 {
		if n := estimateCalls(opCtx); n > l.MaxCalls {
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

// estimateCalls is the fewest upstream calls the operation can cost.
func estimateCalls(opCtx *graphql.OperationContext) int {
	root := "Query"
	if opCtx.Operation.Operation == ast.Mutation {
		root = "Mutation"
	}
	n := 0
	shared := map[string]bool{}
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{root}) {
		if strings.HasPrefix(f.Name, "__") || f.Definition == nil {
			continue
		}
		if key := sharedRead(f); key == "" || !shared[key] {
			n++ // the root field's own call
			shared[key] = key != ""
		}
		if root == "Mutation" && f.Name != "linkChats" && readsBack(opCtx, f.Selections, f.Definition.Type.Name()) {
			n++ // the write, then the read of the written contacts
		}
		levels := map[string]bool{}
		countLevels(opCtx, f.Selections, f.Definition.Type.Name(), 0, levels)
		n += len(levels)
	}
	return n
}

// sharedRead names the read a root query field shares with the others of
// its kind: the loaders start every contact(id:), lead(id:) and company(id:)
// of an operation as one read per kind, and every chatLinks(contactIds:) as
// one chats read. "" for a field that reads on its own.
func sharedRead(f graphql.CollectedField) string {
	switch f.Name {
	case "contact", "lead", "company":
		return f.Name
	case "chatLinks":
		if f.Arguments.ForName("chatIds") == nil {
			return f.Name
		}
	}
	return ""
}

// countLevels records each (entity, relation, level) that needs a fetch.
func countLevels(opCtx *graphql.OperationContext, set ast.SelectionSet, typeName string, level int, seen map[string]bool) {
	kids, ok := relations[typeName]
	if !ok || level > maxWalkDepth {
		return
	}
	_, isEntity := entities[typeName]
	for _, f := range graphql.CollectFields(opCtx, set, []string{typeName}) {
		child, ok := kids[f.Name]
		if !ok {
			continue
		}
		next := level
		if isEntity {
			next++
		}
		// Chat links and catalog elements are only known by fetching them;
		// other relations cost a call only when more than ids are selected.
		fetch := f.Name == "chats" || f.Name == "element" ||
			isEntity && f.Name != "catalogElements" && !onlyID(opCtx, f.Selections, child)
		if fetch {
			seen[fmt.Sprintf("%s.%s@%d", typeName, f.Name, level)] = true
		}
		countLevels(opCtx, f.Selections, child, next, seen)
	}
}
