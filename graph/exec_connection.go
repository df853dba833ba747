package graph

import (
	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// contacts answers the contacts connection with the same reads, in the same
// order, as queryResolver.contacts, and its fields as the connection's
// resolvers do (edges, nodes, pageInfo with hasNextPage on demand).
func (r *run) contacts(b []byte, f *Node) ([]byte, error) {
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := ec.field_Query_contacts_args(r.ctx, f.ArgumentMap(r.opCtx.Variables))
	if err != nil {
		return nil, err
	}
	first, _ := args["first"].(*int)
	after, _ := args["after"].(*string)
	last, _ := args["last"].(*int)
	before, _ := args["before"].(*string)
	query, _ := args["query"].(*string)
	filter, _ := args["filter"].(*model.ContactFilter)
	orderBy, _ := args["orderBy"].(*model.ContactOrder)

	opts, err := listOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(query, filter, orderBy)
	offset, n, err := pageArgs{first: first, after: after, last: last, before: before}.bounds(fp)
	if err != nil {
		return nil, err
	}
	opts.With = connectionWith(f.Kids)
	ctx := r.l.Decoding(r.ctx, loader.EntityContact)

	var (
		rows    []*amocrm.Contact
		hasNext func() (bool, error)
	)
	read := &listRead{}
	r.lists.put(f.Key, read)
	if n == 0 {
		rows = []*amocrm.Contact{}
		hasNext = read.recordProbe(probe(ctx, r.client, *opts, offset))
	} else {
		rows, read.more, read.known, read.err = window(ctx, r.client, *opts, offset, n)
		read.rows = rows
		if read.err != nil {
			return nil, read.err
		}
		if more := read.more; read.known {
			hasNext = func() (bool, error) { return more, nil }
		} else {
			hasNext = read.recordProbe(probe(ctx, r.client, *opts, offset+n))
		}
		if covers(opts.With, r.l.With(loader.EntityContact)) {
			r.l.PrimeContacts(rows)
		}
		r.l.FollowContacts(rows, 0)
		r.listed("contacts", f.Kids, idsOf(rows, func(c *amocrm.Contact) int { return c.ID }))
	}

	p := &listPageOf[*amocrm.Contact]{rows: rows, offset: offset, fp: fp, hasNext: hasNext}
	return appendConnection(b, f.Kids, "ContactConnection", "ContactEdge", p, r.contact)
}

// connectionWith is contactWith on the plan: the with= values the
// connection's contacts need for what nodes and edges.node select.
func connectionWith(kids []*Node) []string {
	var leads, customers, elements bool
	mark := func(contact []*Node) {
		for _, k := range contact {
			switch k.Name {
			case "leads":
				leads = true
			case "customers":
				customers = true
			case "catalogElements":
				elements = true
			}
		}
	}
	for _, k := range kids {
		switch k.Name {
		case "nodes":
			mark(k.Kids)
		case "edges":
			for _, e := range k.Kids {
				if e.Name == "node" {
					mark(e.Kids)
				}
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

// pageInfo answers a connection's pageInfo (of n items from offset) and
// pageInfoResolver.HasNextPage; a failed probe is an error here, and gqlgen
// then answers with its error beside hasNextPage.
func pageInfo(b []byte, kids []*Node, n, offset int, fp string, hasNext func() (bool, error)) ([]byte, error) {
	b = append(b, '{')
	for i, k := range kids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k.Key)
		switch k.Name {
		case "__typename":
			b = appendString(b, "PageInfo")
		case "hasNextPage":
			more, err := hasNext()
			if err != nil {
				return nil, err
			}
			b = appendBool(b, more)
		case "hasPreviousPage":
			b = appendBool(b, offset > 0)
		case "startCursor":
			if n == 0 {
				b = append(b, "null"...)
			} else {
				b = appendString(b, encodeCursor(offset, fp))
			}
		case "endCursor":
			if n == 0 {
				b = append(b, "null"...)
			} else {
				b = appendString(b, encodeCursor(offset+n-1, fp))
			}
		default:
			return nil, errShape
		}
	}
	return append(b, '}'), nil
}
