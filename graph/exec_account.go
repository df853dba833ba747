package graph

import "github.com/amogql/amogql/internal/amocrm"

// The account's users and pipelines as the plan executor writes them:
// the relations that name them (responsibleUser, Lead.pipeline,
// Lead.status) read the lists the loaders keep per credential, started
// beside the operation's first call.

// responsibleUser writes an entity's responsible user (responsibleUser):
// null without one, a stub when only its id is selected.
func (r *run) responsibleUser(b []byte, k *Node, id int) ([]byte, error) {
	if id <= 0 {
		return append(b, "null"...), nil
	}
	if k.OnlyID {
		return user(b, k.Kids, &amocrm.User{ID: id})
	}
	u, err := r.l.User(r.ctx, id)
	if err != nil || u == nil {
		return appendNull(b, err)
	}
	return user(b, k.Kids, u)
}

// leadPipeline writes a lead's pipeline (leadPipeline).
func (r *run) leadPipeline(b []byte, k *Node, x *amocrm.Lead) ([]byte, error) {
	if x.PipelineID <= 0 {
		return append(b, "null"...), nil
	}
	if k.OnlyID {
		return pipeline(b, k.Kids, &amocrm.Pipeline{ID: x.PipelineID})
	}
	p, err := r.l.Pipeline(r.ctx, x.PipelineID)
	if err != nil || p == nil {
		return appendNull(b, err)
	}
	return pipeline(b, k.Kids, p)
}

// leadStatus writes a lead's stage (leadStatus).
func (r *run) leadStatus(b []byte, k *Node, x *amocrm.Lead) ([]byte, error) {
	if x.StatusID <= 0 {
		return append(b, "null"...), nil
	}
	if k.OnlyID {
		return pipelineStatus(b, k.Kids, &amocrm.PipelineStatus{ID: x.StatusID, PipelineID: x.PipelineID})
	}
	s, err := r.l.Status(r.ctx, x.PipelineID, x.StatusID)
	if err != nil || s == nil {
		return appendNull(b, err)
	}
	return pipelineStatus(b, k.Kids, s)
}

// appendNull writes null for an object amoCRM has not, or fails with err:
// a failed read is gqlgen's to answer, with the error at its path.
func appendNull(b []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return append(b, "null"...), nil
}

// user writes a User (userResolver for the rights).
func user(b []byte, kids []*Node, u *amocrm.User) ([]byte, error) {
	rights := u.Rights
	if rights == nil {
		rights = &amocrm.UserRights{}
	}
	return fields(b, kids, func(b []byte, k *Node) ([]byte, bool) {
		switch k.Name {
		case "__typename":
			return appendString(b, "User"), true
		case "id":
			return appendID(b, u.ID), true
		case "name":
			return appendString(b, u.Name), true
		case "email":
			return appendString(b, u.Email), true
		case "lang":
			return appendString(b, u.Lang), true
		case "isAdmin":
			return appendBool(b, rights.IsAdmin), true
		case "isActive":
			return appendBool(b, rights.IsActive), true
		case "isFree":
			return appendBool(b, rights.IsFree), true
		case "groupId":
			return appendOptID(b, rights.GroupID), true
		case "roleId":
			return appendOptID(b, rights.RoleID), true
		}
		return b, false
	})
}

// pipeline writes a Pipeline (pipelineResolver for its stages).
func pipeline(b []byte, kids []*Node, p *amocrm.Pipeline) ([]byte, error) {
	return tryFields(b, kids, func(b []byte, k *Node) ([]byte, bool, error) {
		switch k.Name {
		case "__typename":
			return appendString(b, "Pipeline"), true, nil
		case "id":
			return appendID(b, p.ID), true, nil
		case "name":
			return appendString(b, p.Name), true, nil
		case "sort":
			return appendInt(b, p.Sort), true, nil
		case "isMain":
			return appendBool(b, p.IsMain), true, nil
		case "isArchive":
			return appendBool(b, p.IsArchive), true, nil
		case "isUnsortedOn":
			return appendBool(b, p.IsUnsortedOn), true, nil
		case "statuses":
			var statuses []*amocrm.PipelineStatus
			if p.Embedded != nil {
				statuses = p.Embedded.Statuses
			}
			out, err := tryEach(b, k.Kids, statuses, pipelineStatus)
			return out, true, err
		}
		return b, false, nil
	})
}

// pipelineStatus writes a PipelineStatus.
func pipelineStatus(b []byte, kids []*Node, s *amocrm.PipelineStatus) ([]byte, error) {
	if s == nil {
		return nil, errShape // a null stage in a non-null list: gqlgen's to answer
	}
	return fields(b, kids, func(b []byte, k *Node) ([]byte, bool) {
		switch k.Name {
		case "__typename":
			return appendString(b, "PipelineStatus"), true
		case "id":
			return appendID(b, s.ID), true
		case "pipelineId":
			return appendID(b, s.PipelineID), true
		case "name":
			return appendString(b, s.Name), true
		case "sort":
			return appendInt(b, s.Sort), true
		case "color":
			return appendString(b, s.Color), true
		case "type":
			return appendInt(b, s.Type), true
		case "isEditable":
			return appendBool(b, s.IsEditable), true
		}
		return b, false
	})
}
