package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

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
