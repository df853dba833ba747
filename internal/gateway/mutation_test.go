package gateway

import (
	"slices"
	"strings"
	"testing"
)

type userError struct {
	Message      string
	Code         string
	Field        []string
	Index        *int
	RequestID    *string
	UpstreamPath *string
}

type contactsPayload struct {
	Contacts   []contact
	UserErrors []userError
}

// The doc's POST example, sent through createContacts: both contacts are
// created, returned in full and in input order, with their request ids.
func TestCreateContacts_DocExample(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct{ CreateContacts contactsPayload }
	g.data(`mutation { createContacts(input: [
		{firstName: "Петр", lastName: "Смирнов", customFieldsValues: [{fieldId: 271316, values: [{value: "Директор"}]}]},
		{name: "Владимир Смирнов", createdBy: 47272, tagsToAdd: [{name: "Тег контакта"}], requestId: "vlad"}
	]) { contacts { id name firstName lastName createdBy requestId tags { id name }
	      customFieldsValues { fieldId fieldName values { value } } }
	     userErrors { message } } }`, nil, &got)
	p := got.CreateContacts
	if len(p.UserErrors) != 0 || len(p.Contacts) != 2 {
		t.Fatalf("payload = %+v", p)
	}
	a, b := p.Contacts[0], p.Contacts[1]
	if a.FirstName != "Петр" || a.LastName != "Смирнов" || a.RequestID == nil || *a.RequestID != "0" {
		t.Errorf("first = %+v", a)
	}
	if len(a.CustomFieldsValues) != 1 || a.CustomFieldsValues[0].FieldID != "271316" || a.CustomFieldsValues[0].Values[0].Value != "Директор" {
		t.Errorf("first custom fields = %+v", a.CustomFieldsValues)
	}
	if b.Name != "Владимир Смирнов" || b.CreatedBy != "47272" || b.RequestID == nil || *b.RequestID != "vlad" ||
		len(b.Tags) != 1 || b.Tags[0].Name != "Тег контакта" || b.Tags[0].ID == "" {
		t.Errorf("second = %+v", b)
	}
	// one write, then one read of both contacts in full
	if w, r, total := g.calls("POST /api/v4/contacts"), g.calls(routeContacts), g.sb.TotalCalls(); w != 1 || r != 1 || total != 2 {
		t.Errorf("calls: %d writes, %d reads, %d total; want 1, 1, 2", w, r, total)
	}
	// The new contacts are real: a later query finds them.
	var again struct{ Contact contact }
	g.data(`query($id: ID!) { contact(id: $id) { name } }`, map[string]any{"id": b.ID}, &again)
	if again.Contact.Name != "Владимир Смирнов" {
		t.Errorf("re-read = %+v", again.Contact)
	}
}

// amoCRM's 400 validation errors come back per item, with the GraphQL path.
func TestCreateContacts_ValidationErrors(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct{ CreateContacts contactsPayload }
	g.data(`mutation { createContacts(input: [
		{name: "fine"},
		{name: "bad", requestId: "r-1", customFieldsValues: [{fieldId: 1, values: [{value: "x"}]}]},
		{name: "phone", customFieldsValues: [{fieldCode: "PHONE", values: [{value: "+7", enumCode: "NOPE"}]}]}
	]) { contacts { id } userErrors { message code field index requestId upstreamPath } } }`, nil, &got)
	p := got.CreateContacts
	if len(p.Contacts) != 0 || len(p.UserErrors) < 2 {
		t.Fatalf("payload = %+v", p)
	}
	byIndex := map[int]userError{}
	for _, e := range p.UserErrors {
		if e.Index == nil {
			t.Fatalf("user error without index: %+v", e)
		}
		byIndex[*e.Index] = e
	}
	bad := byIndex[1]
	if bad.Code != "NotSupportedChoice" || *bad.RequestID != "r-1" || *bad.UpstreamPath != "custom_fields_values.0.field_id" ||
		!slices.Equal(bad.Field, []string{"input", "1", "customFieldsValues", "0", "fieldId"}) || bad.Message == "" {
		t.Errorf("item 1 error = %+v", bad)
	}
	if e, ok := byIndex[2]; !ok || e.Code == "" || e.Field[1] != "2" {
		t.Errorf("item 2 error = %+v", e)
	}
	if _, ok := byIndex[0]; ok {
		t.Errorf("valid item 0 reported: %+v", byIndex[0])
	}
}

// Input that names nothing is refused before any upstream call.
func TestMutations_RefusedBeforeUpstream(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, code string
		userError         bool
	}{
		{"empty create batch", `mutation { createContacts(input: []) { contacts { id } userErrors { code } } }`, "BAD_USER_INPUT", true},
		{"empty update batch", `mutation { updateContacts(input: []) { contacts { id } userErrors { code } } }`, "BAD_USER_INPUT", true},
		{"empty link batch", `mutation { linkChats(input: []) { chatLinks { id } userErrors { code } } }`, "BAD_USER_INPUT", true},
		{"300 items", `mutation { createContacts(input: [` + strings.Repeat(`{name: "x"} `, 300) + `]) { userErrors { code } } }`, "BAD_USER_INPUT", true},
		{"100 KB name", `mutation { updateContact(input: {id: 3, name: "` + strings.Repeat("я", 100_000) + `"}) { userErrors { code } } }`, "BAD_USER_INPUT", true},
		{"tag without id or name", `mutation { createContacts(input: [{name: "x", tagsToAdd: [{}]}]) { userErrors { code field } } }`, "INVALID_TAG", true},
		{"field without id or code", `mutation { updateContact(input: {id: 3, customFieldsValues: [{values: [{value: "x"}]}]}) { userErrors { code field } } }`, "INVALID_FIELD", true},
		{"non-numeric id", `mutation { updateContact(input: {id: "abc", name: "x"}) { userErrors { code } } }`, "BAD_USER_INPUT", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil)
			r := g.do(tc.query, nil)
			if tc.userError {
				if len(r.Errors) != 0 || !contains(string(r.Data), `"code":"`+tc.code+`"`) {
					t.Errorf("got %s %+v, want user error %s", r.Data, r.Errors, tc.code)
				}
			} else if r.code(0) != tc.code {
				t.Errorf("errors = %+v, want %s", r.Errors, tc.code)
			}
			if n := g.sb.TotalCalls(); n != 0 {
				t.Errorf("%d upstream calls, want 0", n)
			}
		})
	}
}

