package changes

import (
	"errors"
	"testing"
	"time"
)

func TestHub_FanOutFilterDedup(t *testing.T) {
	t.Parallel()
	h := NewHub(4)
	all := h.Subscribe(Filter{Entity: Contacts})
	one := h.Subscribe(Filter{Entity: Contacts, IDs: []int{7}, Actions: []Action{Deleted}})
	leads := h.Subscribe(Filter{Entity: Leads})
	at := time.Unix(1700000000, 0)
	n := h.Publish(
		Change{Entity: Contacts, Action: Updated, ID: 7, At: at},
		Change{Entity: Contacts, Action: Deleted, ID: 7, At: at},
		Change{Entity: Contacts, Action: Deleted, ID: 7, At: at.Add(time.Second), Received: time.Now()}, // a repeated delivery, timed on arrival
	)
	if n != 2 {
		t.Errorf("Publish reported %d new changes, want 2", n)
	}
	// Restored, deleted again and updated twice at different times are all news.
	if n := h.Publish(
		Change{Entity: Contacts, Action: Restored, ID: 7, At: at},
		Change{Entity: Contacts, Action: Deleted, ID: 7, At: at},
		Change{Entity: Contacts, Action: Updated, ID: 8, At: at},
		Change{Entity: Contacts, Action: Updated, ID: 8, At: at.Add(time.Second)},
		Change{Entity: Contacts, Action: Updated, ID: 8, At: at.Add(time.Second)},
	); n != 4 {
		t.Errorf("second Publish reported %d new changes, want 4", n)
	}
	if got := len(all.C); got != 4 { // a buffer of 4: the fifth closes it
		t.Errorf("every-contact subscription got %d, want 4", got)
	}
	if got := len(one.C); got != 2 || (<-one.C).Action != Deleted {
		t.Errorf("filtered subscription got %d", got)
	}
	if got := len(leads.C); got != 0 {
		t.Errorf("lead subscription got %d contact changes", got)
	}
}

func TestHub_SlowSubscriberIsClosedOthersGoOn(t *testing.T) {
	t.Parallel()
	h := NewHub(2)
	slow := h.Subscribe(Filter{Entity: Contacts})
	fast := h.Subscribe(Filter{Entity: Contacts})
	for i := range 5 {
		h.Publish(Change{Entity: Contacts, Action: Updated, ID: i + 1})
		<-fast.C
	}
	got := 0
	for range slow.C {
		got++
	}
	if got != 2 || !errors.Is(slow.Err(), ErrTooSlow) {
		t.Errorf("slow subscriber: %d changes, err %v; want its 2 buffered and ErrTooSlow", got, slow.Err())
	}
	if fast.Err() != nil || h.Len() != 1 {
		t.Errorf("fast subscriber err %v, hub holds %d", fast.Err(), h.Len())
	}
	h.Close()
	if _, ok := <-fast.C; ok || !errors.Is(fast.Err(), ErrClosed) {
		t.Errorf("after Close: err %v", fast.Err())
	}
	if s := h.Subscribe(Filter{Entity: Leads}); !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("subscribe after Close: %v", s.Err())
	}
}
