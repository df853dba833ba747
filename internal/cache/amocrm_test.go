package cache

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/amogql/amogql/internal/amocrm"
)

// TestCache_UnderAmoCRMClient puts the cache where the gateway does, as a
// middleware of the amoCRM client, and checks read-your-writes end to end.
func TestCache_UnderAmoCRMClient(t *testing.T) {
	t.Parallel()
	var name atomic.Value
	name.Store("Ann")
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		switch r.Method {
		case http.MethodGet:
			fmt.Fprintf(w, `{"id":5,"name":%q}`, name.Load())
		case http.MethodPatch:
			io.Copy(io.Discard, r.Body)
			name.Store("Bob")
			io.WriteString(w, `{"id":5,"updated_at":1}`)
		}
	})
	client, err := amocrm.NewClient(
		amocrm.WithBaseURL(up.URL),
		amocrm.WithToken("t1"),
		amocrm.WithHTTPClient(up.Client()),
		amocrm.WithMiddleware(newCache(t).Wrap),
	)
	if err != nil {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		c, _, err := client.Contacts.Get(t.Context(), 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Name
	}
	if a, b := read(), read(); a != "Ann" || b != "Ann" {
		t.Fatalf("reads = %q, %q, want Ann twice", a, b)
	}
	if got := up.count("GET /api/v4/contacts/5"); got != 1 {
		t.Fatalf("upstream GETs = %d, want 1", got)
	}
	newName := "Bob"
	if _, _, err := client.Contacts.UpdateOne(t.Context(), 5, &amocrm.UpdateContactRequest{Name: &newName}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "Bob" {
		t.Fatalf("read after the update = %q, want Bob", got)
	}
}
