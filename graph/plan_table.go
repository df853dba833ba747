package graph

import "github.com/amogql/amogql/internal/loader"

// The relation table: every object type whose fields lead to other objects,
// and for each such field what it costs and what it asks of the loaders.
// The plan, and through it the limits, the loaders and the executor, read
// only this table: adding a relation is adding its entry here.

// object is one type of the table.
type object struct {
	// entity is what the loaders fetch for the type; isEntity is false for
	// wrappers (connections, edges, payloads, links) that add no level.
	entity   loader.Entity
	isEntity bool
	links    map[string]link
}

// link is a field leading to objects of type to.
type link struct {
	to string
	// with is the with= value that makes amoCRM embed the relation's ids in
	// the parent's answer; "" when amoCRM embeds them in every answer.
	with string
	// need records, in a level's Needs, what selecting the field asks.
	need func(n *loader.Needs, f *Node)
	cost cost
}

// cost says when a relation costs an upstream call of its own.
type cost uint8

const (
	// costNone: the objects come inside the parent's answer.
	costNone cost = iota
	// costUnlessIDs: one call per level, unless only ids are selected
	// (the parent's answer carries them).
	costUnlessIDs
	// costAlways: the objects are only known by fetching them.
	costAlways
)

func needContacts(n *loader.Needs, f *Node)  { n.Contacts = n.Contacts || !f.OnlyID }
func needLeads(n *loader.Needs, f *Node)     { n.Leads = n.Leads || !f.OnlyID }
func needCompanies(n *loader.Needs, f *Node) { n.Companies = n.Companies || !f.OnlyID }
func needCustomers(n *loader.Needs, f *Node) { n.Customers = n.Customers || !f.OnlyID }
func needChats(n *loader.Needs, _ *Node)     { n.Chats = true }
func needNothing(*loader.Needs, *Node)       {}

// needElements: links come embedded; the elements themselves are read when
// element is selected.
func needElements(n *loader.Needs, f *Node) {
	for _, k := range f.Kids {
		if k.Name == "element" {
			n.Elements = true
		}
	}
}

// wrap is a link through a type that adds no level and costs nothing.
func wrap(to string) link { return link{to: to, need: needContacts, cost: costNone} }

var objects = map[string]object{
	"Contact": {entity: loader.EntityContact, isEntity: true, links: map[string]link{
		"leads":           {to: "Lead", with: "leads", need: needLeads, cost: costUnlessIDs},
		"companies":       {to: "Company", need: needCompanies, cost: costUnlessIDs},
		"customers":       {to: "Customer", with: "customers", need: needCustomers, cost: costUnlessIDs},
		"chats":           {to: "ChatLink", need: needChats, cost: costAlways},
		"catalogElements": {to: "CatalogElementLink", with: "catalog_elements", need: needElements, cost: costNone},
	}},
	"Lead": {entity: loader.EntityLead, isEntity: true, links: map[string]link{
		"contacts":        {to: "Contact", with: "contacts", need: needContacts, cost: costUnlessIDs},
		"companies":       {to: "Company", need: needCompanies, cost: costUnlessIDs},
		"catalogElements": {to: "CatalogElementLink", with: "catalog_elements", need: needElements, cost: costNone},
	}},
	"Company": {entity: loader.EntityCompany, isEntity: true, links: map[string]link{
		"contacts":  {to: "Contact", with: "contacts", need: needContacts, cost: costUnlessIDs},
		"leads":     {to: "Lead", with: "leads", need: needLeads, cost: costUnlessIDs},
		"customers": {to: "Customer", with: "customers", need: needCustomers, cost: costUnlessIDs},
	}},
	"Customer": {entity: loader.EntityCustomer, isEntity: true, links: map[string]link{
		"contacts":  {to: "Contact", with: "contacts", need: needContacts, cost: costUnlessIDs},
		"companies": {to: "Company", with: "companies", need: needCompanies, cost: costUnlessIDs},
	}},
	"ChatLink": {entity: loader.EntityChatLink, isEntity: true, links: map[string]link{
		"contact": {to: "Contact", need: needContacts, cost: costUnlessIDs},
	}},
	"CatalogElementLink": {links: map[string]link{
		"element": {to: "CatalogElement", need: needNothing, cost: costAlways},
	}},
	"ContactConnection":     {links: map[string]link{"nodes": wrap("Contact"), "edges": wrap("ContactEdge")}},
	"ContactEdge":           {links: map[string]link{"node": wrap("Contact")}},
	"CreateContactsPayload": {links: map[string]link{"contacts": wrap("Contact")}},
	"UpdateContactsPayload": {links: map[string]link{"contacts": wrap("Contact")}},
	"UpdateContactPayload":  {links: map[string]link{"contact": wrap("Contact")}},
	"LinkChatsPayload":      {links: map[string]link{"chatLinks": wrap("ChatLink")}},
	"ContactChange":         {links: map[string]link{"contact": wrap("Contact")}},
	"LeadChange":            {links: map[string]link{"lead": wrap("Lead")}},
	"CompanyChange":         {links: map[string]link{"company": wrap("Company")}},
}

// readsCustomFields are the fields of an entity that read its
// custom_fields_values, so fetches decode custom fields only for operations
// that select one of them.
var readsCustomFields = map[string]bool{
	"customFieldsValues": true, "phones": true, "emails": true, "phoneNumbers": true, "emailAddresses": true,
}
