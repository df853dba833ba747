package graph

import (
	"reflect"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// What an operation reads of each entity, as amoCRM names the members of
// its objects: the loaders decode only those (amocrm.Members) and scan past
// the rest, which for a list of leads is most of the cost of a query. The
// set must hold everything any path may read of the objects — the plan
// executor, the resolvers gqlgen runs if it takes over, and the loaders
// themselves (ids, embedded relations) — or a field would read a zero.

// memberEntity is the Go type gqlgen binds each entity type to, and the
// entity the loaders fetch for it.
var memberEntity = map[string]struct {
	entity loader.Entity
	goType reflect.Type
}{
	"Contact":  {loader.EntityContact, reflect.TypeFor[amocrm.Contact]()},
	"Lead":     {loader.EntityLead, reflect.TypeFor[amocrm.Lead]()},
	"Company":  {loader.EntityCompany, reflect.TypeFor[amocrm.Company]()},
	"Customer": {loader.EntityCustomer, reflect.TypeFor[amocrm.Customer]()},
}

// Members of a field that are not those of the Go field gqlgen binds it
// to: resolver fields. A field of an entity type neither listed here nor
// bound to a struct field by name (a new resolver, a method) makes the
// entity decode in full.
var (
	// The parts of _embedded a relation reads: tags, or the related
	// entities' ids.
	embTags      = []string{"_embedded.tags"}
	embContacts  = []string{"_embedded.contacts"}
	embLeads     = []string{"_embedded.leads"}
	embCompanies = []string{"_embedded.companies"}
	embCustomers = []string{"_embedded.customers"}
	embElements  = []string{"_embedded.catalog_elements"}

	cfMembers         = []string{"custom_fields_values"}
	responsibleMember = []string{"responsible_user_id"}

	resolverMembers = map[string]map[string][]string{
		"Contact": {
			"phones": cfMembers, "emails": cfMembers, "phoneNumbers": cfMembers, "emailAddresses": cfMembers,
			"requestId": {"request_id"}, "responsibleUser": responsibleMember, "chats": nil, "notes": nil, "tasks": nil,
			"tags": embTags, "companies": embCompanies, "leads": embLeads, "customers": embCustomers, "catalogElements": embElements,
		},
		"Lead": {
			"responsibleUser": responsibleMember, "pipeline": {"pipeline_id"}, "status": {"pipeline_id", "status_id"},
			"notes": nil, "tasks": nil,
			"tags": embTags, "companies": embCompanies, "contacts": embContacts, "catalogElements": embElements,
		},
		"Company": {
			"responsibleUser": responsibleMember, "notes": nil, "tasks": nil,
			"tags": embTags, "contacts": embContacts, "leads": embLeads, "customers": embCustomers,
		},
		"Customer": {
			"responsibleUser": responsibleMember, "notes": nil, "tasks": nil,
			"tags": embTags, "contacts": embContacts, "companies": embCompanies,
		},
	}
)

// entityMembers is the members each entity's objects are read for, over
// every selection of the entity's type anywhere in the tree. An entity
// with a field whose members are unknown is left out (decoded in full).
// nil when some selection is not of an object type the plan can see
// through (an interface or union), which could hide entity fields.
func entityMembers(fields []*Node) map[loader.Entity]*amocrm.Members {
	names := map[string][]string{}
	unknown := map[string]bool{}
	ok := true
	var walk func([]*Node)
	walk = func(nodes []*Node) {
		for _, n := range nodes {
			if n.Field == nil || n.Field.ObjectDefinition == nil || n.Field.ObjectDefinition.Kind != ast.Object {
				ok = false
				continue
			}
			if parent := n.Field.ObjectDefinition; n.Name != "__typename" {
				if _, isEntity := memberEntity[parent.Name]; isEntity {
					m, known := fieldMembers(parent.Name, n.Name)
					if !known {
						unknown[parent.Name] = true
					}
					names[parent.Name] = append(names[parent.Name], m...)
				}
			}
			walk(n.Kids)
		}
	}
	walk(fields)
	if !ok {
		return nil
	}
	out := map[loader.Entity]*amocrm.Members{}
	for typeName, ns := range names {
		if unknown[typeName] {
			continue
		}
		slices.Sort(ns)
		out[memberEntity[typeName].entity] = amocrm.NewMembers(slices.Compact(ns)...)
	}
	return out
}

// fieldMembers is what a field of an entity type reads, and whether that
// is known.
func fieldMembers(typeName, field string) ([]string, bool) {
	if m, ok := resolverMembers[typeName][field]; ok {
		return m, true
	}
	t := memberEntity[typeName].goType
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Anonymous || !strings.EqualFold(sf.Name, field) {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			return nil, false
		}
		return []string{name}, true
	}
	return nil, false
}
