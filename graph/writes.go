package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
)

// Mutations never fail as a whole. A mutation field is non-null, so a
// top-level error would null the operation's data and hide the writes that
// earlier mutations of the same operation made (a client would retry them
// and duplicate contacts). Every outcome is therefore a payload: what was
// written, and one user error per item that was not, or may have been, or
// could not be read back.

// Codes the gateway puts in UserError.code beside amoCRM's own validation codes.
const (
	// CodeReadBackFailed marks an item that was written but whose full object
	// could not be read afterwards; UserError.id names it.
	CodeReadBackFailed = "READ_BACK_FAILED"
	// CodeNotFoundUpstream is amoCRM's own code for an id it does not know,
	// used for the single update too, so both updates report it alike.
	CodeNotFoundUpstream = "NotFound"
)

// inputFailure reports a refusal of the whole input, made before any call.
func inputFailure(err error) []*model.UserError {
	return []*model.UserError{{Message: err.Error(), Code: CodeBadUserInput, Field: []string{"input"}}}
}

// writeFailure reports a write call that failed, as one user error per
// input item: amoCRM's 400 names its items itself; any other failure
// concerns every item alike, with the code a top-level error would carry.
// OUTCOME_UNKNOWN says the items may have been written.
func (r *Resolver) writeFailure(ctx context.Context, err error, reqIDs []string) []*model.UserError {
	var resp *amocrm.ErrorResponse
	if errors.As(err, &resp) && resp.Status == http.StatusBadRequest {
		return validationUserErrors(resp, newIndexer(reqIDs), "input")
	}
	code, _, msg := classify(err)
	switch {
	case code == CodeInternal:
		r.Log.Error().Err(err).Str("path", graphql.GetPath(ctx).String()).Msg("internal error in a write")
		msg = "internal error"
	case msg == "":
		msg = err.Error()
	}
	out := make([]*model.UserError, len(reqIDs))
	for i, id := range reqIDs {
		out[i] = userError(i, id, code, msg, "input", strconv.Itoa(i))
	}
	return out
}

// written lines amoCRM's write answer up with the input: the item written
// for each input index, nil where the answer does not mention one. Such an
// item gets a user error, never a silently shorter list: the answer was a
// success, so it may well have been written.
func written[T any](answer []*T, reqID func(*T) string, reqIDs []string) (byIndex []*T, uerrs []*model.UserError) {
	ix := newIndexer(reqIDs)
	byIndex = make([]*T, len(reqIDs))
	for i, it := range answer {
		idx, ok := ix.take(reqID(it))
		if !ok && reqID(it) == "" && i < len(reqIDs) && byIndex[i] == nil {
			idx, ok = i, true // amoCRM may leave request_id out; then items come in input order
		}
		if ok {
			byIndex[idx] = it
		}
	}
	uerrs = []*model.UserError{}
	for i, it := range byIndex {
		if it == nil {
			uerrs = append(uerrs, userError(i, reqIDs[i], CodeOutcomeUnknown,
				"amoCRM's answer does not mention this item: it may or may not have been written; read the data before retrying it",
				"input", strconv.Itoa(i)))
		}
	}
	return byIndex, uerrs
}

// readBackFailed reports an item that was written but could not be read back.
func readBackFailed(i int, reqID string, id int, cause string) *model.UserError {
	ue := userError(i, reqID, CodeReadBackFailed,
		fmt.Sprintf("contact %d was written, but reading it back failed (%s); query it again later, do not repeat the write", id, cause),
		"input", strconv.Itoa(i))
	ue.ID = &id
	return ue
}

// describe names an error's code and says what happened, for a message
// that reports it inside another; internal details stay in the log.
func describe(err error) string {
	code, _, msg := classify(err)
	if code == CodeInternal {
		return code
	}
	if msg == "" {
		msg = err.Error()
	}
	return code + ": " + msg
}

// readsBack reports whether a mutation's payload selection (set, of type
// payloadType) asks for more of the written contacts than their ids and
// request ids, in any alias or fragment. When it does not, the write's own
// answer is all the payload needs and nothing is read back; the call
// estimate and the resolvers both ask this one question.
func readsBack(opCtx *graphql.OperationContext, set ast.SelectionSet, payloadType string) bool {
	for _, f := range graphql.CollectFields(opCtx, set, []string{payloadType}) {
		if f.Name != "contacts" && f.Name != "contact" {
			continue
		}
		for _, sub := range graphql.CollectFields(opCtx, f.Selections, []string{"Contact"}) {
			if sub.Name != "id" && sub.Name != "requestId" && sub.Name != "__typename" {
				return true
			}
		}
	}
	return false
}

// payloadReadsBack is readsBack for the mutation field being resolved.
func payloadReadsBack(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return true
	}
	return readsBack(graphql.GetOperationContext(ctx), fc.Field.Selections, fc.Field.Definition.Type.Name())
}
