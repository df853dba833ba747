package graph_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
	"github.com/amogql/amogql/internal/sandbox"
)

// memberQueries select every field of the entity types, alone and
// together, so that a field whose members the plan gets wrong reads a zero
// somewhere.
var memberQueries = []string{
	`{ contact(id: 10000001) { id name firstName lastName responsibleUserId groupId createdBy updatedBy createdAt updatedAt isDeleted closestTaskAt accountId requestId } }`,
	`{ contact(id: 10000001) { phones } }`,
	`{ contact(id: 10000001) { emails emailAddresses { value label enumId } } }`,
	`{ contact(id: 10000001) { phoneNumbers { value } customFieldsValues { fieldId fieldCode values { value enumId } } } }`,
	`{ contact(id: 10000001) { tags { id name color } } }`,
	`{ contact(id: 10000001) { responsibleUser { id name } } }`,
	`{ contact(id: 10000001) { companies { id name } leads { id } customers { id name } chats { chatId } } }`,
	`{ contact(id: 10000001) { catalogElements { catalogId quantity element { id name } } } }`,
	`{ contact(id: 3) { leads { name price status { id name } pipeline { id name } responsibleUser { id } } } }`,
	`{ contact(id: 3) { leads { statusId pipelineId lossReasonId sourceId closedAt score accountId tags { name } } } }`,
	`{ contact(id: 3) { leads { contacts { id name } companies { id } catalogElements { catalogId } } } }`,
	`{ contact(id: 3) { leads { customFieldsValues { fieldId values { value } } } } }`,
	`{ contact(id: 10000001) { customers { nextPrice nextDate statusId periodicity ltv purchasesCount averageCheck accountId tags { name } responsibleUser { id } contacts { id } companies { id } } } }`,
	`{ contact(id: 10000001) { companies { responsibleUserId groupId createdAt closestTaskAt isDeleted customFieldsValues { fieldCode } tags { name } contacts { name } leads { name } customers { id } responsibleUser { name } } } }`,
	`{ lead(id: 20000206) { id name price status { name } } }`,
	`{ contacts(first: 50) { nodes { leads { tags { name color } } companies { tags { id } } } } }`,
	`{ contacts(first: 50) { nodes { leads { price status { id name } pipeline { name } responsibleUser { name } } } } }`,
	`{ lead(id: 20000206) { companies { name } contacts { firstName } } }`,
	`{ company(id: 1) { name contacts { name leads { name price } } } }`,
	`{ contacts(first: 50) { nodes { id name leads { id name price } companies { id name } } } }`,
	`{ contacts(first: 50) { edges { cursor node { name tags { name } } } pageInfo { hasNextPage endCursor } } }`,
	`{ contacts(first: 20) { nodes { companies { name contacts { name leads { name contacts { name } } } } } } }`,
	`{ a: contact(id: 3) { leads { id } } b: contact(id: 3) { name tags { name } customers { id } } }`,
	`{ contact(id: 3) { ... on Contact { name } ...F } } fragment F on Contact { leads { ... on Lead { price } } }`,
	`{ contact(id: 3) { name notes(first: 5) { nodes { id text } } tasks { id text } leads { name notes { nodes { id } } tasks { id } } companies { name notes { nodes { id } } tasks { id } } customers { notes { nodes { id } } } } }`,
}

// decodeAll undoes, after Lookahead, what the plan kept of each entity:
// the loaders decode every member, as before plans named them.
type decodeAll struct{}

func (decodeAll) ExtensionName() string                   { return "DecodeAll" }
func (decodeAll) Validate(graphql.ExecutableSchema) error { return nil }
func (decodeAll) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if l, err := loader.For(ctx); err == nil {
		for _, e := range []loader.Entity{loader.EntityContact, loader.EntityLead, loader.EntityCompany, loader.EntityCustomer} {
			l.Keep(e, nil)
		}
	}
	return next(ctx)
}

// TestPlanMembersAnswerAsFullDecoding: answers decoded with only the
// members the plan names are the bytes the resolvers write from objects
// decoded in full, on both paths. A field
// missing from the plan's member table reads a zero here: narrowing
// Lead.status to status_id, or Lead.tags to nothing, fails.
func TestPlanMembersAnswerAsFullDecoding(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	up := httptest.NewServer(p.sb)
	t.Cleanup(up.Close)
	client, err := amocrm.NewClient(amocrm.WithBaseURL(up.URL), amocrm.WithToken(sandbox.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Client: client, Log: zerolog.Nop()}}))
	gql.AddTransport(transport.POST{})
	gql.Use(graph.Lookahead{})
	gql.Use(decodeAll{})
	full := loader.Middleware(client)(gql)
	for _, q := range memberQueries {
		t.Run(q, func(t *testing.T) {
			want := postQuery(t, full, q, nil)
			if bytes.Contains(want, []byte(`"errors"`)) {
				t.Fatalf("errors: %s", want)
			}
			for name, h := range map[string]http.Handler{"plan": p.plan, "resolvers": p.resolvers} {
				if got := postQuery(t, h, q, nil); !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
					t.Errorf("%s path\n%s\nfull decoding\n%s", name, got, want)
				}
			}
		})
	}
}
