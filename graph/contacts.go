package graph

import (
	"context"
	"slices"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// covers reports whether contacts fetched with have every relation that
// contacts loaded by id carry, so they can stand in for them.
func covers(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

const (
	defaultFirst = 50
	maxFirst     = 250 // amoCRM's page limit
)

// contact answers contact(id) through the loaders, so aliases of it and
// relations that reach the same contact share one read: GET /contacts/{id}
// carrying with= for every relation the operation selects on contacts.
func (r *queryResolver) contact(ctx context.Context, id int) (*amocrm.Contact, error) {
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.GetContact(ctx, id)
}

// contacts answers the contacts connection with one upstream page whenever
// the requested window fits one (it almost always does).
func (r *queryResolver) contacts(ctx context.Context, args pageArgs, query *string, filter *model.ContactFilter, orderBy *model.ContactOrder) (*model.ContactConnection, error) {
	opts, err := listOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(query, filter, orderBy)
	if _, _, err := args.bounds(fp); err != nil {
		return nil, err // before asking anything of the request
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	opCtx, sets := connectionContactSets(ctx)
	opts.With = contactWith(opCtx, sets...)
	ctx = l.Decoding(ctx, loader.EntityContact)

	bare := *opts
	bare.With = nil
	p, err := readHanded(ctx, args, fp, contactPages(r.Client, *opts), contactPages(r.Client, bare))
	if err != nil {
		return nil, err
	}
	followContacts(l, opts.With, p.rows, 0)
	return &model.ContactConnection{Offset: p.offset, Cursor: func(o int) string { return encodeCursor(o, fp) },
		Contacts: p.rows, HasNext: p.hasNext}, nil
}

// followContacts starts the reads of the level below a page of contacts,
// after priming the loaders' cache with the page when its with= covers
// what the operation's other reads of contacts need.
func followContacts(l *loader.Loaders, with []string, rows []*amocrm.Contact, level int) {
	if len(rows) == 0 {
		return
	}
	if covers(with, l.With(loader.EntityContact)) {
		l.PrimeContacts(rows)
	}
	l.FollowContacts(rows, level)
}

func contactPages(c *amocrm.Client, opts amocrm.ContactListOptions) pageReader[*amocrm.Contact] {
	return func(ctx context.Context, page, limit int) ([]*amocrm.Contact, error) {
		return listPage(ctx, c, opts, page, limit)
	}
}

func listPage(ctx context.Context, c *amocrm.Client, opts amocrm.ContactListOptions, page, limit int) ([]*amocrm.Contact, error) {
	opts.Page, opts.Limit = page, limit
	rows, _, err := c.Contacts.List(ctx, &opts)
	return rows, err
}

// listOptions maps the GraphQL arguments onto amoCRM's filter[...] and order[...].
func listOptions(query *string, f *model.ContactFilter, o *model.ContactOrder) (*amocrm.ContactListOptions, error) {
	if err := checkLen("query", query, maxSearchLen); err != nil {
		return nil, err
	}
	opts := &amocrm.ContactListOptions{Query: deref(query)}
	if f != nil {
		common, err := entityFilter{
			ids: f.Ids, names: f.Names, createdAt: f.CreatedAt, updatedAt: f.UpdatedAt,
			closestTaskAt: f.ClosestTaskAt, customFields: f.CustomFields,
		}.check()
		if err != nil {
			return nil, err
		}
		opts.Filter = &amocrm.ContactFilter{
			ID: f.Ids, Name: f.Names, ResponsibleUserID: f.ResponsibleUserIds,
			CreatedBy: f.CreatedBy, UpdatedBy: f.UpdatedBy,
			CreatedAt: common.createdAt, UpdatedAt: common.updatedAt, ClosestTaskAt: common.closestTaskAt,
			CustomFieldsValues: common.customFields,
		}
	}
	if o != nil {
		switch o.Field {
		case model.ContactOrderFieldUpdatedAt:
			opts.Order = &amocrm.Order{UpdatedAt: direction(o.Direction)}
		case model.ContactOrderFieldID:
			opts.Order = &amocrm.Order{ID: direction(o.Direction)}
		}
	}
	return opts, nil
}
