package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The lists and payloads of leads and companies in the relation table: they
// wrap their entities without adding a level, as the contacts' do.
func init() {
	for conn, entity := range map[string]string{"LeadConnection": "Lead", "CompanyConnection": "Company"} {
		objects[conn] = object{links: map[string]link{"nodes": wrap(entity), "edges": wrap(entity + "Edge")}}
		objects[entity+"Edge"] = object{links: map[string]link{"node": wrap(entity)}}
	}
	for payload, field := range map[string]string{"CreateLeadsPayload": "leads", "UpdateLeadsPayload": "leads"} {
		objects[payload] = object{links: map[string]link{field: wrap("Lead")}}
	}
	for _, payload := range []string{"CreateCompaniesPayload", "UpdateCompaniesPayload"} {
		objects[payload] = object{links: map[string]link{"companies": wrap("Company")}}
	}
}

// listWith returns the with= values a list call of typeName needs: the
// relations selected on the items under the connection being resolved
// (nodes { … } and edges { node { … } }) that amoCRM embeds only on
// request, as the relation table names them; sorted, so equal queries send
// equal URLs.
func listWith(ctx context.Context, connType, edgeType, typeName string) []string {
	opCtx := graphql.GetOperationContext(ctx)
	var sets []ast.SelectionSet
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{connType}) {
		switch f.Name {
		case "nodes":
			sets = append(sets, f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(opCtx, f.Selections, []string{edgeType}) {
				if e.Name == "node" {
					sets = append(sets, e.Selections)
				}
			}
		}
	}
	var with []string
	for _, set := range sets {
		for _, f := range graphql.CollectFields(opCtx, set, []string{typeName}) {
			if w := objects[typeName].links[f.Name].with; w != "" && !slices.Contains(with, w) {
				with = append(with, w)
			}
		}
	}
	slices.Sort(with)
	return with
}
