package graph

import (
	"context"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
)

// Notes and tasks of the entities the executor writes. The loaders read
// them for every entity of a list in one call, given the list's ids as
// siblings; the executor writes its entities one by one, so it names the
// siblings itself: the ids of the root list the entity is on, or of the
// operation's root fields reading that entity type by id. Notes and tasks
// deeper than the root's entities are left to the resolvers (coverage),
// whose concurrent resolution batches a whole level.

// prefetchActivity starts, together, the notes and tasks reads that kids
// (an entity's selection) ask for entities ids of entityType: the writer
// reaches them one after another, and would otherwise wait for each read
// in turn.
func (r *run) prefetchActivity(kids []*Node, entityType string, ids []int) {
	for _, k := range kids {
		switch k.Name {
		case "notes":
			r.l.PrefetchActivity(r.ctx, entityType, ids, false, nil)
		case "tasks":
			if completed, err := r.taskArgs(k); err == nil {
				r.l.PrefetchActivity(r.ctx, entityType, ids, true, completed)
			}
		}
	}
}

// itemKids are the selections on a connection's items: under nodes and
// under edges { node }.
func itemKids(conn []*Node) [][]*Node {
	var out [][]*Node
	for _, k := range conn {
		switch k.Name {
		case "nodes":
			out = append(out, k.Kids)
		case "edges":
			for _, e := range k.Kids {
				if e.Name == "node" {
					out = append(out, e.Kids)
				}
			}
		}
	}
	return out
}

// tasksList answers the tasks connection with the same read as
// queryResolver.tasks, handing its page over like the entity lists.
func (r *run) tasksList(b []byte, f *Node) ([]byte, error) {
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := ec.field_Query_tasks_args(r.ctx, f.ArgumentMap(r.opCtx.Variables))
	if err != nil {
		return nil, err
	}
	filter, _ := args["filter"].(*model.TaskFilter)
	orderBy, _ := args["orderBy"].(*model.TaskOrder)
	opts, err := taskListOptions(filter)
	if err != nil {
		return nil, err
	}
	opts.Order = taskOrder(orderBy)
	read := taskPages(r.client, *opts)
	p, err := readList(r.ctx, pageArgsOf(args), fingerprint("tasks", filter, orderBy), read, read)
	r.lists.putPage(f.Key, &handedPage[*amocrm.Task]{p, err})
	if err != nil {
		return nil, err
	}
	return appendConnection(b, f.Kids, "TaskConnection", "TaskEdge", p, r.task)
}

// fieldArgs are k's arguments, coerced once per field of the operation:
// a page's entities all ask for them, one after another.
func (r *run) fieldArgs(k *Node, coerce func(*executionContext, context.Context, map[string]any) (map[string]any, error)) (map[string]any, error) {
	if a, ok := r.args[k]; ok {
		return a.args, a.err
	}
	ec := newExecutionContext(r.opCtx, nil, nil)
	args, err := coerce(ec, r.ctx, k.ArgumentMap(r.opCtx.Variables))
	if r.args == nil {
		r.args = map[*Node]coerced{}
	}
	r.args[k] = coerced{args, err}
	return args, err
}

type coerced struct {
	args map[string]any
	err  error
}

// noteArgs are the Relay arguments of an entity's notes field (the same
// for every entity type).
func (r *run) noteArgs(k *Node) (pageArgs, error) {
	args, err := r.fieldArgs(k, (*executionContext).field_Contact_notes_args)
	if err != nil {
		return pageArgs{}, err
	}
	return pageArgsOf(args), nil
}

// taskArgs is the completion filter of an entity's tasks field.
func (r *run) taskArgs(k *Node) (*bool, error) {
	args, err := r.fieldArgs(k, (*executionContext).field_Contact_tasks_args)
	if err != nil {
		return nil, err
	}
	completed, _ := args["isCompleted"].(*bool)
	return completed, nil
}

