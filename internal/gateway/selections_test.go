package gateway

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Random selections over the schema, sent to both paths by
// TestDifferentialSelections. DIFFERENTIAL_SEED reproduces a run (its seed
// is logged); DIFFERENTIAL_N sets how many queries it sends.
const (
	seedEnv  = "DIFFERENTIAL_SEED"
	countEnv = "DIFFERENTIAL_N"
)

// Ids of the sandbox's demo data (see package sandbox), and some that do
// not exist or are not ids at all.
var (
	genContactIDs = []string{"3", "7143599", "7767065", "3102959", "10000001", "10000002", "10000017", "10000150", "10000300",
		"999999999", "40401635", "0", "abc"}
	genLeadIDs    = []string{"1", "3916883", "20000001", "20000206", "20000399", "99999999", "-1"}
	genCompanyIDs = []string{"1", "30000001", "30000007", "30000040", "99999999"}
	genChatIDs    = []string{"6cbab3d5-c4c1-46ff-b710-ad59ad10805f", "00000000-0000-0000-0000-000000000000"}
)

// selectionGen writes one random read operation: root fields with
// arguments (literal or variables), random subsets of each type's fields
// down to maxDepth, aliases (the same field twice with other
// sub-selections), fields repeated to merge, inline and named fragments,
// @skip/@include with variables and literals, and __typename.
type selectionGen struct {
	rng      *rand.Rand
	schema   *ast.Schema
	maxDepth int

	varDefs   []string
	vars      map[string]any
	fragments []string
	left      int             // fields the operation may still select: bounds its size
	n         int             // counter for alias, variable and fragment names
	roots     map[string]bool // Type.field of fields with arguments already answered under their own name
}

func newSelectionGen(schema *ast.Schema, seed uint64) *selectionGen {
	return &selectionGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), schema: schema}
}

func (g *selectionGen) chance(p float64) bool { return g.rng.Float64() < p }
func pickOne[T any](g *selectionGen, s []T) T { return s[g.rng.IntN(len(s))] }

func (g *selectionGen) name(prefix string) string {
	g.n++
	return prefix + strconv.Itoa(g.n)
}

// query returns a new operation and its variables.
func (g *selectionGen) query() (string, map[string]any) {
	g.maxDepth = 2 + g.rng.IntN(3) // 2–4 levels below the root
	g.varDefs, g.vars, g.fragments, g.n, g.roots = nil, map[string]any{}, nil, 0, map[string]bool{}
	g.left = 10 + g.rng.IntN(40)
	body := g.selectionSet(g.schema.Query, 0)
	var b strings.Builder
	b.WriteString("query")
	if g.chance(0.3) {
		b.WriteString(" " + g.name("Op"))
	}
	if len(g.varDefs) > 0 {
		b.WriteString("(" + strings.Join(g.varDefs, ", ") + ")")
	}
	b.WriteString(" " + body)
	for _, f := range g.fragments {
		b.WriteString("\n" + f)
	}
	if len(g.vars) == 0 {
		return b.String(), nil
	}
	return b.String(), g.vars
}

// variable defines a variable of typ with value v and returns its
// reference.
func (g *selectionGen) variable(typ string, v any) string {
	name := g.name("v")
	g.varDefs = append(g.varDefs, "$"+name+": "+typ)
	g.vars[name] = v
	return "$" + name
}

// directive returns "" or an @skip/@include with a literal or a variable.
func (g *selectionGen) directive() string {
	if !g.chance(0.15) {
		return ""
	}
	d := pickOne(g, []string{"skip", "include"})
	on := g.chance(0.5)
	if g.chance(0.7) {
		return fmt.Sprintf(" @%s(if: %s)", d, g.variable("Boolean!", on))
	}
	return fmt.Sprintf(" @%s(if: %t)", d, on)
}

// selectionSet writes a selection set of def at depth (0: the root).
func (g *selectionGen) selectionSet(def *ast.Definition, depth int) string {
	var fields []string
	want := 1 + g.rng.IntN(4)
	if depth == 0 {
		want = 1 + g.rng.IntN(3)
	}
	if g.left <= 0 {
		want = 1
	}
	for i := 0; i < want; i++ {
		if f := g.field(def, depth); f != "" {
			fields = append(fields, f)
		}
	}
	if g.chance(0.2) {
		fields = append(fields, g.alias()+"__typename")
	}
	if len(fields) == 0 { // every field of def has fields of its own, and the budget is spent
		fields = append(fields, "__typename")
	}
	if g.left <= 0 {
		return "{ " + strings.Join(fields, " ") + " }"
	}
	if g.chance(0.15) && depth < g.maxDepth {
		cond := ""
		if g.chance(0.6) {
			cond = " on " + def.Name
		}
		fields = append(fields, "..."+cond+g.directive()+" "+g.selectionSet(def, depth))
	}
	if g.chance(0.15) && depth < g.maxDepth {
		name := g.name("F")
		g.fragments = append(g.fragments, "fragment "+name+" on "+def.Name+" "+g.selectionSet(def, depth))
		fields = append(fields, "..."+name+g.directive())
	}
	g.rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	return "{ " + strings.Join(fields, " ") + " }"
}

