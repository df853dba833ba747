package webhook

import (
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/sandbox"
)

// TestSandbox_EndToEnd registers the handler with the sandbox (written
// from amoCRM's docs apart from this package), makes changes there, and
// checks the changes the handler hands on: the parser and the emulator
// agree on amoCRM's webhook format.
func TestSandbox_EndToEnd(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var statuses []int
	sb := sandbox.New(sandbox.WithContacts(5), sandbox.WithWebhookObserver(func(d sandbox.WebhookDelivery) {
		mu.Lock()
		defer mu.Unlock()
		statuses = append(statuses, d.Status)
	}))
	upstream := httptest.NewServer(sb)
	t.Cleanup(upstream.Close)
	t.Cleanup(sb.Close)

	var got []changes.Change
	var logs syncBuffer
	h, err := NewHandler(HandlerConfig{
		Secret: testSecret,
		Invalidate: func(cs []changes.Change) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, cs...)
		},
		Log: zerolog.New(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	gateway := httptest.NewServer(h)
	t.Cleanup(gateway.Close)

	client, err := amocrm.NewClient(amocrm.WithBaseURL(upstream.URL), amocrm.WithToken(sandbox.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistrar(RegistrarConfig{Client: client, PublicURL: gateway.URL, Secret: testSecret, Log: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []Outcome{Registered, Unchanged} {
		if o, err := reg.Check(t.Context()); err != nil || o != want {
			t.Fatalf("Check = %v, %v; want %v", o, err, want)
		}
	}

	created, _, err := client.Contacts.Create(t.Context(), []*amocrm.CreateContactRequest{{Name: "Новый контакт"}})
	if err != nil {
		t.Fatal(err)
	}
	id := created[0].ID
	name := "Иван Петров"
	if _, _, err := client.Contacts.UpdateOne(t.Context(), 3, &amocrm.UpdateContactRequest{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if err := sb.DeleteContacts(id); err != nil {
		t.Fatal(err)
	}
	if err := sb.RestoreContacts(id); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	type key struct {
		Entity changes.Entity
		Action changes.Action
		ID     int
	}
	var keys []key
	for _, c := range got {
		keys = append(keys, key{c.Entity, c.Action, c.ID})
		if c.At.IsZero() || c.Received.IsZero() {
			t.Errorf("change %+v lacks a time", c)
		}
	}
	want := []key{
		{changes.Contacts, changes.Added, id},
		{changes.Contacts, changes.Updated, 3},
		{changes.Contacts, changes.Deleted, id},
		{changes.Contacts, changes.Restored, id},
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("changes mismatch (-want +got):\n%s\nlog:\n%s", diff, logs.String())
	}
	if slices.ContainsFunc(statuses, func(s int) bool { return s != 200 }) || len(statuses) != len(want) {
		t.Errorf("delivery statuses %v, want %d × 200", statuses, len(want))
	}
}
