package graph

// execFields is what the plan executor answers: for each type, its fields
// and the type each leads to ("" for a leaf). A query is covered when every
// field of its plan is here; otherwise gqlgen answers it. Root fields are
// checked separately (roots).
var execFields = map[string]map[string]string{
	"Contact": {
		"__typename": "", "id": "", "name": "", "firstName": "", "lastName": "",
		"responsibleUserId": "", "groupId": "", "createdBy": "", "updatedBy": "",
		"createdAt": "", "updatedAt": "", "isDeleted": "", "closestTaskAt": "", "accountId": "",
		"customFieldsValues": "CustomFieldValue", "phones": "", "emails": "",
		"phoneNumbers": "LabeledValue", "emailAddresses": "LabeledValue", "requestId": "",
		"tags": "Tag", "leads": "Lead", "companies": "Company", "responsibleUser": "User",
		"notes": "NoteConnection", "tasks": "Task",
	},
	"Lead": {
		"__typename": "", "id": "", "name": "", "price": "", "responsibleUserId": "", "groupId": "",
		"statusId": "", "pipelineId": "", "lossReasonId": "", "sourceId": "", "createdBy": "",
		"updatedBy": "", "createdAt": "", "updatedAt": "", "closedAt": "", "closestTaskAt": "",
		"isDeleted": "", "score": "", "accountId": "",
		"customFieldsValues": "CustomFieldValue", "tags": "Tag",
		"responsibleUser": "User", "pipeline": "Pipeline", "status": "PipelineStatus",
		"contacts": "Contact", "companies": "Company", "notes": "NoteConnection", "tasks": "Task",
	},
	"Company": {
		"__typename": "", "id": "", "name": "", "responsibleUserId": "", "groupId": "",
		"createdBy": "", "updatedBy": "", "createdAt": "", "updatedAt": "", "closestTaskAt": "",
		"isDeleted": "", "accountId": "",
		"customFieldsValues": "CustomFieldValue", "tags": "Tag", "responsibleUser": "User",
		"contacts": "Contact", "leads": "Lead", "notes": "NoteConnection", "tasks": "Task",
	},
	"Customer": {
		"__typename": "", "id": "", "name": "", "nextPrice": "", "nextDate": "", "responsibleUserId": "",
		"statusId": "", "periodicity": "", "createdBy": "", "updatedBy": "", "createdAt": "", "updatedAt": "",
		"closestTaskAt": "", "isDeleted": "", "ltv": "", "purchasesCount": "", "averageCheck": "", "accountId": "",
		"customFieldsValues": "CustomFieldValue", "tags": "Tag", "responsibleUser": "User",
		"contacts": "Contact", "companies": "Company", "notes": "NoteConnection", "tasks": "Task",
	},
	"User": {
		"__typename": "", "id": "", "name": "", "email": "", "lang": "", "isAdmin": "", "isActive": "",
		"isFree": "", "groupId": "", "roleId": "",
	},
	"Pipeline": {
		"__typename": "", "id": "", "name": "", "sort": "", "isMain": "", "isArchive": "", "isUnsortedOn": "",
		"statuses": "PipelineStatus",
	},
	"PipelineStatus": {
		"__typename": "", "id": "", "pipelineId": "", "name": "", "sort": "", "color": "", "type": "", "isEditable": "",
	},
	"Tag":          {"__typename": "", "id": "", "name": "", "color": ""},
	"LabeledValue": {"__typename": "", "value": "", "label": "", "enumId": ""},
	"CustomFieldValue": {
		"__typename": "", "fieldId": "", "fieldName": "", "fieldCode": "", "fieldType": "",
		"values": "CustomFieldValueItem",
	},
	"CustomFieldValueItem": {
		"__typename": "", "value": "", "enumId": "", "enumCode": "", "enum": "",
		"catalogId": "", "catalogElementId": "",
	},
	"ContactConnection":  {"__typename": "", "edges": "ContactEdge", "nodes": "Contact", "pageInfo": "PageInfo"},
	"ContactEdge":        {"__typename": "", "cursor": "", "node": "Contact"},
	"LeadConnection":     {"__typename": "", "edges": "LeadEdge", "nodes": "Lead", "pageInfo": "PageInfo"},
	"LeadEdge":           {"__typename": "", "cursor": "", "node": "Lead"},
	"CompanyConnection":  {"__typename": "", "edges": "CompanyEdge", "nodes": "Company", "pageInfo": "PageInfo"},
	"CompanyEdge":        {"__typename": "", "cursor": "", "node": "Company"},
	"NoteConnection":     {"__typename": "", "edges": "NoteEdge", "nodes": "Note", "pageInfo": "PageInfo"},
	"TaskConnection":     {"__typename": "", "edges": "TaskEdge", "nodes": "Task", "pageInfo": "PageInfo"},
	"CustomerConnection": {"__typename": "", "edges": "CustomerEdge", "nodes": "Customer", "pageInfo": "PageInfo"},
	"CustomerEdge":       {"__typename": "", "cursor": "", "node": "Customer"},
	"TaskEdge":           {"__typename": "", "cursor": "", "node": "Task"},
	"NoteEdge":           {"__typename": "", "cursor": "", "node": "Note"},
	"Note": {
		"__typename": "", "id": "", "entityId": "", "noteType": "", "params": "", "text": "",
		"responsibleUserId": "", "createdBy": "", "updatedBy": "", "createdAt": "", "updatedAt": "",
		"accountId": "", "requestId": "",
	},
	"Task": {
		"__typename": "", "id": "", "text": "", "entityId": "", "entityType": "", "responsibleUserId": "",
		"responsibleUser": "User", "groupId": "", "completeTill": "", "duration": "", "isCompleted": "",
		"result": "", "taskTypeId": "", "createdBy": "", "updatedBy": "", "createdAt": "", "updatedAt": "",
		"accountId": "", "requestId": "",
	},
	"PageInfo": {"__typename": "", "hasNextPage": "", "hasPreviousPage": "", "startCursor": "", "endCursor": ""},
}

