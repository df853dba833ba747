package graph

import (
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/amogql/amogql/internal/loader"
)

// keys lists a plan's tree as "key:name" paths, depth first.
func keys(nodes []*Node, prefix string) []string {
	var out []string
	for _, n := range nodes {
		k := prefix + n.Key
		if n.Key != n.Name {
			out = append(out, k+"="+n.Name)
		} else {
			out = append(out, k)
		}
		out = append(out, keys(n.Kids, k+".")...)
	}
	return out
}

func TestBuildPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		tree     string // keys joined by " ", when checked
		depth    int
		calls    int
		with     map[loader.Entity][]string
		wants    []want
		cf       bool // reads contacts' custom fields
		covered  bool
		complete bool
	}{
		{
			name:  "contact by id",
			query: `{ contact(id: 3) { id name phones tags { name } companies { id } } }`,
			tree:  "contact contact.id contact.name contact.phones contact.tags contact.tags.name contact.companies contact.companies.id",
			depth: 3, calls: 1, cf: true, covered: true, complete: true,
		},
		{
			name:  "fifty contacts with leads and companies",
			query: `{ contacts(first: 50) { nodes { id name leads { id name price } companies { id name } } } }`,
			depth: 4, calls: 3, covered: true, complete: true,
			with:  map[loader.Entity][]string{loader.EntityContact: {"leads"}},
			wants: []want{{loader.EntityContact, 0, loader.Needs{Leads: true, Companies: true}}},
		},
		{
			name:  "aliases keep their keys and order",
			query: `{ b: contact(id: 3) { n: name, id } a: contact(id: 4) { leads { id } } }`,
			tree:  "b=contact b.n=name b.id a=contact a.leads a.leads.id",
			depth: 3, calls: 1, covered: true, complete: true,
			with: map[loader.Entity][]string{loader.EntityContact: {"leads"}},
		},
		{
			name: "fragments and inline fragments merge",
			query: `query { contact(id: 3) { ...F ... on Contact { leads { name } } } }
				fragment F on Contact { id leads { id } }`,
			tree:  "contact contact.id contact.leads contact.leads.id contact.leads.name",
			depth: 3, calls: 2, covered: true, complete: true,
			with:  map[loader.Entity][]string{loader.EntityContact: {"leads"}},
			wants: []want{{loader.EntityContact, 0, loader.Needs{Leads: true}}},
		},
		{
			name:  "skip with a variable true",
			query: `query($s: Boolean!) { contact(id: 3) { id leads @skip(if: $s) { name } } }`,
			vars:  map[string]any{"s": true},
			tree:  "contact contact.id",
			depth: 3, calls: 1, covered: true, complete: true,
		},
		{
			name:  "include with a variable true",
			query: `query($i: Boolean!) { contact(id: 3) { id leads @include(if: $i) { name } } }`,
			vars:  map[string]any{"i": true},
			tree:  "contact contact.id contact.leads contact.leads.name",
			depth: 3, calls: 2, covered: true, complete: true,
			with:  map[loader.Entity][]string{loader.EntityContact: {"leads"}},
			wants: []want{{loader.EntityContact, 0, loader.Needs{Leads: true}}},
		},
		{
			name:  "nested levels count one call each",
			query: `{ contacts(first: 50) { nodes { companies { name contacts { name leads { name contacts { name } } } } } } }`,
			depth: 7, calls: 5, covered: true, complete: true,
			with: map[loader.Entity][]string{
				loader.EntityCompany: {"contacts"}, loader.EntityContact: {"leads"}, loader.EntityLead: {"contacts"},
			},
			wants: []want{
				{loader.EntityLead, 3, loader.Needs{Contacts: true}},
				{loader.EntityContact, 2, loader.Needs{Leads: true}},
				{loader.EntityCompany, 1, loader.Needs{Contacts: true}},
				{loader.EntityContact, 0, loader.Needs{Companies: true}},
			},
		},
		{
			name:  "chats cost a call even for ids; catalog links none",
			query: `{ contact(id: 3) { chats { id } catalogElements { id } } }`,
			depth: 3, calls: 2, complete: true,
			with:  map[loader.Entity][]string{loader.EntityContact: {"catalog_elements"}},
			wants: []want{{loader.EntityContact, 0, loader.Needs{Chats: true}}},
		},
		{
			name:  "contact, lead and company by id share a read per kind",
			query: `{ a: contact(id: 3) { id } b: contact(id: 4) { id } lead(id: 5) { id } }`,
			depth: 2, calls: 2, covered: true, complete: true,
		},
		{
			name:  "a lead's related ids come with it",
			query: `{ lead(id: 5) { id contacts { id } } company(id: 1) { name } }`,
			depth: 3, calls: 2, covered: true, complete: true,
			with: map[loader.Entity][]string{loader.EntityLead: {"contacts"}},
		},
		{
			name:  "typename only",
			query: `{ __typename }`,
			tree:  "__typename",
			depth: 0, calls: 0, covered: true, complete: true,
		},
		{
			name:  "introspection is not covered and costs nothing",
			query: `{ __schema { types { name } } }`,
			depth: 0, calls: 0, complete: true,
		},
		{
			name:  "mutation reading back costs the write and the read",
			query: `mutation { updateContact(input: {id: 3, name: "x"}) { contact { name } userErrors { code } } }`,
			depth: 3, calls: 2, complete: true,
		},
		// The CRM around contacts: users, pipelines and stages are kept per
		// credential (no call in the lower bound); notes and tasks cost a call
		// per level and entity type; lists and payloads are wrappers.
		{
			name:  "responsible users, pipelines and stages cost no call in the lower bound",
			query: `{ leads(first: 50) { nodes { pipeline { name } status { name } responsibleUser { name } contacts { name responsibleUser { name } } } } }`,
			depth: 5, calls: 2, covered: true, complete: true,
			with:  map[loader.Entity][]string{loader.EntityLead: {"contacts"}},
			wants: []want{{loader.EntityLead, 0, loader.Needs{Contacts: true}}},
		},
		{
			name:  "notes and tasks of a page: one call each",
			query: `{ contacts(first: 50) { nodes { notes(first: 3) { nodes { text } } tasks { text responsibleUser { name } } } } }`,
			depth: 5, calls: 3, covered: true, complete: true,
		},
		{
			name:  "notes and tasks of two entity types at one level count apart",
			query: `{ contact(id: 3) { notes { nodes { id } } leads { notes { edges { node { id } } } tasks { id } } } }`,
			depth: 6, calls: 5, complete: true,
			with:  map[loader.Entity][]string{loader.EntityContact: {"leads"}},
			wants: []want{{loader.EntityContact, 0, loader.Needs{Leads: true}}},
		},
		{
			name:  "a customer's notes and responsible user",
			query: `{ customers(first: 10) { edges { node { notes(last: 2, first: 5) { nodes { text } } responsibleUser { name } } } } }`,
			depth: 6, calls: 2, covered: true, complete: true,
		},
		{
			name:  "companies connection with leads and notes",
			query: `{ companies(first: 20) { edges { node { leads { name } notes { nodes { id } } } } } }`,
			depth: 6, calls: 3, covered: true, complete: true,
			with:  map[loader.Entity][]string{loader.EntityCompany: {"leads"}},
			wants: []want{{loader.EntityCompany, 0, loader.Needs{Leads: true}}},
		},
		{
			name:  "ordered tasks with their users",
			query: `{ tasks(first: 5, orderBy: {field: COMPLETE_TILL, direction: ASC}) { edges { node { responsibleUser { name } } } } }`,
			depth: 5, calls: 1, covered: true, complete: true,
		},
		{
			name:  "metadata root fields cost no call in the lower bound",
			query: `{ users(first: 5) { nodes { name } } pipelines { name } user(id: 1) { name } customFields(entity: LEADS) { name } }`,
			depth: 3, calls: 0, complete: true,
		},
		{
			name:  "createLeads reading back and following contacts",
			query: `mutation { createLeads(input: [{name: "x"}]) { leads { name contacts { name } } userErrors { code } } }`,
			depth: 4, calls: 3, complete: true,
			with:  map[loader.Entity][]string{loader.EntityLead: {"contacts"}},
			wants: []want{{loader.EntityLead, 0, loader.Needs{Contacts: true}}},
		},
		{
			name:  "updateCompanies selecting ids only costs the write",
			query: `mutation { updateCompanies(input: [{id: 1, name: "x"}]) { companies { id } userErrors { code } } }`,
			depth: 3, calls: 1, complete: true,
		},
		{
			name:  "addNotes for customers: ids and request ids come with the write",
			query: `mutation { addNotes(entity: CUSTOMERS, input: [{entityId: 1, text: "x"}]) { notes { id requestId } } }`,
			depth: 3, calls: 1, complete: true,
		},
		{
			name:  "addNotes reading the notes back",
			query: `mutation { addNotes(entity: LEADS, input: [{entityId: 1, text: "x"}]) { notes { text } } }`,
			depth: 3, calls: 2, complete: true,
		},
		{
			name:  "a level another root field reads costs none: the lead may be the one by id",
			query: `{ lead(id: 20000206) { name price } contact(id: 10000031) { leads { name } } }`,
			depth: 3, calls: 2, covered: true, complete: true,
			with:  map[loader.Entity][]string{loader.EntityContact: {"leads"}},
			wants: []want{{loader.EntityContact, 0, loader.Needs{Leads: true}}},
		},
		{
			name:  "a contact's chats beside chatLinks of the contact: one chats read, the contact once",
			query: `{ contact(id: 3102959) { name chats { chatId } } chatLinks(contactIds: [3102959]) { chatId contact { name } } }`,
			depth: 3, calls: 2, complete: true,
			wants: []want{{loader.EntityContact, 0, loader.Needs{Chats: true}}, {loader.EntityChatLink, 0, loader.Needs{Contacts: true}}},
		},
		{
			name:  "updateTasks reading back, users kept",
			query: `mutation { updateTasks(input: [{id: 1, isCompleted: true}]) { tasks { result responsibleUser { name } } } }`,
			depth: 4, calls: 2, complete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := gqlparser.LoadQuery(parsedSchema, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			p := BuildPlan(doc, doc.Operations[0], tt.vars)
			if tt.tree != "" {
				if got := strings.Join(keys(p.Fields, ""), " "); got != tt.tree {
					t.Errorf("tree\n got %s\nwant %s", got, tt.tree)
				}
			}
			if p.Depth != tt.depth || p.Calls != tt.calls {
				t.Errorf("depth %d calls %d, want %d %d", p.Depth, p.Calls, tt.depth, tt.calls)
			}
			if p.Covered != tt.covered || p.Complete != tt.complete {
				t.Errorf("covered %v complete %v, want %v %v", p.Covered, p.Complete, tt.covered, tt.complete)
			}
			for _, e := range []loader.Entity{loader.EntityContact, loader.EntityLead, loader.EntityCompany, loader.EntityCustomer} {
				if got := p.With(e); !slices.Equal(got, tt.with[e]) {
					t.Errorf("with(%d) = %v, want %v", e, got, tt.with[e])
				}
			}
			if tt.wants != nil || len(p.wants) > 0 {
				if !slices.Equal(p.wants, tt.wants) {
					t.Errorf("wants\n got %+v\nwant %+v", p.wants, tt.wants)
				}
			}
			var cf bool
			for _, r := range p.reads {
				cf = cf || r.entity == loader.EntityContact && r.reads&loader.ReadsCustomFields != 0
			}
			if cf != tt.cf {
				t.Errorf("reads contacts' custom fields: %v, want %v", cf, tt.cf)
			}
		})
	}
}

