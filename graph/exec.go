package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/gqlhttp"
	"github.com/amogql/amogql/internal/loader"
)

// Executor is a gqlgen extension that answers the read operations its plan
// covers by itself: it reads through the request's loaders, as the
// resolvers do, and writes the data JSON straight from the decoded objects,
// without gqlgen's per-field execution (a goroutine per list element, a
// context per field). The answer is byte for byte the resolvers' answer.
// gqlgen stays the server: it parses, validates, runs every other extension
// and serves every operation the executor does not cover — mutations,
// subscriptions, introspection, and reads of fields it does not know.
//
// The rule for failures: the executor never writes an error. If anything
// goes wrong while it runs (an upstream read fails, an argument does not
// coerce, an object has an unexpected shape), it drops what it wrote and
// hands the whole operation to gqlgen, which answers with its errors and
// their paths. The loaders cache every read of the request, failed ones
// included (a failed read's thunk returns its error to every later caller),
// so gqlgen repeats no loader read: it finds the same objects and the same
// errors. The contacts list, which is not a loader read, and its hasNextPage
// probe are handed over with the operation, so they are not asked again
// either.
//
// Register it after Lookahead, which prepares the loaders, and after every
// other operation interceptor: when it answers, the interceptors behind it
// do not run.
type Executor struct {
	Client *amocrm.Client
	// Observe, if set, is told for each query whether the plan answered it.
	Observe func(ctx context.Context, planned bool)
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Executor{}

// ExtensionName names the extension in gqlgen's registry.
func (Executor) ExtensionName() string { return "PlanExecutor" }

// Validate accepts any schema.
func (Executor) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation answers a covered query from its plan, or runs next.
func (x Executor) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	if opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return next(ctx)
	}
	p := planOf(ctx, opCtx)
	l, err := loader.For(ctx)
	if !p.Covered || err != nil {
		x.observe(ctx, false)
		return next(ctx)
	}
	read := &lists{}
	data, err := x.run(ctx, opCtx, l, p, read)
	if err != nil {
		x.observe(ctx, false)
		return next(context.WithValue(ctx, listsKey{}, read))
	}
	x.observe(ctx, true)
	gqlhttp.MarkFinal(ctx, data)
	return graphql.OneShot(&graphql.Response{Data: json.RawMessage(data)})
}

func (x Executor) observe(ctx context.Context, planned bool) {
	if x.Observe != nil {
		x.Observe(ctx, planned)
	}
}

// planOf is the plan Lookahead found for the operation, or a fresh look-up.
func planOf(ctx context.Context, opCtx *graphql.OperationContext) *Plan {
	if m, _ := ctx.Value(memoKey{}).(*opMemo); m != nil && m.plan != nil {
		return m.plan
	}
	return planFor(opCtx)
}

// errShape is a value the executor did not expect; gqlgen answers instead.
var errShape = errors.New("graph: plan executor: unexpected shape")

// run writes the data of a covered query.
func (x Executor) run(ctx context.Context, opCtx *graphql.OperationContext, l *loader.Loaders, p *Plan, read *lists) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("graph: plan executor: %v", r)
		}
	}()
	r := &run{ctx: ctx, opCtx: opCtx, l: l, client: x.Client, lists: read}
	// Sized as the plan's last answer was, so that a large page is written
	// into one allocation instead of a doubling series of them.
	b := make([]byte, 0, max(4096, int(p.answerSize.Load())))
	for _, f := range p.Fields {
		if typ, ok := rootEntityTypes[f.Name]; ok {
			if id, err := model.UnmarshalID(f.ArgumentMap(r.opCtx.Variables)["id"]); err == nil {
				r.addSiblings(typ, []int{id})
			}
		}
	}
	// An entity read by id has its notes and tasks known by that id: they
	// are read beside it, not after it.
	for _, f := range p.Fields {
		if typ, ok := rootEntityTypes[f.Name]; ok {
			r.prefetchActivity(f.Kids, typ, r.siblings[typ])
		}
	}
	b = append(b, '{')
	for i, f := range p.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, f.Key)
		if f.Name == "__typename" {
			b = appendString(b, "Query")
		} else if root, ok := roots[f.Name]; ok {
			b, err = root.write(r, b, f)
		} else {
			err = errShape
		}
		if err != nil {
			return nil, err
		}
	}
	b = append(b, '}')
	p.answerSize.Store(int64(len(b) + len(b)/8))
	return b, nil
}

// run is one execution of a plan.
type run struct {
	ctx    context.Context
	opCtx  *graphql.OperationContext
	l      *loader.Loaders
	client *amocrm.Client
	lists  *lists // the list reads, for gqlgen if it takes over
	// siblings are the ids of the root's entities by amoCRM entity type
	// ("contacts", ...): whose notes and tasks the loaders read together.
	siblings map[string][]int
	args     map[*Node]coerced // fieldArgs' memo
}

// rootEntityTypes are the amoCRM entity types of the root fields reading
// an entity by id.
var rootEntityTypes = map[string]string{"contact": "contacts", "lead": "leads", "company": "companies"}

// addSiblings records ids as root entities of entityType.
func (r *run) addSiblings(entityType string, ids []int) {
	if r.siblings == nil {
		r.siblings = map[string][]int{}
	}
	r.siblings[entityType] = append(r.siblings[entityType], ids...)
}

// listed records the entities of a root list and starts the notes and
// tasks reads its items select, together.
func (r *run) listed(entityType string, conn []*Node, ids []int) {
	r.addSiblings(entityType, ids)
	for _, kids := range itemKids(conn) {
		r.prefetchActivity(kids, entityType, ids)
	}
}
