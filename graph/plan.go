package graph

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// A Plan is what one operation selects, read once after gqlgen has parsed
// and validated it: the tree of fields with their response keys in order,
// and what that tree asks of amoCRM — the with= values of each entity's
// fetches, the related objects each level wants in full, whether custom
// fields are read, and a lower bound of the upstream calls. The limits, the
// loaders and the plan executor all read it, so they cannot disagree about
// what a query selects. A Plan is immutable once built, but for a size
// hint, and shared by every request of the same document and directive
// variables.
type Plan struct {
	// Kind is the operation's kind.
	Kind ast.Operation
	// Fields are the root fields in response order.
	Fields []*Node
	// Depth is the deepest field nesting (introspection fields left out).
	Depth int
	// Calls is the fewest upstream calls the operation can cost.
	Calls int
	// Complete is false when the tree was cut (too deep or too large), so
	// what it records of the loaders' needs may be partial.
	Complete bool
	// Covered reports whether the plan executor can answer the operation.
	Covered bool

	deferred bool // some fragment is under @defer

	// answerSize is a little more than the executor's last answer to the
	// plan: the next one's buffer is made this large.
	answerSize atomic.Int64

	wants    []want
	with     []entityWith
	metadata []string // account lists some field reads ("users", "pipelines")
	reads    []entityReads
	members  map[loader.Entity]*amocrm.Members // what a query reads of each entity
	doc      *ast.QueryDocument                // holds the document the plan is cached under
}

// A Node is one field of the plan: a response key and what is under it.
type Node struct {
	Key, Name string
	// Type is the field's named type (Contact for [Contact!]).
	Type string
	// Field is the field as the document has it, for its arguments.
	Field *ast.Field
	// Kids are the fields selected on Type, fragments and directives applied.
	Kids []*Node
	// OnlyID: the selection asks nothing an id cannot answer.
	OnlyID bool
}

// ArgumentMap returns the node's arguments with vars applied.
func (n *Node) ArgumentMap(vars map[string]any) map[string]any {
	return n.Field.ArgumentMap(vars)
}

type want struct {
	entity loader.Entity
	level  int
	needs  loader.Needs
}

type entityWith struct {
	entity loader.Entity
	with   string
}

type entityReads struct {
	entity loader.Entity
	reads  loader.Reads
}

// maxPlanNodes bounds a plan's tree. Fragments spread under each other can
// multiply a small document's fields; past the bound the plan is cut and
// marked incomplete (its call count stays a lower bound).
const maxPlanNodes = 1 << 15

// BuildPlan reads an operation of a validated document. It is a pure
// function of its arguments: vars matter only through @skip and @include.
func BuildPlan(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) *Plan {
	opCtx := &graphql.OperationContext{Doc: doc, Operation: op, Variables: vars}
	p := &Plan{Kind: op.Operation, Complete: true, doc: doc}
	p.Depth = depth(doc, op.SelectionSet, 0)
	b := builder{opCtx: opCtx}
	root := "Query"
	if op.Operation == ast.Mutation {
		root = "Mutation"
	}
	p.Fields = b.nodes(op.SelectionSet, root, 0)
	if b.cut {
		p.Complete = false
	}
	p.deferred = b.deferred
	w := walker{plan: p}
	for _, f := range p.Fields {
		if !w.walk(f.Kids, f.Type, 0, 0) {
			p.Complete = false
		}
	}
	p.Calls = estimateCalls(p)
	p.Covered = covered(p)
	if p.Complete && p.Kind == ast.Query {
		p.members = entityMembers(p.Fields)
	}
	return p
}

type builder struct {
	opCtx    *graphql.OperationContext
	n        int
	cut      bool
	deferred bool
}

