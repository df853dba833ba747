package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/loader"
)

// contactWith returns the with= values a contacts call needs for the fields
// selected on Contact, through fragments, inline fragments and aliases
// (CollectFields resolves all three): only the relations amoCRM embeds on
// request, and only when selected.
func contactWith(opCtx *graphql.OperationContext, sets ...ast.SelectionSet) []string {
	var leads, customers, elements bool
	for _, set := range sets {
		for _, f := range graphql.CollectFields(opCtx, set, []string{"Contact"}) {
			switch f.Name {
			case "leads":
				leads = true
			case "customers":
				customers = true
			case "catalogElements":
				elements = true
			}
		}
	}
	var with []string
	if leads {
		with = append(with, "leads")
	}
	if customers {
		with = append(with, "customers")
	}
	if elements {
		with = append(with, "catalog_elements")
	}
	return with
}

// connectionContactSets returns the selection sets that apply to Contact
// under a ContactConnection: nodes { … } and edges { node { … } }.
func connectionContactSets(ctx context.Context) (*graphql.OperationContext, []ast.SelectionSet) {
	opCtx := graphql.GetOperationContext(ctx)
	var sets []ast.SelectionSet
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{"ContactConnection"}) {
		switch f.Name {
		case "nodes":
			sets = append(sets, f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(opCtx, f.Selections, []string{"ContactEdge"}) {
				if e.Name == "node" {
					sets = append(sets, e.Selections)
				}
			}
		}
	}
	return opCtx, sets
}

// onlyID reports whether a selection asks for nothing an id cannot answer.
func onlyID(opCtx *graphql.OperationContext, set ast.SelectionSet, typeName string) bool {
	for _, f := range graphql.CollectFields(opCtx, set, []string{typeName}) {
		if f.Name != "id" && f.Name != "__typename" {
			return false
		}
	}
	return true
}

// selects reports whether a selection asks for the field name of typeName.
func selects(opCtx *graphql.OperationContext, set ast.SelectionSet, typeName, name string) bool {
	for _, f := range graphql.CollectFields(opCtx, set, []string{typeName}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// fieldOnlyID reports whether the field being resolved selects only id.
// Every parent in a list asks the same of the same field, so the answer is
// kept per field for the operation.
func fieldOnlyID(ctx context.Context, typeName string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return false
	}
	memo, _ := ctx.Value(memoKey{}).(*opMemo)
	if memo != nil {
		memo.mu.Lock()
		v, ok := memo.onlyID[fc.Field.Field]
		memo.mu.Unlock()
		if ok {
			return v
		}
	}
	v := onlyID(graphql.GetOperationContext(ctx), fc.Field.Selections, typeName)
	if memo != nil {
		memo.mu.Lock()
		memo.onlyID[fc.Field.Field] = v
		memo.mu.Unlock()
	}
	return v
}

// opMemo keeps per-operation answers that every parent of a list would
// otherwise compute again.
type opMemo struct {
	mu     sync.Mutex
	onlyID map[*ast.Field]bool
}

type memoKey struct{}

// relations maps each object type to its fields that lead to other objects,
// with the type they lead to.
var relations = map[string]map[string]string{
	"Contact":               {"leads": "Lead", "companies": "Company", "customers": "Customer", "chats": "ChatLink", "catalogElements": "CatalogElementLink"},
	"Lead":                  {"contacts": "Contact", "companies": "Company", "catalogElements": "CatalogElementLink"},
	"Company":               {"contacts": "Contact", "leads": "Lead", "customers": "Customer"},
	"Customer":              {"contacts": "Contact", "companies": "Company"},
	"ChatLink":              {"contact": "Contact"},
	"CatalogElementLink":    {"element": "CatalogElement"},
	"ContactConnection":     {"nodes": "Contact", "edges": "ContactEdge"},
	"ContactEdge":           {"node": "Contact"},
	"CreateContactsPayload": {"contacts": "Contact"},
	"UpdateContactsPayload": {"contacts": "Contact"},
	"UpdateContactPayload":  {"contact": "Contact"},
	"LinkChatsPayload":      {"chatLinks": "ChatLink"},
	"ContactChange":         {"contact": "Contact"},
	"LeadChange":            {"lead": "Lead"},
	"CompanyChange":         {"company": "Company"},
}

// embedWith maps the relation fields amoCRM embeds only on request to the
// with= value that asks for them.
var embedWith = map[string]map[string]string{
	"Contact":  {"leads": "leads", "customers": "customers", "catalogElements": "catalog_elements"},
	"Lead":     {"contacts": "contacts", "catalogElements": "catalog_elements"},
	"Company":  {"contacts": "contacts", "leads": "leads", "customers": "customers"},
	"Customer": {"contacts": "contacts", "companies": "companies"},
}

var entities = map[string]loader.Entity{
	"Contact": loader.EntityContact, "Lead": loader.EntityLead, "Company": loader.EntityCompany,
	"Customer": loader.EntityCustomer, "ChatLink": loader.EntityChatLink,
}

// Lookahead is a gqlgen extension that reads the whole operation before any
// resolver runs and tells the request's loaders what it selects: which
// relations each fetch must embed (with=) and which related objects each
// level will want in full. Reading it once up front, rather than in each
// root resolver, means root fields that run in parallel all fetch with the
// same with= values, so what one caches is complete for the other.
type Lookahead struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Lookahead{}

// ExtensionName names the extension in gqlgen's registry.
func (Lookahead) ExtensionName() string { return "Lookahead" }

// Validate accepts any schema.
func (Lookahead) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation walks the operation, then runs it.
func (Lookahead) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if l, err := loader.For(ctx); err == nil {
		opCtx := graphql.GetOperationContext(ctx)
		if op := opCtx.Operation; op != nil {
			root := "Query"
			if op.Operation == ast.Mutation {
				root = "Mutation"
			}
			complete := true
			fields := graphql.CollectFields(opCtx, op.SelectionSet, []string{root})
			for _, f := range fields {
				if f.Definition != nil {
					complete = walkSelections(opCtx, l, f.Selections, f.Definition.Type.Name(), 0, 0) && complete
				}
			}
			if complete {
				l.Planned()
			}
			if op.Operation == ast.Query {
				prefetchRoots(opCtx, l, fields)
			}
		}
	}
	return next(context.WithValue(ctx, memoKey{}, &opMemo{onlyID: map[*ast.Field]bool{}}))
}

