package graph

import (
	"context"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// leads answers the leads connection like contacts: one upstream page
// whenever the window fits one, with= naming only the relations selected on
// the page's leads.
func (r *queryResolver) leads(ctx context.Context, args pageArgs, query *string, filter *model.LeadFilter, orderBy *model.LeadOrder) (*model.LeadConnection, error) {
	opts, err := leadListOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	fp := fingerprint("leads", query, filter, orderBy)
	if _, _, err := args.bounds(fp); err != nil {
		return nil, err // before asking anything of the request
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	opts.With = listWith(ctx, "LeadConnection", "LeadEdge", "Lead")
	ctx = l.Decoding(ctx, loader.EntityLead)
	bare := *opts
	bare.With = nil
	p, err := readHanded(ctx, args, fp, leadPages(r.Client, *opts), leadPages(r.Client, bare))
	if err != nil {
		return nil, err
	}
	l.FollowLeads(p.rows, 0)
	conn := &model.LeadConnection{Nodes: p.rows, PageInfo: p.pageInfo()}
	conn.Edges = edgesOf(p, func(c string, n *amocrm.Lead) *model.LeadEdge { return &model.LeadEdge{Cursor: c, Node: n} })
	return conn, nil
}

func leadPages(c *amocrm.Client, opts amocrm.LeadListOptions) pageReader[*amocrm.Lead] {
	return func(ctx context.Context, page, limit int) ([]*amocrm.Lead, error) {
		opts.Page, opts.Limit = page, limit
		rows, _, err := c.Leads.List(ctx, &opts)
		return rows, err
	}
}

// leadListOptions maps the GraphQL arguments onto amoCRM's filter[...] and
// order[...] of GET /api/v4/leads.
func leadListOptions(query *string, f *model.LeadFilter, o *model.LeadOrder) (*amocrm.LeadListOptions, error) {
	if err := checkLen("query", query, maxSearchLen); err != nil {
		return nil, err
	}
	opts := &amocrm.LeadListOptions{Query: deref(query)}
	if f != nil {
		common, err := entityFilter{
			ids: f.Ids, names: f.Names, createdAt: f.CreatedAt, updatedAt: f.UpdatedAt,
			closestTaskAt: f.ClosestTaskAt, customFields: f.CustomFields,
		}.check()
		if err != nil {
			return nil, err
		}
		lf := &amocrm.LeadFilter{
			ID: f.Ids, Name: f.Names, PipelineID: f.PipelineIds, ResponsibleUserID: f.ResponsibleUserIds,
			CreatedBy: f.CreatedBy, UpdatedBy: f.UpdatedBy,
			CreatedAt: common.createdAt, UpdatedAt: common.updatedAt, ClosestTaskAt: common.closestTaskAt,
			CustomFieldsValues: common.customFields,
		}
		if lf.ClosedAt, err = timeRange("closedAt", f.ClosedAt); err != nil {
			return nil, err
		}
		if p := f.Price; p != nil && (p.From != nil || p.To != nil) {
			if p.From != nil && p.To != nil && *p.From > *p.To {
				return nil, badInput("filter.price: from is above to")
			}
			lf.Price = &amocrm.Range{From: int64(deref(p.From)), To: int64(deref(p.To))}
		}
		if len(f.PipelineIds) > maxFirst {
			return nil, badInput("filter.pipelineIds takes at most %d ids", maxFirst)
		}
		if len(f.Statuses) > maxFirst {
			return nil, badInput("filter.statuses takes at most %d stages", maxFirst)
		}
		for _, s := range f.Statuses {
			lf.Statuses = append(lf.Statuses, amocrm.LeadStatus{PipelineID: s.PipelineID, StatusID: deref(s.StatusID)})
		}
		opts.Filter = lf
	}
	if o != nil {
		switch o.Field {
		case model.LeadOrderFieldUpdatedAt:
			opts.Order = &amocrm.Order{UpdatedAt: direction(o.Direction)}
		case model.LeadOrderFieldCreatedAt:
			opts.Order = &amocrm.Order{CreatedAt: direction(o.Direction)}
		case model.LeadOrderFieldID:
			opts.Order = &amocrm.Order{ID: direction(o.Direction)}
		}
	}
	return opts, nil
}
