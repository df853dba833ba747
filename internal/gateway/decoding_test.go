package gateway

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/sandbox"
)

// The gateway leaves custom field values undecoded when no field of the
// operation reads them. Wherever an operation does read them — at the root,
// in a relation, through a fragment, an alias or a payload — every object
// must carry what amoCRM holds for it, as read straight from the sandbox.
func TestDecoding_CustomFieldsWhereverSelected(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	up, err := amocrm.NewClient(amocrm.WithBaseURL(g.upURL), amocrm.WithToken(sandbox.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	const cf = `customFieldsValues { fieldId }`
	tests := []struct {
		name, query string
		min         int // objects with custom field values the query must reach
	}{
		{"contact list nodes", `{ contacts(first: 30) { nodes { __typename id phones emails } } }`, 20},
		{"contact list edges", `{ contacts(first: 30) { edges { node { __typename id ` + cf + ` } } } }`, 20},
		{"contacts of companies of a contact list", `{ contacts(first: 20) { nodes { id companies { id contacts { __typename id phones } } } } }`, 5},
		{"contacts of a company", `{ company(id: 1) { contacts { __typename id ` + cf + ` } } }`, 1},
		{"fragment on nested contacts", `query { lead(id: 3916883) { contacts { ...C } } } fragment C on Contact { __typename id phones }`, 1},
		{"inline fragment and alias", `{ contacts(first: 10) { nodes { leads { id people: contacts { ... on Contact { __typename id emails } } } } } }`, 3},
		{"companies of contacts", `{ contacts(first: 40) { nodes { id companies { __typename id ` + cf + ` } } } }`, 3},
		{"contacts of chat links", `{ chatLinks(contactIds: [10000001, 10000006]) { contact { __typename id phones } } }`, 2},
		{"contacts of contacts' chats", `{ contacts(first: 40) { nodes { id chats { contact { __typename id emails } } } } }`, 3},
		{"only one alias reads them", `{ a: contact(id: 3) { id name } b: contact(id: 3) { __typename id phones } }`, 1},
		{"created contacts", `mutation { createContacts(input: [{name: "Sparse", customFieldsValues: [{fieldCode: "PHONE", values: [{value: "+79990001122", enumCode: "WORK"}]}]}]) { contacts { __typename id phones } } }`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var data any
			g.data(tt.query, nil, &data)
			withValues := 0
			for _, o := range typedObjects(data) {
				id, _ := strconv.Atoi(o["id"].(string))
				want := selected(o, upstreamFields(t, up, o["__typename"].(string), id))
				got := gotFields(o)
				if !slices.Equal(got, want) {
					t.Errorf("%s %v: custom fields %v, want %v as amoCRM holds them", o["__typename"], o["id"], got, want)
				}
				if len(want) > 0 {
					withValues++
				}
			}
			if withValues < tt.min {
				t.Errorf("query reached %d objects with custom field values, want at least %d", withValues, tt.min)
			}
		})
	}
}

// gotFields summarises what an object shows of its custom fields: the field
// ids, or for phones and emails a marker per value.
func gotFields(o map[string]any) []string {
	var out []string
	if cfs, ok := o["customFieldsValues"].([]any); ok {
		for _, f := range cfs {
			out = append(out, "field:"+f.(map[string]any)["fieldId"].(string))
		}
	}
	for _, k := range []string{"phones", "emails"} {
		if vs, ok := o[k].([]any); ok {
			for range vs {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// upstreamFields summarises the same from amoCRM's own answer for the object,
// limited to the kinds the object selected.
func upstreamFields(t *testing.T, c *amocrm.Client, typename string, id int) []string {
	t.Helper()
	ctx := context.Background()
	var cfs []amocrm.CustomFieldValues
	var err error
	switch typename {
	case "Contact":
		var e *amocrm.Contact
		e, _, err = c.Contacts.Get(ctx, id, nil)
		if e != nil {
			cfs = e.CustomFieldsValues
		}
	case "Company":
		var e *amocrm.Company
		e, _, err = c.Companies.Get(ctx, id, nil)
		if e != nil {
			cfs = e.CustomFieldsValues
		}
	case "Lead":
		var e *amocrm.Lead
		e, _, err = c.Leads.Get(ctx, id, nil)
		if e != nil {
			cfs = e.CustomFieldsValues
		}
	default:
		t.Fatalf("no upstream lookup for %s", typename)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range cfs {
		out = append(out, "field:"+strconv.Itoa(f.FieldID))
		for range f.Values {
			switch f.FieldCode {
			case "PHONE":
				out = append(out, "phones")
			case "EMAIL":
				out = append(out, "emails")
			}
		}
	}
	slices.Sort(out)
	return out
}

// selected keeps the markers of the kinds the object selected.
func selected(o map[string]any, markers []string) []string {
	return slices.DeleteFunc(markers, func(m string) bool {
		kind, _, _ := strings.Cut(m, ":")
		if kind == "field" {
			kind = "customFieldsValues"
		}
		_, ok := o[kind]
		return !ok
	})
}

// typedObjects returns every object in v that selected __typename: the
// objects the cases above check.
func typedObjects(v any) []map[string]any {
	var out []map[string]any
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["__typename"]; ok {
			out = append(out, v)
		}
		for _, c := range v {
			out = append(out, typedObjects(c)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, typedObjects(c)...)
		}
	}
	return out
}
