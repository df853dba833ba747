package graph

import (
	"context"
	"fmt"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/loader"
)

// writeKind is what reading back a written entity needs to know of it.
type writeKind[T any] struct {
	noun     string // "lead", for messages
	field    string // the payload's list field, "leads"
	typeName string // the GraphQL type, "Lead"
	id       func(*T) int
	reqID    func(*T) string
	stub     func(id int) *T // an object that answers id only
	forget   func(l *loader.Loaders, ctx context.Context, ids []int)
	prefetch func(l *loader.Loaders, ids []int)
	load     func(l *loader.Loaders, ctx context.Context, ids []int) ([]*T, error)
}

// writtenOf returns what a write answered, in input order, and a user error
// for every item it cannot account for, as writtenContacts does: the
// entities are loaded in full in one batched call, unless the payload reads
// nothing of them but ids.
func writtenOf[T any](ctx context.Context, k writeKind[T], answer []*T, reqIDs []string) ([]*T, []*model.UserError) {
	byIndex, uerrs := written(answer, k.reqID, reqIDs)
	out := make([]*T, 0, len(byIndex))
	ids := make([]int, 0, len(byIndex))
	for _, it := range byIndex {
		if it != nil {
			ids = append(ids, k.id(it))
		}
	}
	if !payloadSelects(ctx, k.field, k.typeName) {
		for _, id := range ids {
			out = append(out, k.stub(id))
		}
		return out, uerrs
	}
	l, err := loader.For(ctx)
	var loaded []*T
	if err == nil {
		// An earlier field of the operation may have read them before the write.
		k.forget(l, ctx, ids)
		k.prefetch(l, ids)
		loaded, err = k.load(l, ctx, ids)
	}
	found := make(map[int]*T, len(loaded))
	for _, it := range loaded {
		if it != nil {
			found[k.id(it)] = it
		}
	}
	for i, w := range byIndex {
		if w == nil {
			continue
		}
		switch id, it := k.id(w), found[k.id(w)]; {
		case err != nil:
			uerrs = append(uerrs, readBackFailedOf(k.noun, i, reqIDs[i], id, describe(err)))
		case it == nil:
			uerrs = append(uerrs, readBackFailedOf(k.noun, i, reqIDs[i], id, "amoCRM no longer has it"))
		default:
			out = append(out, it)
		}
	}
	return out, uerrs
}

// readBackFailedOf reports an item that was written but could not be read back.
func readBackFailedOf(noun string, i int, reqID string, id int, cause string) *model.UserError {
	ue := userError(i, reqID, CodeReadBackFailed,
		fmt.Sprintf("%s %d was written, but reading it back failed (%s); query it again later, do not repeat the write", noun, id, cause),
		"input", strconv.Itoa(i))
	ue.ID = &id
	return ue
}

// payloadSelects reports whether the mutation field being resolved selects
// more of its payload's field (of typeName) than ids, in any alias or
// fragment: only then is there anything to read back.
func payloadSelects(ctx context.Context, field, typeName string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return true
	}
	opCtx := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(opCtx, fc.Field.Selections, []string{fc.Field.Definition.Type.Name()}) {
		if f.Name == field && !onlyID(opCtx, f.Selections, typeName) {
			return true
		}
	}
	return false
}
