// Package graph is the GraphQL edge of the gateway: the gqlgen executor
// generated from schema/, and thin resolvers that read like the schema and
// reach amoCRM through the request's loaders or the client.
package graph

import (
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/changes"
)

//go:generate go run github.com/99designs/gqlgen generate

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Client *amocrm.Client
	Log    zerolog.Logger
	// Changes feeds the subscriptions; nil: subscribing fails with an error.
	Changes *changes.Hub
}

// ExampleQuery is the query the playground opens with: it shows a contact
// list with the relations the gateway resolves in batches.
const ExampleQuery = `# amogql: amoCRM contacts with their relations, in one round trip.
query Contacts {
  contacts(first: 5, orderBy: {field: UPDATED_AT, direction: DESC}) {
    nodes {
      id
      name
      phones
      emails
      tags { name }
      companies { name }
      leads { name price }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`