// The doc's PATCH example (batch, then single), with tags added and removed.
func TestUpdateContacts(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var batch struct{ UpdateContacts contactsPayload }
	g.data(`mutation { updateContacts(input: [{id: 3, firstName: "Иван", lastName: "Иванов",
		customFieldsValues: [{fieldId: 66192, values: [{value: "79999999999", enumCode: "WORK"}]}],
		tagsToDelete: [{id: 145471}], tagsToAdd: [{name: "VIP"}]}]) {
		contacts { id firstName lastName requestId tags { id name } customFieldsValues { fieldId values { value enumCode } } }
		userErrors { message code field } } }`, nil, &batch)
	p := batch.UpdateContacts
	if len(p.UserErrors) != 0 || len(p.Contacts) != 1 {
		t.Fatalf("payload = %+v", p)
	}
	c := p.Contacts[0]
	var tagIDs, tagNames []string
	for _, tg := range c.Tags {
		tagIDs, tagNames = append(tagIDs, tg.ID), append(tagNames, tg.Name)
	}
	if slices.Contains(tagIDs, "145471") || !slices.Contains(tagNames, "VIP") {
		t.Errorf("tags after update = %+v", c.Tags)
	}
	var phone bool
	for _, f := range c.CustomFieldsValues {
		if f.FieldID == "66192" && len(f.Values) == 1 && f.Values[0].Value == "79999999999" {
			phone = true
		}
	}
	if !phone {
		t.Errorf("custom fields after update = %+v", c.CustomFieldsValues)
	}

	var single struct {
		UpdateContact struct {
			Contact    *contact
			UserErrors []userError
		}
	}
	g.data(`mutation { updateContact(input: {id: 3, name: "Иван Петрович", requestId: "one"}) {
		contact { id name requestId } userErrors { message } } }`, nil, &single)
	if c := single.UpdateContact.Contact; c == nil || c.Name != "Иван Петрович" || c.RequestID == nil || *c.RequestID != "one" {
		t.Errorf("single update = %+v", single.UpdateContact)
	}
	if n := g.calls("PATCH /api/v4/contacts/{id}"); n != 1 {
		t.Errorf("single update sent %d PATCH /contacts/{id}, want 1", n)
	}
}

func TestUpdateContact_UnknownFieldIsUserError(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct {
		UpdateContact struct {
			Contact    *contact
			UserErrors []userError
		}
	}
	g.data(`mutation { updateContact(input: {id: 3, customFieldsValues: [{fieldId: 1, values: [{value: "x"}]}]}) {
		contact { id } userErrors { message code field upstreamPath } } }`, nil, &got)
	u := got.UpdateContact
	if u.Contact != nil || len(u.UserErrors) != 1 || u.UserErrors[0].Code != "NotSupportedChoice" ||
		!slices.Equal(u.UserErrors[0].Field, []string{"input", "customFieldsValues", "0", "fieldId"}) {
		t.Errorf("payload = %+v", u)
	}
}

// The doc's chat link example, then the links read back by chat id.
func TestLinkChats(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var got struct {
		LinkChats struct {
			ChatLinks []struct {
				ID, ChatID, ContactID string
				RequestID             *string
				Contact               struct{ ID, Name string }
			}
			UserErrors []userError
		}
	}
	g.data(`mutation { linkChats(input: [{contactId: 3, chatId: "6cbab3d5-c4c1-46ff-b710-ad59ad10805f", requestId: "x"}]) {
		chatLinks { id chatId contactId requestId contact { id name } } userErrors { message } } }`, nil, &got)
	l := got.LinkChats
	if len(l.UserErrors) != 0 || len(l.ChatLinks) != 1 || l.ChatLinks[0].ContactID != "3" || *l.ChatLinks[0].RequestID != "x" ||
		l.ChatLinks[0].Contact.Name != "Иван Иванов" {
		t.Fatalf("payload = %+v", l)
	}
	var links struct {
		ChatLinks []struct{ ChatID, ContactID string }
	}
	g.data(`{ chatLinks(chatIds: ["6cbab3d5-c4c1-46ff-b710-ad59ad10805f"]) { chatId contactId } }`, nil, &links)
	if len(links.ChatLinks) != 1 || links.ChatLinks[0].ContactID != "3" {
		t.Errorf("a chat links to one contact; got %+v", links.ChatLinks)
	}
	r := g.do(`mutation { linkChats(input: [{contactId: 999999, chatId: "c-1"}]) { chatLinks { id } userErrors { code index } } }`, nil)
	if len(r.Errors) != 0 || !contains(string(r.Data), `"index":0`) {
		t.Errorf("unknown contact: %s %+v", r.Data, r.Errors)
	}
}