// nodes collects the fields of set selected on typeName, and theirs below.
func (b *builder) nodes(set ast.SelectionSet, typeName string, depth int) []*Node {
	if len(set) == 0 {
		return nil
	}
	if depth > maxWalkDepth+1 || b.n > maxPlanNodes {
		b.cut = true
		return nil
	}
	fields := graphql.CollectFields(b.opCtx, set, []string{typeName})
	out := make([]*Node, 0, len(fields))
	for _, f := range fields {
		b.n++
		if len(f.Deferrables) > 0 {
			b.deferred = true
		}
		n := &Node{Key: f.Alias, Name: f.Name, Field: f.Field}
		if f.Definition != nil {
			n.Type = f.Definition.Type.Name()
		}
		n.Kids = b.nodes(f.Selections, n.Type, depth+1)
		n.OnlyID = true
		for _, k := range n.Kids {
			if k.Name != "id" && k.Name != "__typename" {
				n.OnlyID = false
			}
		}
		out = append(out, n)
	}
	return out
}

// walker derives what the loaders need from the tree: the walk the
// loaders' Want, WantWith and Read describe.
type walker struct{ plan *Plan }

// walk records what kids, selected on typeName, ask of the loaders. level
// counts the objects between the root and typeName: the root field's objects
// are level 0; connections and payloads around them add none. It reports
// false when it stopped at maxWalkDepth without seeing everything.
func (w walker) walk(kids []*Node, typeName string, level, depth int) bool {
	t, ok := objects[typeName]
	if !ok {
		return true
	}
	if depth > maxWalkDepth {
		return false
	}
	var n loader.Needs
	complete := true
	for _, f := range kids {
		if t.isEntity && readsCustomFields[f.Name] {
			w.read(t.entity, loader.ReadsCustomFields)
		}
		r, ok := t.links[f.Name]
		if !ok {
			continue
		}
		if r.with != "" {
			w.addWith(t.entity, r.with)
		}
		r.need(&n, f)
		if r.meta != "" && !f.OnlyID && !slices.Contains(w.plan.metadata, r.meta) {
			w.plan.metadata = append(w.plan.metadata, r.meta)
		}
		next := level
		if t.isEntity {
			next++
		}
		complete = w.walk(f.Kids, r.to, next, depth+1) && complete
	}
	if t.isEntity && n != (loader.Needs{}) {
		w.plan.wants = append(w.plan.wants, want{t.entity, level, n})
	}
	return complete
}

func (w walker) read(e loader.Entity, r loader.Reads) {
	for i, x := range w.plan.reads {
		if x.entity == e {
			w.plan.reads[i].reads |= r
			return
		}
	}
	w.plan.reads = append(w.plan.reads, entityReads{e, r})
}

func (w walker) addWith(e loader.Entity, with string) {
	for _, x := range w.plan.with {
		if x == (entityWith{e, with}) {
			return
		}
	}
	w.plan.with = append(w.plan.with, entityWith{e, with})
}

// Prepare tells a request's loaders what the plan needs of them.
func (p *Plan) Prepare(l *loader.Loaders) {
	for _, r := range p.reads {
		l.Read(r.entity, r.reads)
	}
	for _, w := range p.with {
		l.WantWith(w.entity, w.with)
	}
	for _, w := range p.wants {
		l.Want(w.entity, w.level, w.needs)
	}
	for e, m := range p.members {
		l.Keep(e, m)
	}
	for _, kind := range p.metadata {
		l.PrefetchMetadata(kind)
	}
	if p.Complete {
		l.Planned()
	}
}

// With returns the with= values the plan's fetches of e carry, in the
// loaders' order.
func (p *Plan) With(e loader.Entity) []string {
	var out []string
	for _, w := range p.with {
		if w.entity == e {
			out = append(out, w.with)
		}
	}
	return out
}

