package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// contactNeeds is what a query selects on contacts, read before the upstream
// call so that one call carries everything the query will use.
type contactNeeds struct {
	with []string // with= values for the contacts call itself
	// Relations whose full objects (more than their ids) are selected; their
	// fetch can start as soon as the contacts arrive.
	leads, companies, customers, chats bool
}

// full reports whether contacts fetched with these needs carry every relation
// amoCRM only embeds on request, so they can stand in for a by-id load.
func (n contactNeeds) full() bool { return len(n.with) == 3 }

// contactSelectionNeeds reads the needs from the fields selected on Contact,
// through fragments, inline fragments and aliases (CollectFields resolves all three).
func contactSelectionNeeds(opCtx *graphql.OperationContext, sets ...ast.SelectionSet) contactNeeds {
	var n contactNeeds
	var leads, customers, elements bool
	for _, set := range sets {
		for _, f := range graphql.CollectFields(opCtx, set, []string{"Contact"}) {
			switch f.Name {
			case "leads":
				leads = true
				n.leads = n.leads || !onlyID(opCtx, f.Selections, "Lead")
			case "customers":
				customers = true
				n.customers = n.customers || !onlyID(opCtx, f.Selections, "Customer")
			case "catalogElements":
				elements = true
			case "companies":
				n.companies = n.companies || !onlyID(opCtx, f.Selections, "Company")
			case "chats":
				n.chats = true
			}
		}
	}
	if leads {
		n.with = append(n.with, "leads")
	}
	if customers {
		n.with = append(n.with, "customers")
	}
	if elements {
		n.with = append(n.with, "catalog_elements")
	}
	return n
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

// fieldOnlyID reports whether the field being resolved selects only id.
func fieldOnlyID(ctx context.Context, typeName string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return false
	}
	return onlyID(graphql.GetOperationContext(ctx), fc.Field.Selections, typeName)
}

// currentContactSets returns the selection of the Contact field being resolved.
func currentContactSets(ctx context.Context) (*graphql.OperationContext, []ast.SelectionSet) {
	return graphql.GetOperationContext(ctx), []ast.SelectionSet{graphql.GetFieldContext(ctx).Field.Selections}
}
