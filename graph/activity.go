package graph

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// Tasks, notes, customers and tags: lists read through the shared paging
// (listpage.go), and the notes and tasks of an entity through the loaders,
// which read them for every entity of a level at once.

// tasks answers the tasks connection.
func (r *queryResolver) tasks(ctx context.Context, args pageArgs, filter *model.TaskFilter, orderBy *model.TaskOrder) (*model.TaskConnection, error) {
	opts, err := taskListOptions(filter)
	if err != nil {
		return nil, err
	}
	opts.Order = taskOrder(orderBy)
	read := taskPages(r.Client, *opts)
	// The cursors carry the order: a position in one order is another task
	// in the next.
	p, err := readHanded(ctx, args, fingerprint("tasks", filter, orderBy), read, read)
	if err != nil {
		return nil, err
	}
	conn := &model.TaskConnection{Nodes: p.rows, PageInfo: p.pageInfo()}
	conn.Edges = edgesOf(p, func(c string, n *amocrm.Task) *model.TaskEdge { return &model.TaskEdge{Cursor: c, Node: n} })
	return conn, nil
}

func taskPages(c *amocrm.Client, opts amocrm.TaskListOptions) pageReader[*amocrm.Task] {
	return func(ctx context.Context, page, limit int) ([]*amocrm.Task, error) {
		opts.Page, opts.Limit = page, limit
		rows, _, err := c.Tasks.List(ctx, &opts)
		return rows, err
	}
}

// taskOrder maps orderBy onto order[created_at|complete_till|id] of GET
// /api/v4/tasks (https://www.amocrm.ru/developers/content/crm_platform/tasks-api);
// nil, amoCRM's own order, when omitted.
func taskOrder(o *model.TaskOrder) *amocrm.TaskOrder {
	if o == nil {
		return nil
	}
	switch o.Field {
	case model.TaskOrderFieldCreatedAt:
		return &amocrm.TaskOrder{CreatedAt: direction(o.Direction)}
	case model.TaskOrderFieldCompleteTill:
		return &amocrm.TaskOrder{CompleteTill: direction(o.Direction)}
	case model.TaskOrderFieldID:
		return &amocrm.TaskOrder{ID: direction(o.Direction)}
	}
	return nil
}

func taskListOptions(f *model.TaskFilter) (*amocrm.TaskListOptions, error) {
	opts := &amocrm.TaskListOptions{}
	if f == nil {
		return opts, nil
	}
	if len(f.Ids) > maxFirst || len(f.EntityIds) > maxFirst {
		return nil, badInput("filter.ids and filter.entityIds take at most %d ids each", maxFirst)
	}
	if len(f.EntityIds) > 0 && f.EntityType == nil {
		return nil, badInput("filter.entityIds needs filter.entityType: amoCRM filters entity ids within one type")
	}
	tf := &amocrm.TaskFilter{
		ID: f.Ids, EntityID: f.EntityIds, ResponsibleUserID: f.ResponsibleUserIds,
		CreatedBy: f.CreatedBy, IsCompleted: f.IsCompleted, TaskType: f.TaskTypeIds,
	}
	if f.EntityType != nil {
		tf.EntityType = entityPath(*f.EntityType)
	}
	var err error
	if tf.CompleteTill, err = timeRange("completeTill", f.CompleteTill); err != nil {
		return nil, err
	}
	if tf.UpdatedAt, err = timeRange("updatedAt", f.UpdatedAt); err != nil {
		return nil, err
	}
	opts.Filter = tf
	return opts, nil
}