func (g *selectionGen) alias() string {
	if g.chance(0.2) {
		return g.name("a") + ": "
	}
	return ""
}

// field writes one random field of def, or "" when none fits the depth.
func (g *selectionGen) field(def *ast.Definition, depth int) string {
	var fits []*ast.FieldDefinition
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || !g.canArgue(def, f) {
			continue
		}
		obj := g.schema.Types[f.Type.Name()].Kind == ast.Object
		if obj && (depth+1 > g.maxDepth || g.left <= 0 && depth > 0) {
			continue
		}
		fits = append(fits, f)
	}
	if len(fits) == 0 {
		return ""
	}
	f := pickOne(g, fits)
	g.left--
	sub := g.schema.Types[f.Type.Name()]
	if len(f.Arguments) > 0 {
		return g.argField(def, f, sub, depth)
	}
	if sub.Kind != ast.Object {
		return g.alias() + f.Name + g.directive()
	}
	out := g.alias() + f.Name + g.directive() + " " + g.selectionSet(sub, depth+1)
	switch {
	case g.left <= 0:
	case g.chance(0.15): // the same field under another name, selecting other things
		out += " " + g.name("a") + ": " + f.Name + " " + g.selectionSet(sub, depth+1)
	case g.chance(0.1): // the same field again, merged into one answer
		out += " " + f.Name + " " + g.selectionSet(sub, depth+1)
	}
	return out
}

// argField writes a field that takes arguments. It answers under its own
// name once per operation; other occurrences get aliases, as the same name
// with other arguments would not merge.
func (g *selectionGen) argField(def *ast.Definition, f *ast.FieldDefinition, sub *ast.Definition, depth int) string {
	args := g.args(def, f)
	prefix := ""
	if key := def.Name + "." + f.Name; g.roots[key] || g.chance(0.25) {
		prefix = g.name("a") + ": "
	} else {
		g.roots[key] = true
	}
	if sub.Kind != ast.Object {
		return prefix + f.Name + args + g.directive()
	}
	out := prefix + f.Name + args + g.directive() + " " + g.selectionSet(sub, depth+1)
	if g.left > 0 && g.chance(0.2) { // the same field twice, selecting other things
		out += " " + g.name("a") + ": " + f.Name + args + " " + g.selectionSet(sub, depth+1)
	}
	return out
}

// canArgue reports whether args can write f's arguments: the root fields
// it knows, and others whose required arguments are scalars, enums or
// lists of them (the schema may grow fields this generator has not met).
func (g *selectionGen) canArgue(def *ast.Definition, f *ast.FieldDefinition) bool {
	if def == g.schema.Query && knownRoots[f.Name] {
		return true
	}
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			if k := g.schema.Types[a.Type.Name()].Kind; k != ast.Scalar && k != ast.Enum {
				return false
			}
		}
	}
	return true
}

// knownRoots are the Query fields rootArgs writes arguments for.
var knownRoots = map[string]bool{"contact": true, "lead": true, "company": true, "chatLinks": true, "contacts": true}

// args writes f's arguments: demo ids and paging for the known root
// fields, a plausible value for each required argument of any other.
func (g *selectionGen) args(def *ast.Definition, f *ast.FieldDefinition) string {
	if def == g.schema.Query && knownRoots[f.Name] {
		return g.rootArgs(f.Name)
	}
	var out []string
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			out = append(out, a.Name+": "+g.value(a.Type))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "(" + strings.Join(out, ", ") + ")"
}

// value writes a literal of a scalar or enum type, or a list of one.
func (g *selectionGen) value(t *ast.Type) string {
	if t.Elem != nil {
		return "[" + g.value(t.Elem) + "]"
	}
	def := g.schema.Types[t.Name()]
	if def.Kind == ast.Enum {
		return pickOne(g, def.EnumValues).Name
	}
	switch t.Name() {
	case "Boolean":
		return strconv.FormatBool(g.chance(0.5))
	case "Int", "Float":
		return pickOne(g, []string{"0", "1", "3"})
	case "ID":
		return strconv.Quote(pickOne(g, genContactIDs))
	}
	return `"x"`
}