// TestPlanCache: one plan per document and Boolean variables; other
// variables do not split the cache.
func TestPlanCache(t *testing.T) {
	t.Parallel()
	doc, err := gqlparser.LoadQuery(parsedSchema, `query($s: Boolean!, $id: ID!) { contact(id: $id) { id leads @skip(if: $s) { id } } }`)
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Operations[0]
	get := func(vars map[string]any) *Plan {
		return planFor(opContext(doc, op, vars))
	}
	a := get(map[string]any{"s": true, "id": "3"})
	if b := get(map[string]any{"s": true, "id": "4"}); b != a {
		t.Error("an id variable split the cache")
	}
	c := get(map[string]any{"s": false, "id": "3"})
	if c == a {
		t.Fatal("a @skip variable did not split the cache")
	}
	if len(a.Fields[0].Kids) != 1 || len(c.Fields[0].Kids) != 2 {
		t.Errorf("skip not applied: %v / %v", keys(a.Fields, ""), keys(c.Fields, ""))
	}
}

func opContext(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) *graphql.OperationContext {
	return &graphql.OperationContext{Doc: doc, Operation: op, Variables: vars}
}

// inlineFields are the fields of object type that come inside their
// parent's answer and lead to nothing that costs a call: every other field
// of an object type reachable from the roots must be a link of the
// relation table, so a relation added to the schema is counted (or
// declared free here) rather than silently left out of the plan's Calls.
var inlineFields = map[string][]string{
	"Contact":               {"customFieldsValues", "phoneNumbers", "emailAddresses", "tags"},
	"Lead":                  {"customFieldsValues", "tags"},
	"Company":               {"customFieldsValues", "tags"},
	"Customer":              {"customFieldsValues", "tags"},
	"CatalogElement":        {"customFieldsValues"},
	"CustomFieldValue":      {"values"},
	"Pipeline":              {"statuses"},
	"CustomFieldDefinition": {"requiredStatuses", "enums"},
	// A connection's pageInfo and a payload's userErrors.
	"*": {"pageInfo", "userErrors"},
}

