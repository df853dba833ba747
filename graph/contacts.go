package graph

import (
	"context"
	"fmt"
	"slices"
	"sync"

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
	offset, n, err := args.bounds(fp)
	if err != nil {
		return nil, err
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	opCtx, sets := connectionContactSets(ctx)
	opts.With = contactWith(opCtx, sets...)
	ctx = l.Decoding(ctx, loader.EntityContact)

	conn := &model.ContactConnection{Offset: offset, Cursor: func(o int) string { return encodeCursor(o, fp) }}
	if n == 0 {
		conn.Contacts = []*amocrm.Contact{}
		conn.HasNext = readProbe(ctx, r.Client, *opts, offset)
		return conn, nil
	}
	contacts, more, known, err := readWindow(ctx, r.Client, *opts, offset, n)
	if err != nil {
		return nil, err
	}
	conn.Contacts = contacts
	switch {
	case known:
		conn.HasNext = func() (bool, error) { return more, nil }
	default:
		conn.HasNext = readProbe(ctx, r.Client, *opts, offset+n)
	}
	if covers(opts.With, l.With(loader.EntityContact)) {
		l.PrimeContacts(contacts)
	}
	l.FollowContacts(contacts, 0)
	return conn, nil
}

// window reads the items [offset, offset+n) in the list's order. It asks for
// one item more where a single page can hold it, which settles hasNextPage
// without a further call; known reports whether it did.
func window(ctx context.Context, c *amocrm.Client, opts amocrm.ContactListOptions, offset, n int) (items []*amocrm.Contact, more, known bool, err error) {
	if page, limit, skip, ok := pageWindow(offset, n+1, maxFirst); ok {
		rows, err := listPage(ctx, c, opts, page, limit)
		if err != nil {
			return nil, false, false, err
		}
		rows = from(rows, skip)
		if len(rows) > n {
			return rows[:n], true, true, nil
		}
		return rows, false, true, nil
	}
	if page, limit, skip, ok := pageWindow(offset, n, maxFirst); ok {
		rows, err := listPage(ctx, c, opts, page, limit)
		if err != nil {
			return nil, false, false, err
		}
		rows = from(rows, skip)
		// A short page ends the list; a full one may or may not be the last.
		return rows, false, len(rows) < n, nil
	}
	// The window straddles two pages of size n: read both at once.
	page := offset/n + 1
	var (
		wg         sync.WaitGroup
		a, b       []*amocrm.Contact
		errA, errB error
	)
	wg.Go(func() { a, errA = listPage(ctx, c, opts, page, n) })
	wg.Go(func() { b, errB = listPage(ctx, c, opts, page+1, n) })
	wg.Wait()
	if errA != nil {
		return nil, false, false, errA
	}
	if errB != nil {
		return nil, false, false, errB
	}
	rows := append(from(a, offset%n), b...)
	if len(a) < n { // the first page was the last one
		return from(a, offset%n), false, true, nil
	}
	if len(rows) > n { // an item follows the window
		return rows[:n], true, true, nil
	}
	return rows, false, len(b) < n, nil
}

func from[T any](rows []T, skip int) []T {
	if skip >= len(rows) {
		return rows[:0]
	}
	return rows[skip:]
}

func listPage(ctx context.Context, c *amocrm.Client, opts amocrm.ContactListOptions, page, limit int) ([]*amocrm.Contact, error) {
	opts.Page, opts.Limit = page, limit
	rows, _, err := c.Contacts.List(ctx, &opts)
	return rows, err
}

// probe answers hasNextPage by asking for the single item at offset, only
// when a client selects hasNextPage and the page itself could not tell. It
// asks once however often the field is selected (aliases): the answer is
// kept, and two resolvers never run the call at the same time.
func probe(ctx context.Context, c *amocrm.Client, opts amocrm.ContactListOptions, offset int) func() (bool, error) {
	opts.With = nil
	return sync.OnceValues(func() (bool, error) {
		rows, err := listPage(ctx, c, opts, offset+1, 1)
		return len(rows) > 0, err
	})
}

// listOptions maps the GraphQL arguments onto amoCRM's filter[...] and order[...].
func listOptions(query *string, f *model.ContactFilter, o *model.ContactOrder) (*amocrm.ContactListOptions, error) {
	if err := checkLen("query", query, maxSearchLen); err != nil {
		return nil, err
	}
	opts := &amocrm.ContactListOptions{Query: deref(query)}
	if f != nil {
		if len(f.Names) > maxFirst {
			return nil, badInput("filter.names takes at most %d names", maxFirst)
		}
		for i := range f.Names {
			if err := checkLen(fmt.Sprintf("filter.names[%d]", i), &f.Names[i], maxNameLen); err != nil {
				return nil, err
			}
		}
		cf := &amocrm.ContactFilter{
			ID: f.Ids, Name: f.Names, ResponsibleUserID: f.ResponsibleUserIds,
			CreatedBy: f.CreatedBy, UpdatedBy: f.UpdatedBy,
		}
		var err error
		if cf.CreatedAt, err = timeRange("createdAt", f.CreatedAt); err != nil {
			return nil, err
		}
		if cf.UpdatedAt, err = timeRange("updatedAt", f.UpdatedAt); err != nil {
			return nil, err
		}
		if cf.ClosestTaskAt, err = timeRange("closestTaskAt", f.ClosestTaskAt); err != nil {
			return nil, err
		}
		if len(f.Ids) > maxFirst {
			return nil, badInput("filter.ids takes at most %d ids", maxFirst)
		}
		if cf.CustomFieldsValues, err = customFieldFilters(f.CustomFields); err != nil {
			return nil, err
		}
		opts.Filter = cf
	}
	if o != nil {
		dir := "asc"
		if o.Direction == model.OrderDirectionDesc {
			dir = "desc"
		}
		switch o.Field {
		case model.ContactOrderFieldUpdatedAt:
			opts.Order = &amocrm.Order{UpdatedAt: dir}
		case model.ContactOrderFieldID:
			opts.Order = &amocrm.Order{ID: dir}
		}
	}
	return opts, nil
}

func timeRange(name string, r *model.TimeRange) (*amocrm.Range, error) {
	if r == nil || (r.From == nil && r.To == nil) {
		return nil, nil
	}
	out := &amocrm.Range{From: deref(r.From), To: deref(r.To)}
	if r.From != nil && r.To != nil && out.From > out.To {
		return nil, badInput("filter.%s: from is after to", name)
	}
	return out, nil
}

// maxFieldFilters bounds how many custom field conditions one list takes.
const maxFieldFilters = 20

func customFieldFilters(in []*model.CustomFieldFilter) (amocrm.CustomFieldFilters, error) {
	if len(in) > maxFieldFilters {
		return nil, badInput("filter.customFields takes at most %d conditions", maxFieldFilters)
	}
	var out amocrm.CustomFieldFilters
	for i, f := range in {
		if len(f.Values) == 0 && f.From == nil && f.To == nil {
			return nil, badInput("filter.customFields[%d] needs values or a from/to range", i)
		}
		if len(f.Values) > 0 && (f.From != nil || f.To != nil) {
			return nil, badInput("filter.customFields[%d] takes values or a range, not both", i)
		}
		if len(f.Values) > maxFirst {
			return nil, badInput("filter.customFields[%d] takes at most %d values", i, maxFirst)
		}
		for j := range f.Values {
			if err := checkLen(fmt.Sprintf("filter.customFields[%d].values[%d]", i, j), &f.Values[j], maxNameLen); err != nil {
				return nil, err
			}
		}
		if f.From != nil && f.To != nil && *f.From > *f.To {
			return nil, badInput("filter.customFields[%d]: from is above to", i)
		}
		out = append(out, amocrm.CustomFieldFilter{FieldID: f.FieldID, Values: f.Values, From: f.From, To: f.To})
	}
	return out, nil
}
