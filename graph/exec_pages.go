package graph

import (
	"slices"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// The entity lists the plan executor answers (contacts, leads, companies,
// customers), each read as its resolver reads it: readList's page, with=
// naming the relations its items select, the next level started at once.
// The page is handed to the resolver in case gqlgen takes the operation
// over, so it is never read twice.

// entityKind is what differs between the entity lists.
type entityKind[T any] struct {
	typeName   string // the GraphQL type, "Lead"
	entityType string // amoCRM's entity type, "leads"
	entity     loader.Entity
	id         func(T) int
	follow     func(l *loader.Loaders, rows []T, level int)
	object     func(r *run) func([]byte, []*Node, T) ([]byte, error)
}

var (
	contactKind = entityKind[*amocrm.Contact]{"Contact", "contacts", loader.EntityContact,
		func(x *amocrm.Contact) int { return x.ID }, (*loader.Loaders).FollowContacts, func(r *run) func([]byte, []*Node, *amocrm.Contact) ([]byte, error) { return r.contact }}
	leadKind = entityKind[*amocrm.Lead]{"Lead", "leads", loader.EntityLead,
		func(x *amocrm.Lead) int { return x.ID }, (*loader.Loaders).FollowLeads, func(r *run) func([]byte, []*Node, *amocrm.Lead) ([]byte, error) { return r.lead }}
	companyKind = entityKind[*amocrm.Company]{"Company", "companies", loader.EntityCompany,
		func(x *amocrm.Company) int { return x.ID }, (*loader.Loaders).FollowCompanies, func(r *run) func([]byte, []*Node, *amocrm.Company) ([]byte, error) { return r.company }}
	customerKind = entityKind[*amocrm.Customer]{"Customer", "customers", loader.EntityCustomer,
		func(x *amocrm.Customer) int { return x.ID }, (*loader.Loaders).FollowCustomers, func(r *run) func([]byte, []*Node, *amocrm.Customer) ([]byte, error) { return r.customer }}
)

// contacts answers the contacts connection (queryResolver.contacts).
func (r *run) contacts(b []byte, f *Node) ([]byte, error) {
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := ec.field_Query_contacts_args(r.ctx, f.ArgumentMap(r.opCtx.Variables))
	if err != nil {
		return nil, err
	}
	query, _ := args["query"].(*string)
	filter, _ := args["filter"].(*model.ContactFilter)
	orderBy, _ := args["orderBy"].(*model.ContactOrder)
	opts, err := listOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	opts.With = connectionWith(f.Kids)
	bare := *opts
	bare.With = nil
	kind := contactKind
	kind.follow = func(l *loader.Loaders, rows []*amocrm.Contact, level int) { followContacts(l, opts.With, rows, level) }
	return entityList(r, b, f, kind, pageArgsOf(args), fingerprint(query, filter, orderBy),
		contactPages(r.client, *opts), contactPages(r.client, bare))
}

// leadsList answers the leads connection (queryResolver.leads).
func (r *run) leadsList(b []byte, f *Node) ([]byte, error) {
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := ec.field_Query_leads_args(r.ctx, f.ArgumentMap(r.opCtx.Variables))
	if err != nil {
		return nil, err
	}
	query, _ := args["query"].(*string)
	filter, _ := args["filter"].(*model.LeadFilter)
	orderBy, _ := args["orderBy"].(*model.LeadOrder)
	opts, err := leadListOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	opts.With = nodesWith(f.Kids, leadKind.typeName)
	bare := *opts
	bare.With = nil
	return entityList(r, b, f, leadKind, pageArgsOf(args), fingerprint("leads", query, filter, orderBy),
		leadPages(r.client, *opts), leadPages(r.client, bare))
}

// companiesList answers the companies connection (queryResolver.companies).
func (r *run) companiesList(b []byte, f *Node) ([]byte, error) {
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := ec.field_Query_companies_args(r.ctx, f.ArgumentMap(r.opCtx.Variables))
	if err != nil {
		return nil, err
	}
	query, _ := args["query"].(*string)
	filter, _ := args["filter"].(*model.CompanyFilter)
	orderBy, _ := args["orderBy"].(*model.CompanyOrder)
	opts, err := companyListOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	opts.With = nodesWith(f.Kids, companyKind.typeName)
	bare := *opts
	bare.With = nil
	return entityList(r, b, f, companyKind, pageArgsOf(args), fingerprint("companies", query, filter, orderBy),
		companyPages(r.client, *opts), companyPages(r.client, bare))
}

// customersList answers the customers connection (queryResolver.customers).
func (r *run) customersList(b []byte, f *Node) ([]byte, error) {
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := ec.field_Query_customers_args(r.ctx, f.ArgumentMap(r.opCtx.Variables))
	if err != nil {
		return nil, err
	}
	query, _ := args["query"].(*string)
	filter, _ := args["filter"].(*model.CustomerFilter)
	orderBy, _ := args["orderBy"].(*model.CustomerOrder)
	opts, err := customerListOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	opts.With = nodesWith(f.Kids, customerKind.typeName)
	bare := *opts
	bare.With = nil
	return entityList(r, b, f, customerKind, pageArgsOf(args), fingerprint("customers", query, filter, orderBy),
		customerPages(r.client, *opts), customerPages(r.client, bare))
}

// entityList reads the page the arguments ask for through read (bare, the
// same without with=, answers a hasNextPage probe), hands it over, starts
// the next level and the notes and tasks the items select, and writes the
// connection.
func entityList[T any](r *run, b []byte, f *Node, kind entityKind[T], pa pageArgs, fp string, read, bare pageReader[T]) ([]byte, error) {
	if _, _, err := pa.bounds(fp); err != nil {
		return nil, err
	}
	p, err := readList(r.l.Decoding(r.ctx, kind.entity), pa, fp, read, bare)
	r.lists.putPage(f.Key, &handedPage[T]{p, err})
	if err != nil {
		return nil, err
	}
	kind.follow(r.l, p.rows, 0)
	r.listed(kind.entityType, f.Kids, idsOf(p.rows, kind.id))
	return appendConnection(b, f.Kids, kind.typeName+"Connection", kind.typeName+"Edge", p, kind.object(r))
}

// pageArgsOf reads the Relay arguments of a list field's coerced arguments.
func pageArgsOf(args map[string]any) pageArgs {
	var pa pageArgs
	pa.first, _ = args["first"].(*int)
	pa.after, _ = args["after"].(*string)
	pa.last, _ = args["last"].(*int)
	pa.before, _ = args["before"].(*string)
	return pa
}

// nodesWith is listWith on the plan: the with= values a list call of
// typeName needs for what a connection's nodes and edges.node select,
// sorted as listWith sorts them.
func nodesWith(kids []*Node, typeName string) []string {
	var with []string
	for _, item := range itemKids(kids) {
		for _, k := range item {
			if w := objects[typeName].links[k.Name].with; w != "" && !slices.Contains(with, w) {
				with = append(with, w)
			}
		}
	}
	slices.Sort(with)
	return with
}

// appendConnection writes a list connection's page: its nodes, its edges with
// their cursors, and its pageInfo, each item by node.
func appendConnection[T any](b []byte, kids []*Node, connType, edgeType string, p *listPageOf[T],
	node func([]byte, []*Node, T) ([]byte, error)) ([]byte, error) {
	return tryFields(b, kids, func(b []byte, k *Node) ([]byte, bool, error) {
		switch k.Name {
		case "__typename":
			return appendString(b, connType), true, nil
		case "nodes":
			out, err := tryEach(b, k.Kids, p.rows, node)
			return out, true, err
		case "edges":
			out, err := edgesList(b, k.Kids, edgeType, p, node)
			return out, true, err
		case "pageInfo":
			out, err := pageInfo(b, k.Kids, len(p.rows), p.offset, p.fp, p.hasNext)
			return out, true, err
		}
		return b, false, nil
	})
}

func edgesList[T any](b []byte, kids []*Node, edgeType string, p *listPageOf[T],
	node func([]byte, []*Node, T) ([]byte, error)) ([]byte, error) {
	b = append(b, '[')
	for i, row := range p.rows {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		b, err = tryFields(b, kids, func(b []byte, k *Node) ([]byte, bool, error) {
			switch k.Name {
			case "__typename":
				return appendString(b, edgeType), true, nil
			case "cursor":
				return appendString(b, encodeCursor(p.offset+i, p.fp)), true, nil
			case "node":
				out, err := node(b, k.Kids, row)
				return out, true, err
			}
			return b, false, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// connectionWith is contactWith on the plan: the with= values the
// connection's contacts need for what nodes and edges.node select.
func connectionWith(kids []*Node) []string {
	selected := map[string]bool{}
	for _, item := range itemKids(kids) {
		for _, k := range item {
			selected[k.Name] = true
		}
	}
	return contactWithOf(selected)
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
