package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/amogql/amogql/internal/sandbox"
)

type edgeContact struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	FirstName      string `json:"firstName"`
	Phones         []string
	PhoneNumbers   []struct{ Value, Label string } `json:"phoneNumbers"`
	EmailAddresses []struct{ Value, Label string } `json:"emailAddresses"`
	Tags           []struct{ Name string }         `json:"tags"`
}

const edgeFields = `id name firstName phones phoneNumbers { value label } emailAddresses { value label } tags { name }`

// write runs a mutation that must succeed without user errors and returns
// the contacts of its payload (field is the payload's name).
func (g *testGateway) write(t *testing.T, field, mutation string) []edgeContact {
	t.Helper()
	r := g.do(mutation, nil)
	var data map[string]struct {
		Contacts   []edgeContact `json:"contacts"`
		Contact    *edgeContact  `json:"contact"`
		UserErrors []userError   `json:"userErrors"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%s: %s %+v", mutation, r.Data, r.Errors)
	}
	p := data[field]
	if len(p.UserErrors) > 0 {
		t.Fatalf("%s: user errors %+v", mutation, p.UserErrors)
	}
	if p.Contact != nil {
		return []edgeContact{*p.Contact}
	}
	return p.Contacts
}

func tagNames(c edgeContact) string {
	var names []string
	for _, t := range c.Tags {
		names = append(names, t.Name)
	}
	return strings.Join(names, ",")
}

// TestContactEdges walks the last edges of amoCRM's Contacts page through
// GraphQL: the whole tag set, emptying a custom field or a name with an
// explicit null, the page's own update example, labeled phones and emails.
func TestContactEdges(t *testing.T) {
	t.Parallel()
	g := startGateway(t, sandbox.New())

	// The page's PATCH example, as a single update: field_name accepted,
	// the tag it deletes gone, the phone written with its label.
	c := g.write(t, "updateContact", `mutation { updateContact(input: {id: 3, firstName: "Иван", lastName: "Иванов",
	  customFieldsValues: [{fieldId: 66192, fieldName: "Телефон", values: [{value: "79999999999", enumCode: "WORK"}]}],
	  tagsToDelete: [{id: 145471}]}) { contact { `+edgeFields+` } userErrors { code message field } } }`)[0]
	if c.FirstName != "Иван" || tagNames(c) != "" {
		t.Errorf("after the page's example: %+v", c)
	}

	// The whole tag set on create wins over tagsToAdd.
	c = g.write(t, "createContacts", `mutation { createContacts(input: [{name: "Tagged", tags: [{name: "edge-a"}, {name: "edge-b"}], tagsToAdd: [{name: "ignored"}],
	  customFieldsValues: [{fieldCode: "PHONE", values: [{value: "+100", enumCode: "MOB"}]}, {fieldCode: "EMAIL", values: [{value: "a@b.c", enumCode: "PRIV"}]}]}]) {
	  contacts { `+edgeFields+` } userErrors { code message field } } }`)[0]
	if got := tagNames(c); got != "edge-a,edge-b" && got != "edge-b,edge-a" {
		t.Errorf("created tags = %q, want edge-a and edge-b", got)
	}
	if len(c.PhoneNumbers) != 1 || c.PhoneNumbers[0].Value != "+100" || c.PhoneNumbers[0].Label != "MOB" ||
		len(c.EmailAddresses) != 1 || c.EmailAddresses[0].Label != "PRIV" {
		t.Errorf("labeled values = %+v %+v", c.PhoneNumbers, c.EmailAddresses)
	}
	id := c.ID

	steps := []struct {
		name, input string
		check       func(edgeContact) bool
	}{
		{"tags replaced", `tags: [{name: "only"}]`, func(c edgeContact) bool { return tagNames(c) == "only" }},
		{"tags left out stay", `name: "Renamed"`, func(c edgeContact) bool { return tagNames(c) == "only" && c.Name == "Renamed" }},
		{"tags null removes them all", `tags: null`, func(c edgeContact) bool { return tagNames(c) == "" }},
		{"a field with values null is emptied, the others stay",
			`customFieldsValues: [{fieldCode: "PHONE", values: null}]`,
			func(c edgeContact) bool { return len(c.PhoneNumbers) == 0 && len(c.EmailAddresses) == 1 }},
		{"firstName null clears it", `firstName: null`, func(c edgeContact) bool { return c.FirstName == "" && c.Name == "Renamed" }},
	}
	for _, s := range steps {
		c := g.write(t, "updateContacts", `mutation { updateContacts(input: [{id: `+id+`, `+s.input+`}]) { contacts { `+edgeFields+` } userErrors { code message field } } }`)
		if len(c) != 1 || !s.check(c[0]) {
			t.Errorf("%s: %+v", s.name, c)
		}
	}

	// values left out is a mistake, not a clear: nothing is sent.
	g.sb.ResetCalls()
	r := g.do(`mutation { updateContacts(input: [{id: `+id+`, customFieldsValues: [{fieldCode: "EMAIL"}]}]) { userErrors { code field } } }`, nil)
	if !strings.Contains(string(r.Data), `"field":["input","0","customFieldsValues","0","values"]`) || g.sb.TotalCalls() != 0 {
		t.Errorf("values left out: %s %+v, %d calls", r.Data, r.Errors, g.sb.TotalCalls())
	}
}

// TestCatalogElementMetadata: a linked catalog element's metadata comes
// back whole, as amoCRM sent it.
func TestCatalogElementMetadata(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var data struct {
		Contacts struct {
			Nodes []struct {
				CatalogElements []struct {
					CatalogID string          `json:"catalogId"`
					Metadata  json.RawMessage `json:"metadata"`
				} `json:"catalogElements"`
			} `json:"nodes"`
		} `json:"contacts"`
	}
	g.data(`{ contacts(first: 250) { nodes { catalogElements { catalogId metadata } } } }`, nil, &data)
	seen := 0
	for _, n := range data.Contacts.Nodes {
		for _, e := range n.CatalogElements {
			seen++
			var m map[string]any
			if err := json.Unmarshal(e.Metadata, &m); err != nil || m["catalog_id"] == nil || len(m) < 2 {
				t.Fatalf("metadata %s (%v), want amoCRM's whole object", e.Metadata, err)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no catalog elements in the first 250 contacts")
	}
}

// TestCustomFieldsValuesNeverNull: an entity without custom field values
// has an empty list, not null (amoCRM sends null).
func TestCustomFieldsValuesNeverNull(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	r := g.do(`{ contact(id: 7143599) { customFieldsValues { fieldId } phoneNumbers { value } } }`, nil)
	if want := `{"contact":{"customFieldsValues":[],"phoneNumbers":[]}}`; string(r.Data) != want || len(r.Errors) > 0 {
		t.Errorf("got %s %+v, want %s", r.Data, r.Errors, want)
	}
}
