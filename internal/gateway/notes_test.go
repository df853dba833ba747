package gateway

import (
	"strings"
	"testing"
)

// TestNotes: an entity's notes come newest first with their type, params
// and text, page by cursor without a further call, and notes of leads and
// companies read from their own types' routes.
func TestNotes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	type conn struct {
		Nodes []struct {
			ID, NoteType, EntityID string
			Text                   *string
			Params                 map[string]any
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   string
		}
	}
	var first struct{ Contact struct{ Notes conn } }
	g.data(`{ contact(id: 3) { notes(first: 1) { nodes { id noteType entityId text params } pageInfo { hasNextPage endCursor } } } }`, nil, &first)
	n := first.Contact.Notes
	if len(n.Nodes) != 1 || n.Nodes[0].ID != "70000004" || n.Nodes[0].NoteType != "sms_out" || n.Nodes[0].Params["phone"] != "+79123" || !n.PageInfo.HasNextPage {
		t.Fatalf("first page %+v", n)
	}
	g.sb.ResetCalls()
	var next struct{ Contact struct{ Notes conn } }
	g.data(`query($a: String) { contact(id: 3) { notes(first: 1, after: $a) { nodes { id text } pageInfo { hasNextPage } } } }`,
		map[string]any{"a": n.PageInfo.EndCursor}, &next)
	if m := next.Contact.Notes; len(m.Nodes) != 1 || m.Nodes[0].ID != "70000001" || m.PageInfo.HasNextPage {
		t.Errorf("second page %+v", m)
	}
	g.wantCalls(t, map[string]int{routeContact: 1, routeNotes: 1}, 2)

	g.sb.ResetCalls()
	var other struct {
		Lead    struct{ Notes conn }
		Company struct{ Notes conn }
	}
	g.data(`{ lead(id: 1) { notes { nodes { id noteType } } } company(id: 1) { notes { nodes { id noteType text } } } }`, nil, &other)
	if l := other.Lead.Notes.Nodes; len(l) == 0 || l[len(l)-1].NoteType != "call_out" {
		t.Errorf("lead notes %+v", l)
	}
	if c := other.Company.Notes.Nodes; len(c) == 0 || c[len(c)-1].NoteType != "service_message" || c[len(c)-1].Text == nil {
		t.Errorf("company notes %+v", c)
	}
	r := g.do(`{ contact(id: 3) { notes(after: "garbage") { nodes { id } } } }`, nil)
	if r.code(0) != "BAD_USER_INPUT" {
		t.Errorf("garbage cursor: %+v", r.Errors)
	}
}

// TestAddNotes: notes are added with text or params and read back in full;
// refused items come back as userErrors, with nothing written.
func TestAddNotes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var added struct {
		AddNotes struct {
			Notes []struct {
				ID, EntityID, NoteType, RequestID string
				Text                              *string
				Params                            map[string]any
			}
			UserErrors []struct{ Code, Message string }
		}
	}
	g.data(`mutation { addNotes(entity: CONTACTS, input: [
		{entityId: 3, text: "Перезвонил, всё в силе", requestId: "n1"},
		{entityId: 3, noteType: SMS_OUT, text: "Счёт отправлен", params: {phone: "+79123"}}]) {
		notes { id entityId noteType requestId text params } userErrors { code message } } }`, nil, &added)
	a := added.AddNotes
	if len(a.UserErrors) > 0 || len(a.Notes) != 2 || a.Notes[0].NoteType != "common" || a.Notes[0].RequestID != "n1" ||
		a.Notes[0].Text == nil || *a.Notes[0].Text != "Перезвонил, всё в силе" || a.Notes[1].Params["phone"] != "+79123" {
		t.Fatalf("addNotes %+v", a)
	}
	g.wantCalls(t, map[string]int{routeAddNotes: 1, routeNotes: 1}, 2)

	cases := []struct {
		name, mutation, code, field string
		calls                       int
	}{
		{"params that cannot take text", `mutation { addNotes(entity: LEADS, input: [{entityId: 1, text: "x", params: "y"}]) { notes { id } userErrors { code field } } }`,
			"BAD_USER_INPUT", "input,0,params", 0},
		{"unknown entity", `mutation { addNotes(entity: LEADS, input: [{entityId: 999999999, text: "x"}]) { notes { id } userErrors { code field } } }`,
			"NotFound", "input,0", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g.sb.ResetCalls()
			var out struct {
				AddNotes struct {
					Notes      []struct{ ID string }
					UserErrors []struct {
						Code  string
						Field []string
					}
				}
			}
			g.data(c.mutation, nil, &out)
			p := out.AddNotes
			if len(p.Notes) != 0 || len(p.UserErrors) != 1 || p.UserErrors[0].Code != c.code || !strings.HasPrefix(strings.Join(p.UserErrors[0].Field, ","), c.field) {
				t.Errorf("payload %+v, want %s at %s", p, c.code, c.field)
			}
			if got := g.sb.TotalCalls(); got != c.calls {
				t.Errorf("upstream calls %d, want %d", got, c.calls)
			}
		})
	}
}