// TestRelationTableNamesEveryObjectField holds the relation table to the
// schema: every field leading to an object, on every type reachable from
// the roots, is a link (to the field's type) or declared inline.
func TestRelationTableNamesEveryObjectField(t *testing.T) {
	t.Parallel()
	s := parsedSchema
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		def := s.Types[name]
		if def == nil || def.Kind != ast.Object || seen[name] || strings.HasPrefix(name, "__") {
			return
		}
		seen[name] = true
		root := def == s.Query || def == s.Mutation || def == s.Subscription
		for _, f := range def.Fields {
			to := f.Type.Name()
			if td := s.Types[to]; td == nil || td.Kind != ast.Object || strings.HasPrefix(f.Name, "__") {
				continue
			}
			switch l, ok := objects[name].links[f.Name]; {
			case root:
			case ok && l.to != to:
				t.Errorf("%s.%s leads to %s, the table says %s", name, f.Name, to, l.to)
			case !ok && !slices.Contains(inlineFields[name], f.Name) && !slices.Contains(inlineFields["*"], f.Name):
				t.Errorf("%s.%s (%s) is neither in the relation table (plan_table.go) nor declared inline", name, f.Name, to)
			}
			visit(to)
		}
	}
	for _, root := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if root != nil {
			visit(root.Name)
		}
	}
	for name := range objects {
		if !seen[name] {
			t.Errorf("the relation table has %s, which no root reaches", name)
		}
	}
}
