package sandbox

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDocExample_ListChats(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	const want = `{"_total_items": 1, "_embedded": {"chats": [
		{"chat_id": "6cbab3d5-c4c1-46ff-b710-ad59ad10805f", "contact_id": 3102959, "id": 26219}]}}`
	for _, q := range []string{
		"contact_id[]=3102959",
		"contact_id=3102959",
		"contact_id[0]=3102959",
		"chat_id[]=6cbab3d5-c4c1-46ff-b710-ad59ad10805f",
		"chat_id=6cbab3d5-c4c1-46ff-b710-ad59ad10805f&contact_id[]=3102959",
	} {
		r := call(t, srv, "GET", "/api/v4/contacts/chats?"+q, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != contentHAL {
			t.Fatalf("%s: status = %d", q, r.status)
		}
		if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(r.body))); diff != "" {
			t.Errorf("%s (-doc +got):\n%s", q, diff)
		}
	}
}

func TestDocExample_LinkChat(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	// The chat is already linked to the contact, so the link keeps its id.
	r := call(t, srv, "POST", "/api/v4/contacts/chats",
		`[{"contact_id": 3102959, "chat_id":"6cbab3d5-c4c1-46ff-b710-ad59ad10805f"}]`)
	const want = `{"_total_items": 1, "_embedded": {"chats": [
		{"chat_id": "6cbab3d5-c4c1-46ff-b710-ad59ad10805f", "contact_id": 3102959, "id": 26219, "request_id": "0"}]}}`
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s", r.status, r.body)
	}
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(r.body))); diff != "" {
		t.Errorf("(-doc +got):\n%s", diff)
	}
}

type chatsBody struct {
	Total    int `json:"_total_items"`
	Embedded struct {
		Chats []chatJSON `json:"chats"`
	} `json:"_embedded"`
}

func TestLinkChats(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	var first chatsBody
	call(t, srv, "POST", "/api/v4/contacts/chats",
		`[{"contact_id":3,"chat_id":"chat-a","request_id":"x"},{"contact_id":3,"chat_id":"chat-b"}]`).decode(t, &first)
	if first.Total != 2 || *first.Embedded.Chats[0].RequestID != "x" || *first.Embedded.Chats[1].RequestID != "1" {
		t.Fatalf("answer = %+v", first)
	}
	// Relinking chat-a to another contact moves it and changes its link id.
	var moved chatsBody
	call(t, srv, "POST", "/api/v4/contacts/chats", `[{"contact_id":7143599,"chat_id":"chat-a"}]`).decode(t, &moved)
	if got := moved.Embedded.Chats[0]; got.ContactID != 7143599 || got.ID == first.Embedded.Chats[0].ID {
		t.Errorf("relinked = %+v", got)
	}
	var of3 chatsBody
	call(t, srv, "GET", "/api/v4/contacts/chats?contact_id[]=3", nil).decode(t, &of3)
	if of3.Total != 1 || of3.Embedded.Chats[0].ChatID != "chat-b" || of3.Embedded.Chats[0].RequestID != nil {
		t.Errorf("chats of 3 = %+v", of3)
	}
	var both chatsBody
	call(t, srv, "GET", "/api/v4/contacts/chats?contact_id[]=3&contact_id[]=7143599", nil).decode(t, &both)
	if both.Total != 2 {
		t.Errorf("chats of 3 and 7143599 = %+v", both)
	}
}

func TestChatsErrors(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     []verr
	}{
		{"NoneLinked", "GET", "/api/v4/contacts/chats?contact_id=7767065", "", 204, nil},
		{"UnknownChat", "GET", "/api/v4/contacts/chats?chat_id[]=nope", "", 204, nil},
		{"NoParams", "GET", "/api/v4/contacts/chats", "", 400, []verr{{"0", "FieldMissing", "contact_id"}}},
		{"BadContactID", "GET", "/api/v4/contacts/chats?contact_id[]=x", "", 400, []verr{{"0", "InvalidType", "contact_id"}}},
		{"UnknownContact", "POST", "/api/v4/contacts/chats", `[{"contact_id":1,"chat_id":"c"}]`, 400,
			[]verr{{"0", "NotFound", "contact_id"}}},
		{"MissingFields", "POST", "/api/v4/contacts/chats", `[{"request_id":"r"}]`, 400,
			[]verr{{"r", "FieldMissing", "contact_id"}, {"r", "FieldMissing", "chat_id"}}},
		{"WrongTypes", "POST", "/api/v4/contacts/chats", `[{"contact_id":"3","chat_id":5}]`, 400,
			[]verr{{"0", "InvalidType", "contact_id"}, {"0", "InvalidType", "chat_id"}}},
		{"NotArray", "POST", "/api/v4/contacts/chats", `{"contact_id":3,"chat_id":"c"}`, 400, nil},
	}
	for _, tt := range tests {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := call(t, srv, tt.method, tt.path, body)
		if r.status != tt.status {
			t.Errorf("%s: status = %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
			continue
		}
		if tt.want != nil {
			if diff := cmp.Diff(tt.want, validationErrors(t, r)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
	}
	// A failed POST links nothing.
	if r := call(t, srv, "GET", "/api/v4/contacts/chats?chat_id=c", nil); r.status != 204 {
		t.Errorf("chat c after failed POSTs: status = %d", r.status)
	}
}
