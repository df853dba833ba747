package amocrm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// memberSets are the sets of members FuzzMembersAsFull chooses from.
var memberSets = [][]string{
	nil,
	{"name", "price"},
	{"_embedded"},
	{"name", "_embedded", "custom_fields_values"},
	{"_links", "is_deleted", "closest_task_at", "responsible_user_id"},
	{"name", "_embedded.leads", "_embedded.companies"},
	{"_embedded.tags", "_embedded.contacts"},
}

// FuzzMembersAsFull holds the scanner to the JSON v2 decoder on any body:
// decoding with Members may fail only where full decoding fails too, and
// where both succeed, every kept member is what full decoding gives and
// every other is zero. (The scanner may accept a body full decoding
// refuses: a malformed scalar inside a member not read.)
func FuzzMembersAsFull(f *testing.F) {
	f.Add(uint8(0), []byte(trickyLeads))
	f.Add(uint8(1), fixtureBytes(f, "contacts_list.json"))
	f.Add(uint8(2), fixtureBytes(f, "lead_get.json"))
	f.Add(uint8(3), []byte(`{"_embedded":{"leads":[{"id":1,"name":"x","_embedded":{"contacts":[{"id":2,"is_main":true}]}},null]}}`))
	f.Add(uint8(4), []byte(`{"id":1,"x":[1,}`))
	f.Add(uint8(5), []byte(`{"id":1,"name":"a\"b","_embedded":{"companies":[{"id":"9"}]}}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		m := NewMembers(memberSets[int(which)%len(memberSets)]...)
		skip := Skip(which>>4) & skipAll
		switch which >> 6 {
		case 0:
			membersAsFull[leadList](t, body, m, skip)
		case 1:
			membersAsFull[contactList](t, body, m, skip)
		case 2:
			membersAsFull[Lead](t, body, m, skip)
		default:
			membersAsFull[Contact](t, body, m, skip)
			membersAsFull[*Contact](t, body, m, skip) // as Get decodes one
		}
	})
}

func membersAsFull[T any](t *testing.T, body []byte, m *Members, skip Skip) {
	var full, got T
	errFull := decodeSkipping(body, &full, decoding{skip: skip})
	errGot := decodeSkipping(body, &got, decoding{skip: skip, members: m})
	if errGot != nil {
		if errFull == nil {
			t.Fatalf("%T: members fail where full decoding succeeds: %v", got, errGot)
		}
		return
	}
	if errFull != nil {
		return
	}
	if diff := cmp.Diff(maskAll(full, m), got, cmp.AllowUnexported(leadList{}, contactList{})); diff != "" {
		t.Errorf("%T (-want +got):\n%s", full, diff)
	}
}

func fixtureBytes(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