// roots are the root fields the executor answers, each with the type its
// selection is on (__typename is answered too).
var roots = map[string]struct {
	typeName string
	write    func(*run, []byte, *Node) ([]byte, error)
}{
	"contact":   {"Contact", (*run).contactByID},
	"lead":      {"Lead", (*run).leadByID},
	"company":   {"Company", (*run).companyByID},
	"contacts":  {"ContactConnection", (*run).contacts},
	"leads":     {"LeadConnection", (*run).leadsList},
	"companies": {"CompanyConnection", (*run).companiesList},
	"tasks":     {"TaskConnection", (*run).tasksList},
	"customers": {"CustomerConnection", (*run).customersList},
}

// covered reports whether the executor can answer the plan.
func covered(p *Plan) bool {
	if p.Kind != "query" || !p.Complete || p.deferred || len(p.Fields) == 0 {
		return false
	}
	for _, f := range p.Fields {
		if f.Name == "__typename" {
			continue
		}
		root, ok := roots[f.Name]
		if !ok || !coveredKids(f.Kids, root.typeName) {
			return false
		}
	}
	return true
}

func coveredKids(kids []*Node, typeName string) bool {
	return coveredBelow(kids, typeName, false)
}

// entityTypes are the types whose relations to each other make a level.
var entityTypes = map[string]bool{"Contact": true, "Lead": true, "Company": true, "Customer": true}

// coveredBelow is coveredKids; nested says typeName is below a relation
// of another entity, where notes and tasks are not covered: the loaders
// batch them per level only when a level's entities ask together, as the
// resolvers do, while the executor writes entities one by one and names
// the siblings of the root's entities only.
func coveredBelow(kids []*Node, typeName string, nested bool) bool {
	fields, ok := execFields[typeName]
	if !ok {
		return false
	}
	for _, k := range kids {
		to, ok := fields[k.Name]
		if !ok || k.Type != "" && to != "" && k.Type != to {
			return false
		}
		if nested && (k.Name == "notes" || k.Name == "tasks") {
			return false
		}
		if to != "" && !coveredBelow(k.Kids, to, nested || entityTypes[typeName] && entityTypes[to]) {
			return false
		}
	}
	return true
}
