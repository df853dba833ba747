package graph

import (
	"container/list"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Plans are cached per parsed document: gqlgen keeps one *ast.QueryDocument
// per query text (and per persisted query), so the pointer names the text.
// A plan holds its document, so a cached pointer is never reused for another
// text. Variables change a plan only through @skip and @include, whose
// arguments are Boolean: the key carries the Boolean variables' values, and
// nothing else of the request.
type planKey struct {
	doc   *ast.QueryDocument
	op    *ast.OperationDefinition
	bools string
}

// planCacheSize bounds the cache; a plan is a few kilobytes.
const planCacheSize = 512

type planCache struct {
	mu    sync.Mutex
	order *list.List // of *planEntry, most recent first
	m     map[planKey]*list.Element
}

type planEntry struct {
	key  planKey
	plan *Plan
}

var plans = &planCache{order: list.New(), m: map[planKey]*list.Element{}}

// planFor returns the operation's plan, building it on first use.
func planFor(opCtx *graphql.OperationContext) *Plan {
	k := planKey{doc: opCtx.Doc, op: opCtx.Operation, bools: boolVars(opCtx.Operation, opCtx.Variables)}
	if p := plans.get(k); p != nil {
		return p
	}
	p := BuildPlan(opCtx.Doc, opCtx.Operation, opCtx.Variables)
	plans.put(k, p)
	return p
}

// boolVars encodes the values of the operation's Boolean variables, the
// only ones @skip and @include can take.
func boolVars(op *ast.OperationDefinition, vars map[string]any) string {
	var b strings.Builder
	for _, d := range op.VariableDefinitions {
		if d.Type == nil || d.Type.Elem != nil || d.Type.NamedType != "Boolean" {
			continue
		}
		switch v := vars[d.Variable]; v {
		case true:
			b.WriteByte('t')
		case false:
			b.WriteByte('f')
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

func (c *planCache) get(k planKey) *Plan {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*planEntry).plan
}

func (c *planCache) put(k planKey, p *Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.m[k] = c.order.PushFront(&planEntry{k, p})
	for c.order.Len() > planCacheSize {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.m, last.Value.(*planEntry).key)
	}
}
