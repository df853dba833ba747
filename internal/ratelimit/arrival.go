package ratelimit

import (
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// DefaultTransitBound is the one assumption the budget's guarantee rests on:
// a request that has been written to its connection reaches amoCRM, and is
// counted there, within this long. A request therefore arrives between the
// moment its first byte leaves and the earlier of its answer's first byte
// (an answer proves arrival) and its last byte written plus this bound, and
// its window slot is held until then (window.go).
//
// 50 ms covers a gateway in or near the datacentre region of the account's
// amoCRM servers (a one-way trip of a few to a few tens of milliseconds).
// Raise it with WithTransitBound for a gateway far from amoCRM, or on a
// lossy link where TCP retransmissions delay requests: too small a bound
// lets amoCRM count more than the budget in one second; too large only
// costs throughput when answers are slow (at most Rate/(1 s + bound)
// requests per second whatever the latency).
const DefaultTransitBound = 50 * time.Millisecond

// arrival bounds when one request arrived at amoCRM, from what the
// transport reports through httptrace, and settles its window slot as soon
// as the bound is known:
//
//   - written (WroteRequest) at w: arrival ≤ w + transit bound;
//   - first answer byte at f: arrival ≤ f;
//   - no connection ever obtained: the request never left, the slot is
//     abandoned;
//   - a connection but no news of the writing by the time the transport
//     returned at r (it may still be flushing): arrival ≤ r + bound;
//   - no trace news at all (a RoundTripper that does not report through
//     httptrace): arrival ≤ the time it returned, the answer.
//
// When net/http sends the request again on another connection, every
// attempt's bound counts: the slot is held until the latest.
type arrival struct {
	s       slotKeeper
	transit time.Duration

	mu      sync.Mutex
	traced  bool      // GetConn was reported: the transport speaks httptrace
	conn    bool      // this attempt got a connection
	wrote   time.Time // this attempt's request was written
	first   time.Time // this attempt's answer began
	prevEnd time.Time // the latest bound of earlier attempts
	done    bool      // RoundTrip returned: later news is ignored
}

// slotKeeper is one request's hold on its credential's window: in this
// process (windowSlot) or shared with other replicas through Redis.
type slotKeeper interface {
	// settle records that the request arrived at amoCRM no later than end.
	settle(end time.Time)
	// abandon frees the slot: the request never left.
	abandon()
}

// windowSlot is a slot of a window in this process.
type windowSlot struct {
	w *window
	s slot
}

func (ws windowSlot) settle(end time.Time) { ws.w.settle(ws.s, end) }
func (ws windowSlot) abandon()             { ws.w.abandon(ws.s) }

// trace returns req with the hooks that feed a.
func (a *arrival) trace(req *http.Request) *http.Request {
	ct := &httptrace.ClientTrace{
		GetConn: func(string) {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.conn || !a.wrote.IsZero() {
				a.prevEnd = a.endLocked(time.Now())
			}
			a.traced, a.conn, a.wrote, a.first = true, false, time.Time{}, time.Time{}
		},
		GotConn: func(httptrace.GotConnInfo) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.conn = true
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.done {
				return
			}
			a.wrote = time.Now()
			a.s.settle(a.endLocked(a.wrote))
		},
		GotFirstResponseByte: func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.done {
				return
			}
			a.first = time.Now()
			a.s.settle(a.endLocked(a.first))
		},
	}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), ct))
}

// finish is called when the transport returned, at now.
func (a *arrival) finish(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.done = true
	switch {
	case !a.traced:
		a.s.settle(now)
	case !a.conn && a.prevEnd.IsZero():
		a.s.abandon()
	default:
		a.s.settle(a.endLocked(now))
	}
}

// endLocked is the latest arrival of every attempt so far, now being the
// time of the news. Call with a.mu held.
func (a *arrival) endLocked(now time.Time) time.Time {
	var end time.Time
	switch {
	case !a.first.IsZero() && (a.wrote.IsZero() || a.first.Before(a.wrote.Add(a.transit))):
		end = a.first
	case !a.wrote.IsZero():
		end = a.wrote.Add(a.transit)
	case a.conn:
		end = now.Add(a.transit)
	}
	if a.prevEnd.After(end) {
		end = a.prevEnd
	}
	return end
}
