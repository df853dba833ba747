package graph

import (
	"slices"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// The lists the plan executor answers besides contacts: leads and
// companies, each read as its resolver reads it.

// leadsList answers the leads connection with the same reads as
// queryResolver.leads.
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
	pages := func(with []string) (read, bare pageReader[*amocrm.Lead]) {
		withless := *opts
		opts.With = with
		return leadPages(r.client, *opts), leadPages(r.client, withless)
	}
	return entityList(r, b, f, pageArgsOf(args), fingerprint("leads", query, filter, orderBy),
		"Lead", loader.EntityLead, pages, func(rows []*amocrm.Lead) {
			r.l.FollowLeads(rows, 0)
			r.listed("leads", f.Kids, idsOf(rows, func(x *amocrm.Lead) int { return x.ID }))
		}, r.lead)
}

// companiesList answers the companies connection with the same reads as
// queryResolver.companies.
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
	pages := func(with []string) (read, bare pageReader[*amocrm.Company]) {
		withless := *opts
		opts.With = with
		return companyPages(r.client, *opts), companyPages(r.client, withless)
	}
	return entityList(r, b, f, pageArgsOf(args), fingerprint("companies", query, filter, orderBy),
		"Company", loader.EntityCompany, pages, func(rows []*amocrm.Company) {
			r.l.FollowCompanies(rows, 0)
			r.listed("companies", f.Kids, idsOf(rows, func(x *amocrm.Company) int { return x.ID }))
		}, r.company)
}

// entityList reads the page of a list of typeName the arguments ask for,
// as the list's resolver does (readList, the with= its items' relations
// need, the next level started at once), hands the page to that resolver
// in case gqlgen takes the operation over, and writes the connection.
// follow starts the next level's reads and records the page's ids.
// pages makes the page readers: with the with= values, and without (for a
// hasNextPage probe).
func entityList[T any](r *run, b []byte, f *Node, pa pageArgs, fp, typeName string, entity loader.Entity,
	pages func(with []string) (read, bare pageReader[T]), follow func([]T),
	object func([]byte, []*Node, T) ([]byte, error)) ([]byte, error) {
	if _, _, err := pa.bounds(fp); err != nil {
		return nil, err
	}
	read, bare := pages(nodesWith(f.Kids, typeName))
	p, err := readList(r.l.Decoding(r.ctx, entity), pa, fp, read, bare)
	r.lists.putPage(f.Key, &handedPage[T]{p, err})
	if err != nil {
		return nil, err
	}
	follow(p.rows)
	return appendConnection(b, f.Kids, typeName+"Connection", typeName+"Edge", p, object)
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
	add := func(item []*Node) {
		for _, k := range item {
			if w := objects[typeName].links[k.Name].with; w != "" && !slices.Contains(with, w) {
				with = append(with, w)
			}
		}
	}
	for _, k := range kids {
		switch k.Name {
		case "nodes":
			add(k.Kids)
		case "edges":
			for _, e := range k.Kids {
				if e.Name == "node" {
					add(e.Kids)
				}
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
