package model

import "github.com/amogql/amogql/internal/amocrm"

// ContactConnection is one page of contacts. Edges, nodes and pageInfo are
// resolved from it lazily, so a query that selects only nodes builds no edges.
type ContactConnection struct {
	Contacts []*amocrm.Contact
	// Offset is the position of Contacts[0] in the whole ordered list.
	Offset int
	// Cursor encodes a position for this query; set by the resolver.
	Cursor func(offset int) string
	// HasNext reports whether an item follows the page. It may cost an
	// upstream call, so it runs only when hasNextPage is selected.
	HasNext func() (bool, error)
}

// ContactEdge is a contact with its cursor.
type ContactEdge struct {
	Cursor string
	Node   *amocrm.Contact
}

// PageInfo is Relay page metadata; HasNextPage is resolved on demand, from
// Conn's HasNext for contacts, or from HasNext for other lists.
type PageInfo struct {
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
	Conn            *ContactConnection
	HasNext         func() (bool, error)
}
