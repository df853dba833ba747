package graph

import (
	"context"
	"strings"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// Account metadata resolves through the request's loaders, which read each
// list (users, pipelines, field definitions) once per request and keep it per
// credential for METADATA_TTL. A relation that selects only id is answered
// from the id the entity holds, without a read.

// responsibleUser resolves an entity's responsible user by its id.
func responsibleUser(ctx context.Context, id int) (*amocrm.User, error) {
	if id <= 0 {
		return nil, nil
	}
	if fieldOnlyID(ctx, "User") {
		return &amocrm.User{ID: id}, nil
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.User(ctx, id)
}

// leadPipeline resolves a lead's pipeline.
func leadPipeline(ctx context.Context, lead *amocrm.Lead) (*amocrm.Pipeline, error) {
	if lead.PipelineID <= 0 {
		return nil, nil
	}
	if fieldOnlyID(ctx, "Pipeline") {
		return &amocrm.Pipeline{ID: lead.PipelineID}, nil
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.Pipeline(ctx, lead.PipelineID)
}

// leadStatus resolves a lead's stage, which is only known with its pipeline.
func leadStatus(ctx context.Context, lead *amocrm.Lead) (*amocrm.PipelineStatus, error) {
	if lead.StatusID <= 0 {
		return nil, nil
	}
	if fieldOnlyID(ctx, "PipelineStatus") {
		return &amocrm.PipelineStatus{ID: lead.StatusID, PipelineID: lead.PipelineID}, nil
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.Status(ctx, lead.PipelineID, lead.StatusID)
}

// users answers the users connection from the account's user list, which
// the loaders read whole: the page is a slice of it, and whether another
// page follows is known without a call. Cursors are positions in the list,
// tied to the query like the contacts connection's.
func users(ctx context.Context, args pageArgs) (*model.UserConnection, error) {
	fp := fingerprint("users")
	offset, n, err := args.bounds(fp)
	if err != nil {
		return nil, err
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	all, err := l.Users(ctx)
	if err != nil {
		return nil, err
	}
	start := min(offset, len(all.List))
	end := min(offset+n, len(all.List))
	page := all.List[start:end]
	conn := &model.UserConnection{
		Nodes: page,
		Edges: make([]*model.UserEdge, len(page)),
		PageInfo: &model.PageInfo{
			HasPreviousPage: offset > 0,
			HasNext:         func() (bool, error) { return end < len(all.List), nil },
		},
	}
	for i, u := range page {
		conn.Edges[i] = &model.UserEdge{Cursor: encodeCursor(start+i, fp), Node: u}
	}
	if len(page) > 0 {
		first, last := conn.Edges[0].Cursor, conn.Edges[len(page)-1].Cursor
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &first, &last
	}
	return conn, nil
}

// entityPath is amoCRM's path segment of an entity type.
func entityPath(e model.EntityType) string { return strings.ToLower(string(e)) }

func enumPtrs(enums []amocrm.CustomFieldEnum) []*amocrm.CustomFieldEnum {
	out := make([]*amocrm.CustomFieldEnum, len(enums))
	for i := range enums {
		out[i] = &enums[i]
	}
	return out
}

func requiredPtrs(rs []amocrm.RequiredStatus) []*amocrm.RequiredStatus {
	out := make([]*amocrm.RequiredStatus, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// nonNilSlice answers an absent list as an empty one: the lists are non-null.
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
