package cache

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/amogql/amogql/internal/changes"
)

// What an answer depends on.
//
// Every kind of amoCRM data that can change (an entity type such as
// "contacts", or a sub-resource such as "contacts/tags", named by its REST
// path without ids) has a topic: generation counters bumped on each change.
// An entry remembers the counters of every topic its answer shows, read
// before its upstream call was sent, and is served only while they are
// unchanged. So invalidating is one atomic add, whatever the number of
// entries, and an answer fetched before a change is never served after it,
// however late it arrives.

// idBuckets is how many per-id counters a topic has. Ids share a counter
// by their remainder, so a change may also drop another id's entry: never a
// stale read, only a rare extra call, for bounded memory.
const idBuckets = 256

// maxTopics bounds the topic table; further names share overflowTopic,
// which is coarser but still correct.
const maxTopics = 128

const overflowTopic = "\x00overflow"

// maxGens bounds the counters one answer depends on; an answer that would
// depend on more is not cached.
const maxGens = 12

// topic holds the generation counters of one kind of data.
type topic struct {
	// name names its counters in Redis when the cache is shared (see
	// shared.go). overflowTopic stands for different names in different
	// replicas, so a shared cache keeps no GET that depends on it.
	name   string
	shared bool
	// all counts every change: lists and embeds depend on it.
	all atomic.Uint64
	// wild counts changes whose ids are unknown (a batch write): every
	// entity of the kind depends on it.
	wild atomic.Uint64
	// ids count changes of known ids, by bucket: an entity read by id
	// depends on its bucket and wild, so another entity's change keeps it.
	ids [idBuckets]atomic.Uint64
}

func bucket(id int) int { return int(uint(id) % idBuckets) }

// field names one counter of a topic: an id bucket, all or wild.
type field uint16

const (
	fieldAll  field = idBuckets
	fieldWild field = idBuckets + 1
)

// fieldNames are the fields of a topic's Redis hash, by field.
var fieldNames = func() (n [idBuckets + 2]string) {
	for b := range idBuckets {
		n[b] = "b" + strconv.Itoa(b)
	}
	n[fieldAll], n[fieldWild] = "all", "wild"
	return n
}()

func (t *topic) gen(f field) *atomic.Uint64 {
	switch f {
	case fieldAll:
		return &t.all
	case fieldWild:
		return &t.wild
	}
	return &t.ids[f]
}

// topics is the table of topics, created on first use.
type topics struct {
	mu     sync.RWMutex
	m      map[string]*topic
	shared bool // the counters live in Redis (see shared.go)
}

func (ts *topics) get(name string) *topic {
	ts.mu.RLock()
	t := ts.m[name]
	ts.mu.RUnlock()
	if t != nil {
		return t
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t = ts.m[name]; t != nil {
		return t
	}
	if len(ts.m) >= maxTopics {
		name = overflowTopic
		if t = ts.m[name]; t != nil {
			return t
		}
	}
	t = &topic{name: name, shared: ts.shared}
	ts.m[name] = t
	return t
}

// bump records a change of the topic: of the given ids, or of unknown ones
// when none is given or one is not an amoCRM id (not positive). It returns
// the counters it bumped.
func (t *topic) bump(ids []int) []field {
	fields := make([]field, 0, len(ids)+2)
	wild := len(ids) == 0
	for _, id := range ids {
		if id <= 0 {
			wild = true
			continue
		}
		fields = append(fields, field(bucket(id)))
	}
	if wild {
		fields = append(fields, fieldWild)
	}
	fields = append(fields, fieldAll)
	for _, f := range fields {
		t.gen(f).Add(1)
	}
	return fields
}

// bumped is a change recorded in a topic: what the shared cache sends to
// Redis.
type bumped struct {
	name   string
	fields []field
}

// snapshot is the values of a plan's counters at one moment.
type snapshot struct {
	epoch uint64 // of the shared cache (see shared.go); 0 when not shared
	n     int
	v     [maxGens]uint64
}

// plan is what one GET depends on.
type plan struct {
	resource string // root path segment, a bounded label for metrics
	n        int
	gens     [maxGens]*atomic.Uint64
	topics   [maxGens]*topic // whose counter each gen is, for Redis
	fields   [maxGens]field
}

// add makes the plan depend on t's counter f. It fails when the plan has
// too many counters, or when the cache is shared and t is overflowTopic.
func (p *plan) add(t *topic, f field) bool {
	g := t.gen(f)
	for _, have := range p.gens[:p.n] {
		if have == g {
			return true
		}
	}
	if p.n == maxGens || t.shared && t.name == overflowTopic {
		return false
	}
	p.gens[p.n], p.topics[p.n], p.fields[p.n] = g, t, f
	p.n++
	return true
}

func (p *plan) snapshot() snapshot {
	s := snapshot{n: p.n}
	for i, g := range p.gens[:p.n] {
		s.v[i] = g.Load()
	}
	return s
}

// apiPath returns what follows "/api/v4/" in an upstream path (the base URL
// may have a prefix of its own, as a sandbox mounted under a path has).
func apiPath(path string) (string, bool) {
	_, rest, ok := strings.Cut(path, "/api/v4/")
	rest = strings.Trim(rest, "/")
	return rest, ok && rest != ""
}

func isID(seg string) bool {
	if seg == "" || len(seg) > 18 {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return false
		}
	}
	return true
}