// estimateCalls is the fewest upstream calls the plan can cost: one per
// root field (root fields that share a read count once), one more for a
// mutation that reads its objects back, and one per level of related
// objects fetched (per entity type for notes and tasks). The account's
// users and pipelines count none: they may be kept from an earlier
// operation (see metadata in plan_table.go).
func estimateCalls(p *Plan) int {
	n := 0
	shared := map[string]bool{}
	for _, f := range p.Fields {
		if strings.HasPrefix(f.Name, "__") || f.Field.Definition == nil {
			continue
		}
		if p.Kind == ast.Query && metadataRoots[f.Name] {
			continue // kept per credential: maybe no call (see metadata in plan_table.go)
		}
		if key := sharedRead(f); key == "" || !shared[key] {
			n++ // the root field's own call
			shared[key] = key != ""
		}
		if p.Kind == ast.Mutation && f.Name != "linkChats" && nodeReadsBack(f) {
			n++ // the write, then the read of the written contacts
		}
		levels := map[levelKey]bool{}
		countLevels(f.Kids, f.Type, 0, othersRead(p.Fields, f), levels)
		n += len(levels)
	}
	return n
}

// othersRead is the entity types the root fields other than f read. Root
// fields run side by side, and the loaders keep one cache and one batch per
// entity for the whole operation, so a level under f may find its objects
// read by another root field (a lead by id beside the same lead under a
// contact; a contact's chats beside chatLinks of that contact): such a
// level counts no call of its own. Within one root field the levels run
// one after another on other objects, each a call.
func othersRead(fields []*Node, f *Node) map[string]bool {
	out := map[string]bool{}
	for _, o := range fields {
		if o != f && o.Field.Definition != nil && !metadataRoots[o.Name] {
			entitiesUnder(o.Type, out)
		}
	}
	return out
}

// entitiesUnder adds the entity types typeName is, or wraps.
func entitiesUnder(typeName string, out map[string]bool) {
	t, ok := objects[typeName]
	if !ok || out[typeName] {
		return
	}
	out[typeName] = true
	if t.isEntity {
		return
	}
	for _, l := range t.links {
		if l.cost == costNone {
			entitiesUnder(l.to, out)
		}
	}
}

// metadataRoots are the root fields that read the account's metadata:
// users, pipelines and custom field definitions, kept per credential for
// METADATA_TTL, so an operation may answer them without a call.
var metadataRoots = map[string]bool{"user": true, "users": true, "pipelines": true, "customFields": true}

// sharedRead names the read a root query field shares with the others of
// its kind: the loaders start every contact(id:), lead(id:) and company(id:)
// of an operation as one read per kind, and every chatLinks(contactIds:) as
// one chats read. "" for a field that reads on its own.
func sharedRead(f *Node) string {
	switch f.Name {
	case "contact", "lead", "company":
		return f.Name
	case "chatLinks":
		if f.Field.Arguments.ForName("chatIds") == nil {
			return f.Name
		}
	}
	return ""
}

// nodeReadsBack is readsBack on the plan: whether a mutation payload asks
// for more of the written objects (contacts, leads, companies, notes,
// tasks: the payload's field in the relation table) than their ids and
// request ids, which the write's own answer holds.
func nodeReadsBack(f *Node) bool {
	t, ok := objects[f.Type]
	if !ok {
		return false
	}
	for _, k := range f.Kids {
		if _, written := t.links[k.Name]; !written {
			continue
		}
		for _, sub := range k.Kids {
			if sub.Name != "id" && sub.Name != "requestId" && sub.Name != "__typename" {
				return true
			}
		}
	}
	return false
}

type levelKey struct {
	typeName, field string
	level           int
}

// countLevels records each (type, relation, level) that needs a fetch of
// objects other root fields do not read.
func countLevels(kids []*Node, typeName string, level int, others map[string]bool, seen map[levelKey]bool) {
	t, ok := objects[typeName]
	if !ok || level > maxWalkDepth {
		return
	}
	for _, f := range kids {
		r, ok := t.links[f.Name]
		if !ok {
			continue
		}
		next := level
		if t.isEntity {
			next++
		}
		costs := r.cost == costAlways || r.cost == costUnlessIDs && t.isEntity && !f.OnlyID
		if costs && !others[r.to] {
			seen[levelKey{typeName, f.Name, level}] = true
		}
		countLevels(f.Kids, r.to, next, others, seen)
	}
}