// customers answers the customers connection like leads: one upstream page
// whenever the window fits one, with= naming only the relations selected on
// the page's customers (their contacts and companies are embedded only on
// request).
func (r *queryResolver) customers(ctx context.Context, args pageArgs, query *string, filter *model.CustomerFilter, orderBy *model.CustomerOrder) (*model.CustomerConnection, error) {
	opts, err := customerListOptions(query, filter, orderBy)
	if err != nil {
		return nil, err
	}
	fp := fingerprint("customers", query, filter, orderBy)
	if _, _, err := args.bounds(fp); err != nil {
		return nil, err
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	opts.With = listWith(ctx, "CustomerConnection", "CustomerEdge", "Customer")
	ctx = l.Decoding(ctx, loader.EntityCustomer)
	bare := *opts
	bare.With = nil
	p, err := readHanded(ctx, args, fp, customerPages(r.Client, *opts), customerPages(r.Client, bare))
	if err != nil {
		return nil, err
	}
	l.FollowCustomers(p.rows, 0)
	conn := &model.CustomerConnection{Nodes: p.rows, PageInfo: p.pageInfo()}
	conn.Edges = edgesOf(p, func(c string, n *amocrm.Customer) *model.CustomerEdge { return &model.CustomerEdge{Cursor: c, Node: n} })
	return conn, nil
}

func customerPages(c *amocrm.Client, opts amocrm.CustomerListOptions) pageReader[*amocrm.Customer] {
	return func(ctx context.Context, page, limit int) ([]*amocrm.Customer, error) {
		opts.Page, opts.Limit = page, limit
		rows, _, err := c.Customers.List(ctx, &opts)
		return rows, err
	}
}

// customerListOptions maps the GraphQL arguments onto amoCRM's filter[...]
// and order[...] of GET /api/v4/customers.
func customerListOptions(query *string, f *model.CustomerFilter, o *model.CustomerOrder) (*amocrm.CustomerListOptions, error) {
	if err := checkLen("query", query, maxSearchLen); err != nil {
		return nil, err
	}
	opts := &amocrm.CustomerListOptions{Query: deref(query)}
	if f != nil {
		c, err := entityFilter{
			ids: f.Ids, names: f.Names, createdAt: f.CreatedAt, updatedAt: f.UpdatedAt,
			closestTaskAt: f.ClosestTaskAt, customFields: f.CustomFields,
		}.check()
		if err != nil {
			return nil, err
		}
		next, err := timeRange("nextDate", f.NextDate)
		if err != nil {
			return nil, err
		}
		opts.Filter = &amocrm.CustomerFilter{
			ID: f.Ids, Name: f.Names, CreatedBy: f.CreatedBy, UpdatedBy: f.UpdatedBy,
			ResponsibleUserID: f.ResponsibleUserIds, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
			ClosestTaskAt: c.closestTaskAt, NextDate: next, CustomFieldsValues: c.customFields,
		}
	}
	if o != nil {
		switch o.Field {
		case model.CustomerOrderFieldUpdatedAt:
			opts.Order = &amocrm.Order{UpdatedAt: direction(o.Direction)}
		case model.CustomerOrderFieldID:
			opts.Order = &amocrm.Order{ID: direction(o.Direction)}
		}
	}
	return opts, nil
}

// tags answers the tags connection of one entity type's dictionary.
func (r *queryResolver) tags(ctx context.Context, entity model.EntityType, args pageArgs, query *string) (*model.TagConnection, error) {
	if err := checkLen("query", query, maxSearchLen); err != nil {
		return nil, err
	}
	path := entityPath(entity)
	read := func(ctx context.Context, page, limit int) ([]*amocrm.Tag, error) {
		rows, _, err := r.Client.Tags.List(ctx, path, &amocrm.TagListOptions{Page: page, Limit: limit, Query: deref(query)})
		return rows, err
	}
	p, err := readList(ctx, args, fingerprint("tags", entity, query), read, read)
	if err != nil {
		return nil, err
	}
	conn := &model.TagConnection{Nodes: p.rows, PageInfo: p.pageInfo()}
	conn.Edges = edgesOf(p, func(c string, n *amocrm.Tag) *model.TagEdge { return &model.TagEdge{Cursor: c, Node: n} })
	return conn, nil
}

// entityNotes answers the notes connection of one entity. Every note of the
// entity is read (with those of its siblings, in one batched call), so the
// page is a slice of them and hasNextPage costs nothing. The window follows
// the Relay arguments as every list's does (pageArgs.bounds: last needs
// before or first, as on the lists whose totals amoCRM does not give). The
// connection is non-null: a failed read answers an empty one with the error
// beside it, and the entity stays in the answer.
func entityNotes(ctx context.Context, entityType string, entityID int, args pageArgs) (*model.NoteConnection, error) {
	fp := fingerprint("notes", entityType, entityID)
	offset, n, err := args.bounds(fp)
	if err != nil {
		return nil, err
	}
	all, err := loadNotes(ctx, entityType, entityID)
	if err != nil {
		graphql.AddError(ctx, err)
		all = []*amocrm.Note{}
	}
	start, end := min(offset, len(all)), min(offset+n, len(all))
	page := all[start:end]
	conn := &model.NoteConnection{
		Nodes: page, Edges: make([]*model.NoteEdge, len(page)),
		PageInfo: &model.PageInfo{HasPreviousPage: offset > 0, HasNext: func() (bool, error) { return end < len(all), nil }},
	}
	for i, note := range page {
		conn.Edges[i] = &model.NoteEdge{Cursor: encodeCursor(start+i, fp), Node: note}
	}
	if len(page) > 0 {
		s, e := conn.Edges[0].Cursor, conn.Edges[len(page)-1].Cursor
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &s, &e
	}
	return conn, nil
}

func loadNotes(ctx context.Context, entityType string, entityID int) ([]*amocrm.Note, error) {
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.Notes(ctx, entityType, entityID, siblingIDs(ctx, entityType))
}

// entityTasks answers the tasks of one entity, read with those of its
// siblings in one batched call.
func entityTasks(ctx context.Context, entityType string, entityID int, isCompleted *bool) ([]*amocrm.Task, error) {
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.Tasks(ctx, entityType, entityID, isCompleted, siblingIDs(ctx, entityType))
}

// siblingIDs returns the ids of the entities in the list the resolved
// field's object belongs to (nodes of a connection, a relation's list), or
// nil when it is in none (or the list holds another type). gqlgen keeps each resolved field's result in its
// context, so the list is known before its items' fields resolve.
func siblingIDs(ctx context.Context, entityType string) []int {
	fc := graphql.GetFieldContext(ctx)
	for i := 0; fc != nil && i < 3; i, fc = i+1, fc.Parent {
		switch rows := fc.Result.(type) {
		case []*amocrm.Contact:
			if entityType == "contacts" {
				return idsOf(rows, func(c *amocrm.Contact) int { return c.ID })
			}
		case []*amocrm.Lead:
			if entityType == "leads" {
				return idsOf(rows, func(l *amocrm.Lead) int { return l.ID })
			}
		case []*amocrm.Company:
			if entityType == "companies" {
				return idsOf(rows, func(c *amocrm.Company) int { return c.ID })
			}
		case []*amocrm.Customer:
			if entityType == "customers" {
				return idsOf(rows, func(c *amocrm.Customer) int { return c.ID })
			}
		}
	}
	return nil
}

func idsOf[T any](rows []T, id func(T) int) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

// taskEntityType is the GraphQL name of a task's entity type; nil when the
// task is about nothing or about a type the schema does not know.
func taskEntityType(t *amocrm.Task) *model.EntityType {
	e := model.EntityType(strings.ToUpper(t.EntityType))
	if t.EntityType == "" || !e.IsValid() {
		return nil
	}
	return &e
}

// noteText is params.text, for the note types that have one.
func noteText(n *amocrm.Note) *string {
	var p struct {
		Text *string `json:"text"`
	}
	if len(n.Params) == 0 || json.Unmarshal(n.Params, &p) != nil {
		return nil
	}
	return p.Text
}

// optionalID answers an id amoCRM sends as 0 for "none" as null.
func optionalID(id int) *int {
	if id <= 0 {
		return nil
	}
	return &id
}

// optionalString answers "" as null.
func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
