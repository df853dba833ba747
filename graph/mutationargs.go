package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MutationArguments is a gqlgen extension that coerces the arguments of
// every field of a mutation operation before the first of them runs.
//
// gqlgen coerces a field's arguments only when it executes that field. An
// argument that fails there (an ID that is not a number, a malformed Time)
// makes the non-null mutation field null, and so the whole data: a
// mutation earlier in the same operation would have written to amoCRM with
// nothing left in the answer to say so. Refusing the operation up front
// keeps "nothing written" and "an error" together.
type MutationArguments struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = MutationArguments{}

// ExtensionName names the extension in gqlgen's extension list.
func (MutationArguments) ExtensionName() string { return "MutationArguments" }

// Validate accepts any schema.
func (MutationArguments) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses a mutation operation whose fields'
// arguments do not coerce, before any field runs.
func (MutationArguments) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil || opCtx.Operation.Operation != ast.Mutation {
		return nil
	}
	parsers := mutationArgParsers(newExecutionContext(opCtx, &executableSchema{}, nil))
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Mutation"}) {
		parse, ok := parsers[f.Name]
		if !ok {
			continue
		}
		if _, err := parse(ctx, f.ArgumentMap(opCtx.Variables)); err != nil {
			gerr := gqlerror.WrapPath(ast.Path{ast.PathName(f.Alias)}, err)
			gerr.Message = "nothing was written: " + gerr.Message
			gerr.Extensions = map[string]any{"code": CodeBadUserInput}
			return gerr
		}
	}
	return nil
}

// mutationArgParsers are gqlgen's own argument coercions, one per mutation
// field; TestMutationArgParsersCoverSchema keeps the table whole.
func mutationArgParsers(ec *executionContext) map[string]func(context.Context, map[string]any) (map[string]any, error) {
	return map[string]func(context.Context, map[string]any) (map[string]any, error){
		"createContacts":     ec.field_Mutation_createContacts_args,
		"updateContacts":     ec.field_Mutation_updateContacts_args,
		"updateContact":      ec.field_Mutation_updateContact_args,
		"linkChats":          ec.field_Mutation_linkChats_args,
		"createLeads":        ec.field_Mutation_createLeads_args,
		"updateLeads":        ec.field_Mutation_updateLeads_args,
		"createLeadsComplex": ec.field_Mutation_createLeadsComplex_args,
		"createCompanies":    ec.field_Mutation_createCompanies_args,
		"updateCompanies":    ec.field_Mutation_updateCompanies_args,
		"addNotes":           ec.field_Mutation_addNotes_args,
		"createTasks":        ec.field_Mutation_createTasks_args,
		"updateTasks":        ec.field_Mutation_updateTasks_args,
	}
}