// prefetchRoots starts reading the objects that root fields name by id,
// once the walk has recorded what the operation wants of them: every
// contact(id:) of the operation in one call, every lead(id:) in one, every
// company(id:) in one, and the chats of every chatLinks(contactIds:) in one,
// instead of one call per field. The root resolvers find the reads under
// way. Arguments their resolvers would refuse are left to them.
func prefetchRoots(opCtx *graphql.OperationContext, l *loader.Loaders, fields []graphql.CollectedField) {
	var contacts, leads, companies, chats []int
	for _, f := range fields {
		args := f.ArgumentMap(opCtx.Variables)
		switch f.Name {
		case "contact":
			contacts = append(contacts, argIDs(args["id"])...)
		case "lead":
			leads = append(leads, argIDs(args["id"])...)
		case "company":
			companies = append(companies, argIDs(args["id"])...)
		case "chatLinks":
			ids := argIDs(args["contactIds"])
			if chatIDs, _ := args["chatIds"].([]any); len(chatIDs) == 0 && len(ids) <= maxBatch {
				chats = append(chats, ids...)
			}
		}
	}
	l.PrefetchRoots(contacts, leads, companies)
	l.PrefetchChatLinks(chats, 0)
}

// argIDs reads an ID or [ID!] argument; nil if any id is not one the ID
// scalar accepts.
func argIDs(v any) []int {
	vs, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil
		}
		vs = []any{v}
	}
	ids := make([]int, len(vs))
	for i, x := range vs {
		id, err := model.UnmarshalID(x)
		if err != nil {
			return nil
		}
		ids[i] = id
	}
	return ids
}

// maxWalkDepth bounds the walk; deeper queries are refused by the depth limit anyway.
const maxWalkDepth = 32

// customFieldReaders are the fields whose resolvers read an entity's
// custom_fields_values; the walk records them so that fetches decode custom
// fields only for operations that read them.
var customFieldReaders = map[string]bool{
	"customFieldsValues": true, "phones": true, "emails": true, "phoneNumbers": true, "emailAddresses": true,
}

// level counts the objects between the root and typeName: the root field's
// objects are level 0; connections and payloads around them add none. It
// reports false when it stopped at maxWalkDepth without seeing everything.
func walkSelections(opCtx *graphql.OperationContext, l *loader.Loaders, set ast.SelectionSet, typeName string, level, depth int) bool {
	kids, ok := relations[typeName]
	if !ok {
		return true
	}
	if depth > maxWalkDepth {
		return false
	}
	var n loader.Needs
	complete := true
	e, isEntity := entities[typeName]
	for _, f := range graphql.CollectFields(opCtx, set, []string{typeName}) {
		if isEntity && customFieldReaders[f.Name] {
			l.Read(e, loader.ReadsCustomFields)
		}
		child, ok := kids[f.Name]
		if !ok {
			continue
		}
		if w := embedWith[typeName][f.Name]; w != "" {
			l.WantWith(e, w)
		}
		full := !onlyID(opCtx, f.Selections, child)
		switch f.Name {
		case "contacts", "contact":
			n.Contacts = n.Contacts || full
		case "leads":
			n.Leads = n.Leads || full
		case "companies":
			n.Companies = n.Companies || full
		case "customers":
			n.Customers = n.Customers || full
		case "chats":
			n.Chats = true // links are only known by fetching them
		case "catalogElements":
			n.Elements = n.Elements || selects(opCtx, f.Selections, child, "element")
		}
		next := level
		if isEntity {
			next++
		}
		complete = walkSelections(opCtx, l, f.Selections, child, next, depth+1) && complete
	}
	if isEntity && n != (loader.Needs{}) {
		l.Want(e, level, n)
	}
	return complete
}
