// Package changes carries news of changed amoCRM entities from where the
// gateway learns of them (amoCRM's webhooks, the gateway's own writes) to
// whoever waits for them (GraphQL subscriptions). A Hub fans each change out
// to its subscribers without ever waiting for one: a subscriber that falls
// too far behind is closed with ErrTooSlow, so it cannot delay the others.
package changes

import (
	"errors"
	"sync"
	"time"
)

// Entity is an amoCRM entity type, named as in its REST paths.
type Entity string

// The entity types whose changes amoCRM reports.
const (
	Contacts  Entity = "contacts"
	Leads     Entity = "leads"
	Companies Entity = "companies"
	Customers Entity = "customers"
)

// Action is what happened to an entity. amoCRM's finer webhook actions (a
// lead's status or responsible user changed) are Updated.
type Action string

// The actions a change can report.
const (
	Added    Action = "ADDED"
	Updated  Action = "UPDATED"
	Deleted  Action = "DELETED"
	Restored Action = "RESTORED"
)

// Change is one entity's change.
type Change struct {
	Entity Entity
	Action Action
	ID     int
	// At is when amoCRM says the change happened (its updated_at, or the
	// time the gateway received the news when amoCRM gave none).
	At time.Time
	// Received is when the gateway learnt of it, for measuring delivery lag.
	Received time.Time
}

// ErrTooSlow closes a subscription that let its buffer fill up.
var ErrTooSlow = errors.New("changes: subscriber too slow, changes were dropped")

// ErrClosed closes every subscription when the hub shuts down.
var ErrClosed = errors.New("changes: hub closed")

// Filter selects the changes a subscription receives. Empty IDs or Actions
// mean every id or every action.
type Filter struct {
	Entity  Entity
	IDs     []int
	Actions []Action
}

func (f Filter) match(c Change) bool {
	if c.Entity != f.Entity {
		return false
	}
	if len(f.IDs) > 0 && !contains(f.IDs, c.ID) {
		return false
	}
	return len(f.Actions) == 0 || contains(f.Actions, c.Action)
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// DefaultBuffer is how many undelivered changes a subscription may hold.
const DefaultBuffer = 64

// dedupWindow is how long an entity's last change is remembered to drop
// repeats: amoCRM may deliver one webhook more than once.
const dedupWindow = time.Minute

// entityID names one entity.
type entityID struct {
	Entity Entity
	ID     int
}

// seenChange is the last change published for an entity.
type seenChange struct {
	Action Action
	At     time.Time
	seen   time.Time
}

// repeats reports whether c repeats last, the entity's previous change. An
// entity cannot be added, deleted or restored twice in a row, so the same
// action again is a repeated delivery whatever its time (a delete carries
// none); updates repeat only with the same time.
func (last seenChange) repeats(c Change) bool {
	return last.Action == c.Action && (c.Action != Updated || last.At.Equal(c.At))
}

// Hub fans changes out to subscriptions. The zero value is not usable;
// call NewHub.
type Hub struct {
	buffer int

	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	seen   map[entityID]seenChange
	swept  time.Time
	closed bool
}

// NewHub returns a hub whose subscriptions buffer up to buffer changes
// (DefaultBuffer when buffer ≤ 0).
func NewHub(buffer int) *Hub {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Hub{buffer: buffer, subs: map[*Subscription]struct{}{}, seen: map[entityID]seenChange{}}
}

// Subscription receives the changes its filter selects on C, until C is
// closed; Err then says why.
type Subscription struct {
	C <-chan Change

	c      chan Change
	hub    *Hub
	filter Filter
	err    error // set under hub.mu before c is closed
}

// Err is why C was closed: ErrTooSlow, ErrClosed, or nil after Close.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription; C is closed. It may be called more than once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.dropLocked(s, nil)
}

// Subscribe starts a subscription. On a closed hub it returns one whose C
// is already closed with ErrClosed.
func (h *Hub) Subscribe(f Filter) *Subscription {
	c := make(chan Change, h.buffer)
	s := &Subscription{C: c, c: c, hub: h, filter: f}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.err = ErrClosed
		close(c)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Len is the number of open subscriptions.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish hands each change to the subscriptions that select it, and
// reports how many changes were new (a repeat of an entity's last change,
// published within the last minute, is dropped). It never blocks: a subscription whose buffer
// is full is closed with ErrTooSlow.
func (h *Hub) Publish(cs ...Change) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0
	}
	now := time.Now()
	h.sweepLocked(now)
	n := 0
	for _, c := range cs {
		key := entityID{c.Entity, c.ID}
		if last, ok := h.seen[key]; ok && now.Sub(last.seen) < dedupWindow && last.repeats(c) {
			continue
		}
		h.seen[key] = seenChange{Action: c.Action, At: c.At, seen: now}
		n++
		for s := range h.subs {
			if !s.filter.match(c) {
				continue
			}
			select {
			case s.c <- c:
			default:
				h.dropLocked(s, ErrTooSlow)
			}
		}
	}
	return n
}

// Close closes every subscription with ErrClosed and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.dropLocked(s, ErrClosed)
	}
}

// dropLocked ends s with err. Call with h.mu held.
func (h *Hub) dropLocked(s *Subscription, err error) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	s.err = err
	close(s.c)
}

// sweepLocked forgets changes older than the dedup window, at most once
// per window. Call with h.mu held.
func (h *Hub) sweepLocked(now time.Time) {
	if now.Sub(h.swept) < dedupWindow {
		return
	}
	h.swept = now
	for k, last := range h.seen {
		if now.Sub(last.seen) >= dedupWindow {
			delete(h.seen, k)
		}
	}
}