// arg renders a value as a literal or, sometimes, a variable of typ.
func (g *selectionGen) arg(typ string, v any) string {
	if g.chance(0.3) {
		return g.variable(typ, v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (g *selectionGen) rootArgs(field string) string {
	switch field {
	case "contact":
		return "(id: " + g.arg("ID!", pickOne(g, genContactIDs)) + ")"
	case "lead":
		return "(id: " + g.arg("ID!", pickOne(g, genLeadIDs)) + ")"
	case "company":
		return "(id: " + g.arg("ID!", pickOne(g, genCompanyIDs)) + ")"
	case "chatLinks":
		var args []string
		if g.chance(0.8) {
			args = append(args, "contactIds: "+g.arg("[ID!]", g.someIDs(genContactIDs[:6])))
		}
		if len(args) == 0 || g.chance(0.3) {
			args = append(args, "chatIds: "+g.arg("[String!]", g.someIDs(genChatIDs)))
		}
		return "(" + strings.Join(args, ", ") + ")"
	case "contacts":
		var args []string
		if g.chance(0.8) {
			args = append(args, "first: "+g.arg("Int", pickOne(g, []int{0, 1, 2, 3, 5, 5, 10, 10, 25, 50, 250, 251})))
		}
		if g.chance(0.25) {
			args = append(args, "filter: {ids: "+g.arg("[ID!]", g.someIDs(genContactIDs[:10]))+"}")
		}
		if g.chance(0.15) {
			args = append(args, "orderBy: {field: "+pickOne(g, []string{"ID", "UPDATED_AT"})+", direction: "+pickOne(g, []string{"ASC", "DESC"})+"}")
		}
		if g.chance(0.1) {
			args = append(args, "query: "+g.arg("String", pickOne(g, []string{"Иван", "dsgdsg", "nobody at all"})))
		}
		if g.chance(0.05) {
			args = append(args, "after: \"not a cursor\"")
		}
		if len(args) == 0 {
			return ""
		}
		return "(" + strings.Join(args, ", ") + ")"
	}
	return ""
}

// someIDs picks 1–3 distinct items of ids.
func (g *selectionGen) someIDs(ids []string) []string {
	perm := g.rng.Perm(len(ids))
	out := make([]string, 0, 3)
	for _, i := range perm[:1+g.rng.IntN(min(3, len(ids)))] {
		out = append(out, ids[i])
	}
	return out
}

// TestDifferentialSelections sends random valid selections to both paths,
// healthy, and a third of them again under the fault profiles.
func TestDifferentialSelections(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(seedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
		seed = v
	}
	n := 200
	if s := os.Getenv(countEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s=%q: %v", countEnv, s, err)
		}
		n = v
	}
	t.Logf("seed %d (%s=%d reproduces this run), %d queries", seed, seedEnv, seed, n)
	schema := loadSchema(t)
	g := newSelectionGen(schema, seed)
	p := startPair(t, nil)
	var withErrors, nullData int
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		q, vars := g.query()
		for name, re := range features {
			if re.MatchString(q) {
				seen[name]++
			}
		}
		if _, errs := gqlparser.LoadQuery(schema, q); len(errs) > 0 {
			t.Errorf("generated query %d is invalid (%v):\n%s", i, errs, q)
			continue
		}
		r := diffRequest{Name: fmt.Sprintf("selection %d of seed %d", i, seed), Query: q, Variables: vars}
		var profiles []faultProfile
		if i%3 == 0 {
			profiles = faultProfiles
		}
		a := p.run(t, r, profiles)
		var out struct {
			Data   json.RawMessage
			Errors []json.RawMessage
		}
		_ = json.Unmarshal(a.body, &out)
		if len(out.Errors) > 0 {
			withErrors++
		}
		if len(out.Data) == 0 || string(out.Data) == "null" {
			nullData++
		}
		if t.Failed() {
			t.Fatalf("stopping at the first difference; reproduce with %s=%d", seedEnv, seed)
		}
	}
	t.Logf("healthy answers: %d with errors, %d without data, of %d", withErrors, nullData, n)
	t.Logf("queries with: %v", seen)
}

// features are what the log counts in the generated queries.
var features = map[string]*regexp.Regexp{
	"alias":           regexp.MustCompile(`\ba\d+: `),
	"inline fragment": regexp.MustCompile(`\.\.\. ?(on |@|\{)`),
	"named fragment":  regexp.MustCompile(`\.\.\.F\d+`),
	"@skip":           regexp.MustCompile(`@skip`),
	"@include":        regexp.MustCompile(`@include`),
	"variables":       regexp.MustCompile(`\$v\d+`),
	"__typename":      regexp.MustCompile(`__typename`),
	"contact(id:)":    regexp.MustCompile(`\bcontact\(`),
	"contacts(...)":   regexp.MustCompile(`\bcontacts\(`),
	"lead(id:)":       regexp.MustCompile(`\blead\(`),
	"company(id:)":    regexp.MustCompile(`\bcompany\(`),
	"chatLinks(...)":  regexp.MustCompile(`\bchatLinks\(`),
}