// shape is a path split into its root (the entity type), the id that
// follows the root if any, and its topic (the path without ids).
type shape struct {
	root  string
	id    int
	hasID bool
	topic string
	whole bool // the path is the root or root/{id}: an entity or a list of them
}

func shapeOf(rest string) shape {
	root, tail, _ := strings.Cut(rest, "/")
	s := shape{root: root, topic: root}
	if first, after, _ := strings.Cut(tail, "/"); isID(first) {
		s.id, _ = strconv.Atoi(first)
		s.hasID = true
		tail = after
	}
	if tail == "" {
		s.whole = true
		return s
	}
	var b strings.Builder
	b.WriteString(root)
	for seg := range strings.SplitSeq(tail, "/") {
		if !isID(seg) {
			b.WriteByte('/')
			b.WriteString(seg)
		}
	}
	s.topic = b.String()
	return s
}

// definitions are sub-resources that describe an entity type rather than
// hold its data: changes of entities leave them as they are. (A change of a
// definition, which amoCRM reports by no webhook, shows in the entities'
// answers until CACHE_TTL.)
var definitions = map[string]bool{"custom_fields": true, "pipelines": true, "statuses": true, "groups": true}

// unrelated are sub-resources whose data no change of the entity touches:
// a chat's link to a contact changes when a chat is linked (the gateway's
// own write drops it) or, in amoCRM's chat products, with no webhook at all,
// so only CACHE_TTL covers that. Tying them to every contact change would
// drop every contact's chat list whenever any contact is edited.
var unrelated = map[string]bool{"chats": true}

// embedsByDefault are the types amoCRM embeds in an entity's answer without
// with=: a contact's and a lead's company.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api
// and https://www.amocrm.ru/developers/content/crm_platform/leads-api
var embedsByDefault = map[string][]string{
	"contacts":  {string(changes.Companies)},
	"leads":     {string(changes.Companies)},
	"customers": {"customers/segments"},
}

// withTopics maps with= values that embed other data to its topic; the
// other with= values add fields of the entity itself.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api
var withTopics = map[string]string{
	"contacts":         string(changes.Contacts),
	"leads":            string(changes.Leads),
	"companies":        string(changes.Companies),
	"customers":        string(changes.Customers),
	"catalog_elements": "catalogs",
	"segments":         "customers/segments",
	"loss_reason":      "leads/loss_reasons",
	"source":           "sources",
}

// resources are the roots reported to the Observer as they are; others are
// "other", so a metric's labels stay few whatever the paths.
var resources = map[string]bool{
	"account": true, "catalogs": true, "companies": true, "contacts": true, "customers": true,
	"events": true, "leads": true, "tasks": true, "users": true, "webhooks": true, "calls": true,
}

func resourceOf(root string) string {
	if resources[root] {
		return root
	}
	return "other"
}

// uncached are the roots whose answers are never kept, since no change
// notice covers them and their readers need them live: the account (what a
// readiness probe asks for), the webhook registrations (checked to notice
// that amoCRM disabled one) and the event log (read to catch up on lost
// webhooks).
var uncached = map[string]bool{"account": true, "webhooks": true, "events": true}

// readPlan returns what a GET of rest (see apiPath) with the given with=
// values (comma-separated) depends on, and false when it cannot be cached.
func (ts *topics) readPlan(rest, with string) (plan, bool) {
	s := shapeOf(rest)
	if uncached[s.root] {
		return plan{}, false
	}
	p := plan{resource: resourceOf(s.root)}
	ok := true
	switch {
	case s.whole && s.hasID:
		t := ts.get(s.root)
		ok = p.add(t, fieldWild) && p.add(t, field(bucket(s.id)))
	default:
		ok = p.add(ts.get(s.topic), fieldAll)
		if !s.whole {
			last := s.topic[strings.LastIndexByte(s.topic, '/')+1:]
			if !definitions[last] && !unrelated[last] {
				// Tags, notes, links... of an entity change with it.
				ok = ok && p.add(ts.get(s.root), fieldAll)
			}
		}
	}
	if s.whole {
		for _, dep := range embedsByDefault[s.root] {
			ok = ok && p.add(ts.get(dep), fieldAll)
		}
	}
	for w := range strings.SplitSeq(with, ",") {
		if dep, embeds := withTopics[strings.TrimSpace(w)]; embeds {
			ok = ok && p.add(ts.get(dep), fieldAll)
		}
	}
	return p, ok
}

// invalidateWrite bumps what a write to rest (see apiPath) may change and
// returns what it bumped. Ids in a write's body are not read: a batch
// write counts as a change of unknown ids of its type.
func (ts *topics) invalidateWrite(rest string) []bumped {
	s := shapeOf(rest)
	var ids []int
	if s.hasID {
		ids = []int{s.id}
	}
	var done []bumped
	bump := func(name string, ids []int) {
		done = append(done, bumped{name: name, fields: ts.get(name).bump(ids)})
	}
	if s.topic != s.root {
		bump(s.topic, nil)
	}
	// A chat's link to a contact shows in no contact's answer; every other
	// sub-resource (tags, notes, links, custom fields) may change what the
	// entity's own answers show.
	if s.topic != s.root+"/chats" {
		bump(s.root, ids)
	}
	// A complex add creates the lead's contact and company too.
	//
	// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-complex-add
	if s.topic == "leads/complex" {
		bump(string(changes.Contacts), nil)
		bump(string(changes.Companies), nil)
	}
	return done
}
