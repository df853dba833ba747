package sandbox

import (
	"net/http"
	"strconv"
	"testing"
)

func TestDeleteRestoreContacts(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)
	ids := createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"keep"},{"name":"gone"}]`))
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL, "delete_contact", "restore_contact")
	gone := strconv.Itoa(ids[1])

	if err := sb.DeleteContacts(ids[1], 999); err == nil {
		t.Fatal("DeleteContacts of an unknown id succeeded")
	}
	if r := call(t, srv, "GET", "/api/v4/contacts/"+gone, nil); r.status != http.StatusOK {
		t.Fatalf("a failed DeleteContacts deleted: GET answered %d", r.status)
	}
	if err := sb.DeleteContacts(ids[1]); err != nil {
		t.Fatal(err)
	}
	if r := call(t, srv, "GET", "/api/v4/contacts/"+gone, nil); r.status != http.StatusNoContent {
		t.Errorf("GET of a deleted contact answered %d, want 204", r.status)
	}
	var list struct {
		Embedded struct{ Contacts []struct{ ID int } } `json:"_embedded"`
	}
	call(t, srv, "GET", "/api/v4/contacts", nil).decode(t, &list)
	if len(list.Embedded.Contacts) != 1 || list.Embedded.Contacts[0].ID != ids[0] {
		t.Errorf("list after delete = %+v", list.Embedded.Contacts)
	}
	if err := sb.RestoreContacts(ids[0]); err == nil {
		t.Error("RestoreContacts of a live contact succeeded")
	}
	if err := sb.RestoreContacts(ids[1]); err != nil {
		t.Fatal(err)
	}
	var c struct {
		Name      string `json:"name"`
		IsDeleted bool   `json:"is_deleted"`
	}
	call(t, srv, "GET", "/api/v4/contacts/"+gone, nil).decode(t, &c)
	if c.Name != "gone" || c.IsDeleted {
		t.Errorf("restored contact = %+v", c)
	}
	wait(t, sb)

	got := rc.hooks()
	if len(got) != 2 {
		t.Fatalf("got %d webhooks, want 2", len(got))
	}
	if f := got[0].form; f.Get("contacts[delete][0][id]") != gone || f.Get("contacts[delete][0][type]") != "contact" || f.Get("account[_links][self]") != srv.URL {
		t.Errorf("delete webhook: %s", got[0].raw)
	}
	if f := got[1].form; f.Get("contacts[restore][0][id]") != gone || f.Get("contacts[restore][0][name]") != "gone" {
		t.Errorf("restore webhook: %s", got[1].raw)
	}
}
