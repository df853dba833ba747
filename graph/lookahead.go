package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/loader"
)

// contactWith returns the with= values a contacts call needs for the fields
// selected on Contact, through fragments, inline fragments and aliases
// (CollectFields resolves all three): only the relations amoCRM embeds on
// request, and only when selected.
func contactWith(opCtx *graphql.OperationContext, sets ...ast.SelectionSet) []string {
	selected := map[string]bool{}
	for _, set := range sets {
		for _, f := range graphql.CollectFields(opCtx, set, []string{"Contact"}) {
			selected[f.Name] = true
		}
	}
	return contactWithOf(selected)
}

// contactEmbeds are the Contact fields amoCRM embeds only on request, with
// their with= values, in the order a contacts call names them.
var contactEmbeds = []struct{ field, with string }{
	{"leads", "leads"}, {"customers", "customers"}, {"catalogElements", "catalog_elements"},
}

// contactWithOf is the with= of a contacts call whose contacts select the
// fields in selected.
func contactWithOf(selected map[string]bool) []string {
	var with []string
	for _, e := range contactEmbeds {
		if selected[e.field] {
			with = append(with, e.with)
		}
	}
	return with
}

// connectionContactSets returns the selection sets that apply to Contact
// under a ContactConnection: nodes { … } and edges { node { … } }.
func connectionContactSets(ctx context.Context) (*graphql.OperationContext, []ast.SelectionSet) {
	opCtx := graphql.GetOperationContext(ctx)
	var sets []ast.SelectionSet
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{"ContactConnection"}) {
		switch f.Name {
		case "nodes":
			sets = append(sets, f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(opCtx, f.Selections, []string{"ContactEdge"}) {
				if e.Name == "node" {
					sets = append(sets, e.Selections)
				}
			}
		}
	}
	return opCtx, sets
}

// onlyID reports whether a selection asks for nothing an id cannot answer.
func onlyID(opCtx *graphql.OperationContext, set ast.SelectionSet, typeName string) bool {
	for _, f := range graphql.CollectFields(opCtx, set, []string{typeName}) {
		if f.Name != "id" && f.Name != "__typename" {
			return false
		}
	}
	return true
}

// fieldOnlyID reports whether the field being resolved selects only id.
// Every parent in a list asks the same of the same field, so the answer is
// kept per field for the operation.
func fieldOnlyID(ctx context.Context, typeName string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return false
	}
	memo, _ := ctx.Value(memoKey{}).(*opMemo)
	if memo != nil {
		memo.mu.Lock()
		v, ok := memo.onlyID[fc.Field.Field]
		memo.mu.Unlock()
		if ok {
			return v
		}
	}
	v := onlyID(graphql.GetOperationContext(ctx), fc.Field.Selections, typeName)
	if memo != nil {
		memo.mu.Lock()
		memo.onlyID[fc.Field.Field] = v
		memo.mu.Unlock()
	}
	return v
}

// opMemo keeps per-operation answers that every parent of a list would
// otherwise compute again.
type opMemo struct {
	mu     sync.Mutex
	onlyID map[*ast.Field]bool
	plan   *Plan // the operation's plan; read-only
}

type memoKey struct{}

// Lookahead is a gqlgen extension that reads the whole operation before any
// resolver runs and tells the request's loaders what it selects: which
// relations each fetch must embed (with=) and which related objects each
// level will want in full. Reading it once up front, rather than in each
// root resolver, means root fields that run in parallel all fetch with the
// same with= values, so what one caches is complete for the other.
type Lookahead struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Lookahead{}

// ExtensionName names the extension in gqlgen's registry.
func (Lookahead) ExtensionName() string { return "Lookahead" }

// Validate accepts any schema.
func (Lookahead) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation prepares the request's loaders from the operation's
// plan, then runs it.
func (Lookahead) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	memo := &opMemo{onlyID: map[*ast.Field]bool{}}
	if opCtx := graphql.GetOperationContext(ctx); opCtx.Operation != nil {
		memo.plan = planFor(opCtx)
		if l, err := loader.For(ctx); err == nil {
			memo.plan.Prepare(l)
			if memo.plan.Kind == ast.Query {
				prefetchRoots(opCtx.Variables, l, memo.plan.Fields)
			}
		}
	}
	return next(context.WithValue(ctx, memoKey{}, memo))
}

// prefetchRoots starts reading the objects that root fields name by id,
// once the plan has told the loaders what the operation wants of them: every
// contact(id:) of the operation in one call, every lead(id:) in one, every
// company(id:) in one, and the chats of every chatLinks(contactIds:) in one,
// instead of one call per field. The root resolvers (or the plan executor)
// find the reads under way. Arguments their resolvers would refuse are left
// to them.
func prefetchRoots(vars map[string]any, l *loader.Loaders, fields []*Node) {
	var contacts, leads, companies, chats []int
	for _, f := range fields {
		switch f.Name {
		case "contact", "lead", "company", "chatLinks":
		default:
			continue
		}
		args := f.ArgumentMap(vars)
		switch f.Name {
		case "contact":
			contacts = append(contacts, argIDs(args["id"])...)
		case "lead":
			leads = append(leads, argIDs(args["id"])...)
		case "company":
			companies = append(companies, argIDs(args["id"])...)
		case "chatLinks":
			ids := argIDs(args["contactIds"])
			if chatIDs, _ := args["chatIds"].([]any); len(chatIDs) == 0 && len(ids) <= maxBatch {
				chats = append(chats, ids...)
			}
		}
	}
	l.PrefetchRoots(contacts, leads, companies)
	l.PrefetchChatLinks(chats, 0)
}

// argIDs reads an ID or [ID!] argument; nil if any id is not one the ID
// scalar accepts.
func argIDs(v any) []int {
	vs, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil
		}
		vs = []any{v}
	}
	ids := make([]int, len(vs))
	for i, x := range vs {
		id, err := model.UnmarshalID(x)
		if err != nil {
			return nil
		}
		ids[i] = id
	}
	return ids
}

// maxWalkDepth bounds the walk; deeper queries are refused by the depth limit anyway.
const maxWalkDepth = 32

// walkSelections tells l what set, selected on typeName at level, asks of
// the loaders, as a plan does for a whole operation. It reports false when
// it stopped at maxWalkDepth without seeing everything.
func walkSelections(opCtx *graphql.OperationContext, l *loader.Loaders, set ast.SelectionSet, typeName string, level, depth int) bool {
	b := builder{opCtx: opCtx}
	p := &Plan{}
	complete := walker{plan: p}.walk(b.nodes(set, typeName, depth), typeName, level, depth) && !b.cut
	p.Complete = false // the caller declares the operation planned
	p.Prepare(l)
	return complete
}
