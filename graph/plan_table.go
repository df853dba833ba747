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
	// meta is the account metadata the objects come from ("users",
	// "pipelines"), read when more than their id is selected.
	meta string
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

// metadata is a link to the account's users or pipelines. The loaders read
// each list at most once per operation and keep it per credential for
// METADATA_TTL, so an operation may find it kept and spend no call: it adds
// nothing to the plan's lower bound of calls, and nothing to the loaders'
// needs. The plan names the list, so that the loaders start reading it
// beside the operation's first call instead of once the entities naming
// users or stages have arrived.
func metadata(to string) link {
	kind := "pipelines"
	if to == "User" {
		kind = "users"
	}
	return link{to: to, need: needNothing, cost: costNone, meta: kind}
}

// activity is a link to an entity's notes or tasks. The loaders read them
// for every entity of one type at one level in one call (filter[entity_id][],
// up to 250 rows), whatever is selected of them, so the link costs one call
// per level and entity type; the loaders need no Needs for it, as notes and
// tasks are read when their fields resolve, not followed from the parent's
// fetch.
func activity(to string) link { return link{to: to, need: needNothing, cost: costAlways} }

// connection and edge are the wrappers of a Relay connection of to.
func connection(to string) object {
	return object{links: map[string]link{"nodes": wrap(to), "edges": wrap(to + "Edge")}}
}
func edge(to string) object { return object{links: map[string]link{"node": wrap(to)}} }

// payload is a mutation payload whose field holds the written objects.
func payload(field, to string) object { return object{links: map[string]link{field: wrap(to)}} }

var objects = map[string]object{
	"Contact": {entity: loader.EntityContact, isEntity: true, links: map[string]link{
		"leads":           {to: "Lead", with: "leads", need: needLeads, cost: costUnlessIDs},
		"companies":       {to: "Company", need: needCompanies, cost: costUnlessIDs},
		"customers":       {to: "Customer", with: "customers", need: needCustomers, cost: costUnlessIDs},
		"chats":           {to: "ChatLink", need: needChats, cost: costAlways},
		"catalogElements": {to: "CatalogElementLink", with: "catalog_elements", need: needElements, cost: costNone},
		"responsibleUser": metadata("User"),
		"notes":           activity("NoteConnection"),
		"tasks":           activity("Task"),
	}},
	"Lead": {entity: loader.EntityLead, isEntity: true, links: map[string]link{
		"contacts":        {to: "Contact", with: "contacts", need: needContacts, cost: costUnlessIDs},
		"companies":       {to: "Company", need: needCompanies, cost: costUnlessIDs},
		"catalogElements": {to: "CatalogElementLink", with: "catalog_elements", need: needElements, cost: costNone},
		"responsibleUser": metadata("User"),
		"pipeline":        metadata("Pipeline"),
		"status":          metadata("PipelineStatus"),
		"notes":           activity("NoteConnection"),
		"tasks":           activity("Task"),
	}},
	"Company": {entity: loader.EntityCompany, isEntity: true, links: map[string]link{
		"contacts":        {to: "Contact", with: "contacts", need: needContacts, cost: costUnlessIDs},
		"leads":           {to: "Lead", with: "leads", need: needLeads, cost: costUnlessIDs},
		"customers":       {to: "Customer", with: "customers", need: needCustomers, cost: costUnlessIDs},
		"responsibleUser": metadata("User"),
		"notes":           activity("NoteConnection"),
		"tasks":           activity("Task"),
	}},
	"Customer": {entity: loader.EntityCustomer, isEntity: true, links: map[string]link{
		"contacts":        {to: "Contact", with: "contacts", need: needContacts, cost: costUnlessIDs},
		"companies":       {to: "Company", with: "companies", need: needCompanies, cost: costUnlessIDs},
		"responsibleUser": metadata("User"),
		"notes":           activity("NoteConnection"),
		"tasks":           activity("Task"),
	}},
	"ChatLink": {entity: loader.EntityChatLink, isEntity: true, links: map[string]link{
		"contact": {to: "Contact", need: needContacts, cost: costUnlessIDs},
	}},
	"CatalogElementLink": {links: map[string]link{
		"element": {to: "CatalogElement", need: needNothing, cost: costAlways},
	}},
	// Tasks are not an entity of the loaders (they are read per parent, not
	// followed), so they add no level.
	"Task": {links: map[string]link{"responsibleUser": metadata("User")}},

	"ContactConnection":  connection("Contact"),
	"ContactEdge":        edge("Contact"),
	"LeadConnection":     connection("Lead"),
	"LeadEdge":           edge("Lead"),
	"CompanyConnection":  connection("Company"),
	"CompanyEdge":        edge("Company"),
	"CustomerConnection": connection("Customer"),
	"CustomerEdge":       edge("Customer"),
	"TaskConnection":     connection("Task"),
	"TaskEdge":           edge("Task"),
	// Notes, users and tags lead nowhere: their wrappers are here so that
	// the table names every connection, and a relation added to them later
	// is counted once it has its own entry.
	"NoteConnection": connection("Note"),
	"NoteEdge":       edge("Note"),
	"UserConnection": connection("User"),
	"UserEdge":       edge("User"),
	"TagConnection":  connection("Tag"),
	"TagEdge":        edge("Tag"),

	"CreateContactsPayload":  payload("contacts", "Contact"),
	"UpdateContactsPayload":  payload("contacts", "Contact"),
	"UpdateContactPayload":   payload("contact", "Contact"),
	"LinkChatsPayload":       payload("chatLinks", "ChatLink"),
	"CreateLeadsPayload":     payload("leads", "Lead"),
	"UpdateLeadsPayload":     payload("leads", "Lead"),
	"CreateCompaniesPayload": payload("companies", "Company"),
	"UpdateCompaniesPayload": payload("companies", "Company"),
	"AddNotesPayload":        payload("notes", "Note"),
	"CreateTasksPayload":     payload("tasks", "Task"),
	"UpdateTasksPayload":     payload("tasks", "Task"),

	"ContactChange": payload("contact", "Contact"),
	"LeadChange":    payload("lead", "Lead"),
	"CompanyChange": payload("company", "Company"),
}

// readsCustomFields are the fields of an entity that read its
// custom_fields_values, so fetches decode custom fields only for operations
// that select one of them.
var readsCustomFields = map[string]bool{
	"customFieldsValues": true, "phones": true, "emails": true, "phoneNumbers": true, "emailAddresses": true,
}
