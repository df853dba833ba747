package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/loader"
)

// The codes that end a subscription's stream, in its last payload.
const (
	// CodeSubscriptionTooSlow: the subscriber fell so far behind that changes
	// were dropped. Subscribe again and re-read what matters.
	CodeSubscriptionTooSlow = "SUBSCRIPTION_TOO_SLOW"
	// CodeShuttingDown: the gateway is shutting down. Subscribe again (to
	// another replica, or to this one once it is back).
	CodeShuttingDown = "SHUTTING_DOWN"
)

// maxSubscriptionIDs bounds a subscription's ids filter: every change is
// matched against it, and amoCRM's own id filters stop at 250.
const maxSubscriptionIDs = 250

// errNoChanges means the gateway was built without a change hub.
var errNoChanges = errors.New("subscriptions are not available on this gateway")

// changed subscribes to the changes of one entity type and hands them to
// gqlgen one at a time. The hub buffers them (and ends a subscription that
// lets its buffer fill, so a slow one never delays the others); this side
// holds none, so the buffer is the one bound.
func (r *Resolver) changed(ctx context.Context, e changes.Entity, ids []int, actions []model.ChangeAction) (<-chan *model.Change, error) {
	if r.Changes == nil {
		return nil, errNoChanges
	}
	if len(ids) > maxSubscriptionIDs {
		return nil, badInput("ids: at most %d ids, got %d", maxSubscriptionIDs, len(ids))
	}
	f := changes.Filter{Entity: e, IDs: ids}
	for _, a := range actions {
		f.Actions = append(f.Actions, changes.Action(a))
	}
	sub := r.Changes.Subscribe(f)
	end := endOf(ctx)
	// A WebSocket outlives a hub that closes for a shutdown: the shutdown
	// closes the socket with 1001, and the client subscribes again once it
	// reconnects, which it would not do for a stream completed before that.
	waitForSocket := graphql.HasOperationContext(ctx) && overWebsocket(graphql.GetOperationContext(ctx).Headers)
	out := make(chan *model.Change)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case c, ok := <-sub.C:
				if !ok {
					if errors.Is(sub.Err(), changes.ErrClosed) && waitForSocket {
						<-ctx.Done()
						return
					}
					end.set(sub.Err())
					return
				}
				select {
				case out <- toChange(c):
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func toChange(c changes.Change) *model.Change {
	at := c.At
	if at.IsZero() {
		at = c.Received
	}
	if at.IsZero() {
		at = time.Now()
	}
	return &model.Change{Action: model.ChangeAction(c.Action), ID: c.ID, At: at.Unix()}
}

// streamEnd keeps why a subscription's stream ended, so the Subscriptions
// extension can tell the client in a last payload.
type streamEnd struct {
	mu       sync.Mutex
	err      error
	reported bool
}

type streamEndKey struct{}

// endOf returns the operation's streamEnd; nil (which ignores everything)
// when the Subscriptions extension is not installed.
func endOf(ctx context.Context) *streamEnd {
	e, _ := ctx.Value(streamEndKey{}).(*streamEnd)
	return e
}

func (e *streamEnd) set(err error) {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.err = err
	e.mu.Unlock()
}

// take returns the error that ended the stream, once.
func (e *streamEnd) take() *gqlerror.Error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reported || e.err == nil {
		return nil
	}
	e.reported = true
	switch {
	case errors.Is(e.err, changes.ErrTooSlow):
		return &gqlerror.Error{Message: "the subscriber fell too far behind and changes were dropped; subscribe again",
			Extensions: map[string]any{"code": CodeSubscriptionTooSlow}}
	case errors.Is(e.err, changes.ErrClosed):
		return &gqlerror.Error{Message: "the gateway is shutting down; subscribe again",
			Extensions: map[string]any{"code": CodeShuttingDown}}
	}
	return &gqlerror.Error{Message: "the subscription ended", Extensions: map[string]any{"code": CodeInternal}}
}

// Subscriptions is a gqlgen extension that gives every subscription event
// what a request gets from the HTTP middleware: its own loaders, planned
// for the subscription's selection, and its own call budget. Without it one
// loader cache would live as long as the connection and serve its first
// answer for every later change of the same entity, and the budget of one
// operation would be spent by its first events. Operations other than
// subscriptions that share a WebSocket get the same, per operation.
//
// It also ends a stream the hub closed (too slow, shutting down) with a last
// payload whose error says why, on WebSocket and SSE alike, rather than
// completing it as if nothing happened.
//
// Install it before Lookahead, which plans the loaders it puts in place.
type Subscriptions struct {
	// Fresh returns ctx with a new set of loaders and a new call budget.
	// Nil leaves the context as it is.
	Fresh func(context.Context) context.Context
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = Subscriptions{}

// ExtensionName names the extension in gqlgen's registry.
func (Subscriptions) ExtensionName() string { return "Subscriptions" }

// Validate accepts any schema.
func (Subscriptions) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation prepares a subscription's end report, and gives an
// operation sent over a WebSocket loaders and a budget of its own.
func (s Subscriptions) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	switch {
	case opCtx.Operation == nil:
	case opCtx.Operation.Operation == ast.Subscription:
		ctx = context.WithValue(ctx, streamEndKey{}, &streamEnd{})
	case s.Fresh != nil && overWebsocket(opCtx.Headers):
		ctx = s.Fresh(ctx)
	}
	return next(ctx)
}

// InterceptResponse runs each event of a subscription with fresh loaders
// and budget, and turns the end of a stream the hub closed into a last
// payload with the reason.
func (s Subscriptions) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	opCtx := graphql.GetOperationContext(ctx)
	if opCtx.Operation == nil || opCtx.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	if s.Fresh != nil {
		ctx = s.Fresh(ctx)
		planEvent(ctx, opCtx)
	}
	if resp := next(ctx); resp != nil {
		return resp
	}
	if err := endOf(ctx).take(); err != nil {
		return &graphql.Response{Errors: gqlerror.List{err}}
	}
	return nil
}

// planEvent tells an event's loaders what the subscription selects of the
// changed entity, as Lookahead does for a query: which relations its read
// embeds (with=) and which related objects each level wants in full.
func planEvent(ctx context.Context, opCtx *graphql.OperationContext) {
	l, err := loader.For(ctx)
	if err != nil {
		return
	}
	complete := true
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Subscription"}) {
		if f.Definition != nil {
			complete = walkSelections(opCtx, l, f.Selections, f.Definition.Type.Name(), 0, 0) && complete
		}
	}
	if complete {
		l.Planned()
	}
}

// overWebsocket reports whether an operation came over a WebSocket, whose
// operations all share the connection's request context.
func overWebsocket(h http.Header) bool {
	return strings.EqualFold(h.Get("Upgrade"), "websocket")
}
