package graph

import (
	"context"
	"fmt"
	"slices"
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
	return lineUp(byIndex, loaded, err, k.id, k.noun, reqIDs, uerrs, func(_ int, v *T) *T { return v })
}

// readBackFailedOf reports an item that was written but could not be read back.
func readBackFailedOf(noun string, i int, reqID string, id int, cause string) *model.UserError {
	ue := userError(i, reqID, CodeReadBackFailed,
		fmt.Sprintf("%s %d was written, but reading it back failed (%s); query it again later, do not repeat the write", noun, id, cause),
		"input", strconv.Itoa(i))
	ue.ID = &id
	return ue
}

// payloadSelects reports whether the mutation field being resolved selects,
// under its payload's field (of typeName), anything but __typename, id and
// the fields named in answered, in any alias or fragment: only then is
// there anything to read back, since the write's answer holds those.
func payloadSelects(ctx context.Context, field, typeName string, answered ...string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return true
	}
	opCtx := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(opCtx, fc.Field.Selections, []string{fc.Field.Definition.Type.Name()}) {
		if f.Name != field {
			continue
		}
		for _, sub := range graphql.CollectFields(opCtx, f.Selections, []string{typeName}) {
			if sub.Name != "id" && sub.Name != "__typename" && !slices.Contains(answered, sub.Name) {
				return true
			}
		}
	}
	return false
}

// lineUp puts the entities read back after a write in input order: for
// each written item of byIndex its loaded entity, made by keep, or
// READ_BACK_FAILED when the read failed (err) or did not find it.
func lineUp[T any](byIndex, loaded []*T, err error, id func(*T) int, noun string, reqIDs []string,
	uerrs []*model.UserError, keep func(i int, v *T) *T) ([]*T, []*model.UserError) {
	found := make(map[int]*T, len(loaded))
	for _, v := range loaded {
		if v != nil {
			found[id(v)] = v
		}
	}
	out := make([]*T, 0, len(byIndex))
	for i, w := range byIndex {
		if w == nil {
			continue
		}
		switch wid, v := id(w), found[id(w)]; {
		case err != nil:
			uerrs = append(uerrs, readBackFailedOf(noun, i, reqIDs[i], wid, describe(err)))
		case v == nil:
			uerrs = append(uerrs, readBackFailedOf(noun, i, reqIDs[i], wid, "amoCRM no longer has it"))
		default:
			out = append(out, keep(i, v))
		}
	}
	return out, uerrs
}