// entityNotes writes the notes connection of one entity as entityNotes
// answers it; a failed read is gqlgen's to answer.
func (r *run) entityNotes(b []byte, k *Node, entityType string, id int) ([]byte, error) {
	pa, err := r.noteArgs(k)
	if err != nil {
		return nil, err
	}
	fp := fingerprint("notes", entityType, id)
	offset, n, err := pa.bounds(fp)
	if err != nil {
		return nil, err
	}
	all, err := r.l.Notes(r.ctx, entityType, id, r.siblings[entityType])
	if err != nil {
		return nil, err
	}
	start, end := min(offset, len(all)), min(offset+n, len(all))
	p := &listPageOf[*amocrm.Note]{rows: all[start:end], offset: offset, fp: fp,
		hasNext: func() (bool, error) { return end < len(all), nil }}
	return appendConnection(b, k.Kids, "NoteConnection", "NoteEdge", p, note)
}

// entityTasks writes the tasks of one entity as entityTasks answers them.
func (r *run) entityTasks(b []byte, k *Node, entityType string, id int) ([]byte, error) {
	completed, err := r.taskArgs(k)
	if err != nil {
		return nil, err
	}
	tasks, err := r.l.Tasks(r.ctx, entityType, id, completed, r.siblings[entityType])
	if err != nil {
		return nil, err
	}
	return tryEach(b, k.Kids, tasks, r.task)
}

// note writes a Note (noteResolver for params, text and requestId).
func note(b []byte, kids []*Node, n *amocrm.Note) ([]byte, error) {
	if n == nil {
		return nil, errShape
	}
	return fields(b, kids, func(b []byte, k *Node) ([]byte, bool) {
		switch k.Name {
		case "__typename":
			return appendString(b, "Note"), true
		case "id":
			return appendID(b, n.ID), true
		case "entityId":
			return appendID(b, n.EntityID), true
		case "noteType":
			return appendString(b, n.NoteType), true
		case "params":
			return appendRawJSON(b, n.Params), true
		case "text":
			return appendOptString(b, noteText(n)), true
		case "responsibleUserId":
			return appendID(b, n.ResponsibleUserID), true
		case "createdBy":
			return appendID(b, n.CreatedBy), true
		case "updatedBy":
			return appendID(b, n.UpdatedBy), true
		case "createdAt":
			return appendTime(b, n.CreatedAt), true
		case "updatedAt":
			return appendTime(b, n.UpdatedAt), true
		case "accountId":
			return appendID(b, n.AccountID), true
		case "requestId":
			return appendOptString(b, optionalString(n.RequestID)), true
		}
		return b, false
	})
}

// task writes a Task (taskResolver for its optional fields and user).
func (r *run) task(b []byte, kids []*Node, t *amocrm.Task) ([]byte, error) {
	if t == nil {
		return nil, errShape
	}
	return tryFields(b, kids, func(b []byte, k *Node) ([]byte, bool, error) {
		switch k.Name {
		case "__typename":
			return appendString(b, "Task"), true, nil
		case "id":
			return appendID(b, t.ID), true, nil
		case "text":
			return appendString(b, t.Text), true, nil
		case "entityId":
			return appendOptID(b, optionalID(t.EntityID)), true, nil
		case "entityType":
			if e := taskEntityType(t); e != nil {
				return appendString(b, string(*e)), true, nil
			}
			return append(b, "null"...), true, nil
		case "responsibleUserId":
			return appendID(b, t.ResponsibleUserID), true, nil
		case "responsibleUser":
			out, err := r.responsibleUser(b, k, t.ResponsibleUserID)
			return out, true, err
		case "groupId":
			return appendID(b, t.GroupID), true, nil
		case "completeTill":
			return appendTime(b, t.CompleteTill), true, nil
		case "duration":
			return appendInt(b, t.Duration), true, nil
		case "isCompleted":
			return appendBool(b, t.IsCompleted), true, nil
		case "result":
			if t.Result == nil {
				return append(b, "null"...), true, nil
			}
			return appendString(b, t.Result.Text), true, nil
		case "taskTypeId":
			return appendID(b, t.TaskTypeID), true, nil
		case "createdBy":
			return appendID(b, t.CreatedBy), true, nil
		case "updatedBy":
			return appendID(b, t.UpdatedBy), true, nil
		case "createdAt":
			return appendTime(b, t.CreatedAt), true, nil
		case "updatedAt":
			return appendTime(b, t.UpdatedAt), true, nil
		case "accountId":
			return appendID(b, t.AccountID), true, nil
		case "requestId":
			return appendOptString(b, optionalString(t.RequestID)), true, nil
		}
		return b, false, nil
	})
}
