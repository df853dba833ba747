package gateway

// CostQuery is a representative query with the upstream calls it costs and
// the fewest the v4 API allows for it. README's cost table, the tests that
// hold the gateway to it, the benchmarks and the load command all use this
// one list.
type CostQuery struct {
	Name string
	// Bench names the query's benchmarks.
	Bench string
	Query string
	// Calls is what the gateway spends against the sandbox; Minimum is the
	// fewest the API allows. They are equal for every query here.
	Calls, Minimum int
	// Sequential is how many upstream round trips stand one after another.
	Sequential int
	// Unplanned is how many of Calls the plan's lower bound of calls (what
	// the MAX_CALLS limit reads) leaves out, so that bound is Calls -
	// Unplanned: reads of the account's users and pipelines, which the
	// gateway keeps per credential (METADATA_TTL, off in the tests), and
	// catalog element reads past the first (one per catalog, and the plan
	// does not know how many catalogs the elements are in).
	Unplanned int
}

// CostQueries is the table.
var CostQueries = []CostQuery{
	{
		Name:  "contact by id, no relations",
		Bench: "ContactByID",
		Query: `{ contact(id: 3) { id name firstName lastName phones emails tags { name } companies { id } } }`,
		Calls: 1, Minimum: 1, Sequential: 1,
	},
	{
		Name:  "contact by id, lead ids only",
		Bench: "ContactLeadIDs",
		Query: `{ contact(id: 3) { id name leads { id } customers { id } } }`,
		Calls: 1, Minimum: 1, Sequential: 1,
	},
	{
		Name:  "50 contacts with lead and company names",
		Bench: "Contacts50LeadsCompanies",
		Query: `{ contacts(first: 50) { nodes { id name leads { id name price } companies { id name } } } }`,
		Calls: 3, Minimum: 3, Sequential: 2,
	},
	{
		Name:  "250 contacts with company names",
		Bench: "Contacts250Companies",
		Query: `{ contacts(first: 250) { nodes { id name companies { id name } } } }`,
		Calls: 2, Minimum: 2, Sequential: 2,
	},
	{
		Name:  "contact screen: phones, tags, company, leads, customers, chats",
		Bench: "ContactScreen",
		Query: `{ contact(id: 10000001) { name phones emails tags { name } companies { name } leads { name price } customers { name } chats { chatId } } }`,
		Calls: 5, Minimum: 5, Sequential: 2,
	},
	{
		Name:  "companies → contacts → leads → contacts, 50 contacts deep",
		Bench: "Nested5Levels",
		Query: `{ contacts(first: 50) { nodes { companies { name contacts { name leads { name contacts { name } } } } } } }`,
		Calls: 5, Minimum: 5, Sequential: 5,
	},
	{
		Name:  "one contact under two aliases, each with other relations",
		Bench: "ContactAliases",
		Query: `{ a: contact(id: 3) { leads { id } } b: contact(id: 3) { name tags { name } customers { id } } }`,
		Calls: 1, Minimum: 1, Sequential: 1,
	},
	{
		Name:  "a contact's chats beside chatLinks of the same contact",
		Bench: "ChatsTwoPaths",
		Query: `{ contact(id: 3102959) { name chats { chatId } } chatLinks(contactIds: [3102959]) { chatId contact { name } } }`,
		Calls: 2, Minimum: 2, Sequential: 1,
	},
	{
		Name:  "a lead by id beside the same lead under a contact",
		Bench: "LeadTwoPaths",
		Query: `{ lead(id: 20000206) { name price } contact(id: 10000031) { leads { name } } }`,
		Calls: 2, Minimum: 2, Sequential: 1,
	},
	{
		// Elements are listed per catalog; the demo data has two.
		Name:  "250 contacts with catalog elements and chats",
		Bench: "Contacts250ElementsChats",
		Query: `{ contacts(first: 250) { nodes { id catalogElements { quantity element { name } } chats { chatId } } } }`,
		Calls: 4, Minimum: 4, Sequential: 2, Unplanned: 1,
	},
	{
		// The sales board. Users and pipelines are read once for the
		// whole operation, beside the contacts call (the plan names them,
		// so they do not wait for the leads); with METADATA_TTL (off here)
		// a repeat within it costs the contacts and leads calls only.
		Name:  "sales board: 50 contacts' leads with pipeline, stage and responsible user",
		Bench: "SalesBoard",
		Query: `{ contacts(first: 50) { nodes { name responsibleUser { name } leads { name price pipeline { name } status { name color } responsibleUser { name } } } } }`,
		Calls: 4, Minimum: 4, Sequential: 2, Unplanned: 2,
	},
	{
		// The contact card: the contact, its notes, its open tasks
		// (GET /api/v4/tasks?filter[entity_type]=contacts&filter[entity_id][]=…)
		// and the user list side by side: the notes and tasks of a contact
		// read by id are known by that id, so the plan executor starts them
		// with it (on the resolvers, 2 round trips).
		Name:  "contact card: a contact with its 5 newest notes and open tasks with their responsible user",
		Bench: "ContactCard",
		Query: `{ contact(id: 3) { name phones notes(first: 5) { nodes { noteType text createdAt } pageInfo { hasNextPage } } tasks(isCompleted: false) { text completeTill responsibleUser { name } } } }`,
		Calls: 4, Minimum: 4, Sequential: 1, Unplanned: 1,
	},
	{
		// Notes and tasks of a whole page share one call each, whatever
		// the page's size (up to 250 notes and 250 tasks).
		Name:  "50 contacts with their notes and tasks",
		Bench: "ContactsNotesTasks",
		Query: `{ contacts(first: 50) { nodes { name notes(first: 3) { nodes { text } } tasks { text isCompleted } } } }`,
		Calls: 3, Minimum: 3, Sequential: 2,
	},
	{
		// The leads board: one leads call for a whole pipeline, and beside
		// it the account's users and pipelines, read once for the whole
		// page (METADATA_TTL is off here; within it, 1 call). 200, not
		// 250: the page then also reads the item after it, so hasNextPage
		// costs no probe.
		Name:  "leads board: 200 leads of a pipeline with stage, pipeline and responsible user",
		Bench: "LeadsBoard",
		Query: `{ leads(first: 200, filter: {statuses: [{pipelineId: 5000001}]}) { nodes { id name price status { name color } pipeline { name } responsibleUser { name } } pageInfo { hasNextPage endCursor } } }`,
		Calls: 3, Minimum: 3, Sequential: 1, Unplanned: 2,
	},
	{
		Name:  "50 leads with their contacts' and companies' names",
		Bench: "Leads50ContactsCompanies",
		Query: `{ leads(first: 50) { nodes { id name price contacts { id name } companies { id name } } } }`,
		Calls: 3, Minimum: 3, Sequential: 2,
	},
	{
		// A customer's feed: the customers page, then their notes (GET
		// /api/v4/customers/notes?filter[entity_id][]=…, one call for the
		// page) beside the user list.
		Name:  "20 customers with their 3 newest notes and responsible user",
		Bench: "CustomersNotes",
		Query: `{ customers(first: 20) { nodes { name nextPrice responsibleUser { name } notes(first: 3) { nodes { noteType text createdAt } } } } }`,
		Calls: 3, Minimum: 3, Sequential: 2, Unplanned: 1,
	},
	{
		// The week's agenda: one tasks call, ordered by deadline by amoCRM.
		Name:  "the 50 open tasks due soonest, with the entity each is about",
		Bench: "TasksAgenda",
		Query: `{ tasks(first: 50, filter: {isCompleted: false}, orderBy: {field: COMPLETE_TILL, direction: ASC}) { nodes { id text completeTill entityType entityId } pageInfo { hasNextPage endCursor } } }`,
		Calls: 1, Minimum: 1, Sequential: 1,
	},
}
