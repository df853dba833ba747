package graph

import (
	"context"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// companies answers the companies connection like contacts: one upstream
// page whenever the window fits one, with= naming only the relations
// selected on the page's companies.
func (r *queryResolver) companies(ctx context.Context, args pageArgs, query *string, filter *model.CompanyFilter, orderBy *model.CompanyOrder) (*model.CompanyConnection, error) {
	opts, err := companyListOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	fp := fingerprint("companies", query, filter, orderBy)
	if _, _, err := args.bounds(fp); err != nil {
		return nil, err
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	opts.With = listWith(ctx, "CompanyConnection", "CompanyEdge", "Company")
	ctx = l.Decoding(ctx, loader.EntityCompany)
	bare := *opts
	bare.With = nil
	p, err := readHanded(ctx, args, fp, companyPages(r.Client, *opts), companyPages(r.Client, bare))
	if err != nil {
		return nil, err
	}
	l.FollowCompanies(p.rows, 0)
	conn := &model.CompanyConnection{Nodes: p.rows, PageInfo: p.pageInfo()}
	conn.Edges = edgesOf(p, func(c string, n *amocrm.Company) *model.CompanyEdge { return &model.CompanyEdge{Cursor: c, Node: n} })
	return conn, nil
}

func companyPages(c *amocrm.Client, opts amocrm.CompanyListOptions) pageReader[*amocrm.Company] {
	return func(ctx context.Context, page, limit int) ([]*amocrm.Company, error) {
		opts.Page, opts.Limit = page, limit
		rows, _, err := c.Companies.List(ctx, &opts)
		return rows, err
	}
}

// companyListOptions maps the GraphQL arguments onto amoCRM's filter[...]
// and order[...] of GET /api/v4/companies.
func companyListOptions(query *string, f *model.CompanyFilter, o *model.CompanyOrder) (*amocrm.CompanyListOptions, error) {
	if err := checkLen("query", query, maxSearchLen); err != nil {
		return nil, err
	}
	opts := &amocrm.CompanyListOptions{Query: deref(query)}
	if f != nil {
		common, err := entityFilter{
			ids: f.Ids, names: f.Names, createdAt: f.CreatedAt, updatedAt: f.UpdatedAt,
			closestTaskAt: f.ClosestTaskAt, customFields: f.CustomFields,
		}.check()
		if err != nil {
			return nil, err
		}
		opts.Filter = &amocrm.CompanyFilter{
			ID: f.Ids, Name: f.Names, ResponsibleUserID: f.ResponsibleUserIds,
			CreatedBy: f.CreatedBy, UpdatedBy: f.UpdatedBy,
			CreatedAt: common.createdAt, UpdatedAt: common.updatedAt, ClosestTaskAt: common.closestTaskAt,
			CustomFieldsValues: common.customFields,
		}
	}
	if o != nil {
		switch o.Field {
		case model.CompanyOrderFieldUpdatedAt:
			opts.Order = &amocrm.Order{UpdatedAt: direction(o.Direction)}
		case model.CompanyOrderFieldID:
			opts.Order = &amocrm.Order{ID: direction(o.Direction)}
		}
	}
	return opts, nil
}
