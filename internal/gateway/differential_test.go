package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	goast "go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amogql/amogql/internal/sandbox"
)

// The differential tests hold the plan executor to the resolver path: the
// same request sent to a gateway as configured and to one with
// ForceResolvers, both in front of one sandbox, must be answered with the
// same status and the same bytes (data, and errors with their paths and
// extensions). Until the executor covers an operation both sides run
// gqlgen's resolvers and agree trivially; each operation it takes over is
// then checked by every query here.
//
// The queries are the corpus in testdata/queries (every read query of the
// module's Go sources, see corpus_extract below, and hand-written ones, e.g.
// the e2e suite's), queries of the Go sources not yet in the corpus, and
// random selections over the schema (selections_test.go).

// diffPair is two gateways in front of one sandbox: plan as configured,
// resolvers with ForceResolvers.
type diffPair struct {
	sb                    *sandbox.Sandbox
	planURL, resolversURL string
	upURL                 string
	mu                    sync.Mutex // one comparison at a time: the faults are the pair's
}

// startPair starts the two gateways on one sandbox socket, so their
// configurations differ in ForceResolvers alone (BaseURL included: the
// sandbox derives its _links from the Host it is called by).
func startPair(t *testing.T, sb *sandbox.Sandbox) *diffPair {
	t.Helper()
	if sb == nil {
		sb = sandbox.New()
	}
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	start := func(force bool) string {
		cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, UpstreamTimeout: 5 * time.Second, ForceResolvers: force}
		u, err := NewUpstream(cfg, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
		t.Cleanup(gw.Close)
		return gw.URL
	}
	return &diffPair{sb: sb, planURL: start(false), resolversURL: start(true), upURL: up.URL}
}

// diffRequest is one GraphQL request of the differential tests.
type diffRequest struct {
	Name          string
	Query         string
	Variables     map[string]any
	OperationName string
}

func (r diffRequest) body() []byte {
	m := map[string]any{"query": r.Query}
	if r.Variables != nil {
		m["variables"] = r.Variables
	}
	if r.OperationName != "" {
		m["operationName"] = r.OperationName
	}
	b, _ := json.Marshal(m)
	return b
}

// diffAnswer is what one gateway answered.
type diffAnswer struct {
	status int
	body   []byte
}

func diffPost(t *testing.T, url string, body []byte) diffAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/query", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s/query: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer of %s/query: %v", url, err)
	}
	return diffAnswer{status: resp.StatusCode, body: b}
}

// compare sends r to both gateways under faults (nil: none) and reports
// any difference with the request. It returns the resolver path's answer.
func (p *diffPair) compare(t *testing.T, r diffRequest, faults *sandbox.Faults) diffAnswer {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if faults != nil {
		p.sb.SetFaults(*faults)
		defer p.sb.ClearFaults()
	}
	body := r.body()
	plan := diffPost(t, p.planURL, body)
	res := diffPost(t, p.resolversURL, body)
	if plan.status != res.status || !sameAnswer(plan.body, res.body) {
		t.Errorf("%s: the plan executor and the resolvers answer differently\nrequest: %s\nstatus: plan %d, resolvers %d\n-resolvers +plan:\n%s",
			r.Name, body, plan.status, res.status, answerDiff(res.body, plan.body))
	}
	return res
}

// sameAnswer reports whether two answers are the same bytes, but for the
// order of their errors. The resolver path has no order of its own: gqlgen
// runs the elements of a list in goroutines, and their errors join the list
// as they happen, so two runs of one query on that path list them
// differently (the GraphQL spec leaves the order open). So when the bytes
// differ, b's errors are swapped for a's if the two lists hold the same
// errors byte for byte (message, path, extensions), and the whole answers
// must then be equal.
func sameAnswer(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	fromA, toA, okA := errorsAt(a)
	fromB, toB, okB := errorsAt(b)
	if !okA || !okB || !sameErrors(a[fromA:toA], b[fromB:toB]) {
		return false
	}
	swapped := slices.Concat(b[:fromB], a[fromA:toA], b[toB:])
	return bytes.Equal(a, swapped)
}

// errorsAt finds the value of the top-level "errors" member of a JSON
// object: b[from:to].
func errorsAt(b []byte) (from, to int, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, 0, false
	}
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		if err != nil || !isKey {
			return 0, 0, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0, 0, false
		}
		if key == "errors" {
			to := int(dec.InputOffset())
			return to - len(v), to, true
		}
	}
	return 0, 0, false
}

// sameErrors reports whether two error lists hold the same errors, byte
// for byte, in any order.
func sameErrors(a, b json.RawMessage) bool {
	var ea, eb []json.RawMessage
	if json.Unmarshal(a, &ea) != nil || json.Unmarshal(b, &eb) != nil || len(ea) != len(eb) {
		return false
	}
	byBytes := func(x, y json.RawMessage) int { return bytes.Compare(x, y) }
	slices.SortFunc(ea, byBytes)
	slices.SortFunc(eb, byBytes)
	return slices.EqualFunc(ea, eb, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })
}

// answerDiff shows two answers line by line, indented, or raw when they
// differ only in formatting.
func answerDiff(want, got []byte) string {
	indent := func(b []byte) string {
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err != nil {
			return string(b)
		}
		return out.String()
	}
	if d := cmp.Diff(indent(want), indent(got)); d != "" {
		return d
	}
	return "same JSON, other bytes:\nresolvers: " + string(want) + "\nplan:      " + string(got)
}

// run compares r healthy, then under each of profiles that fails a call
// the healthy run made (the others would change nothing).
func (p *diffPair) run(t *testing.T, r diffRequest, profiles []faultProfile) diffAnswer {
	t.Helper()
	p.sb.ResetCalls()
	a := p.compare(t, r, nil)
	reqs := p.sb.Requests()
	for _, fp := range profiles {
		if slices.ContainsFunc(reqs, func(rr sandbox.RecordedRequest) bool { return fp.fails(rr.Path) }) {
			fr := r
			fr.Name += " under " + fp.name
			p.compare(t, fr, fp.faults)
		}
	}
	return a
}

// faultProfile is a set of upstream failures.
type faultProfile struct {
	name   string
	faults *sandbox.Faults
}

// fails reports whether the profile fails calls to path: its keys match
// whole path segments, as the sandbox matches them.
func (fp faultProfile) fails(path string) bool {
	for k := range fp.faults.PathStatus {
		if path == k || strings.HasPrefix(path, k+"/") {
			return true
		}
	}
	return false
}

// faultProfiles are the upstream failures queries also run under, so that
// partial answers (null relations with errors at their paths) and failed
// roots are compared too. They are 4xx answers, which are neither retried
// nor counted by the circuit breaker, so both gateways see the same
// upstream on every call.
var faultProfiles = []faultProfile{
	{"customers unpaid, chats forbidden", &sandbox.Faults{PathStatus: map[string]int{
		"/api/v4/customers": http.StatusPaymentRequired, "/api/v4/contacts/chats": http.StatusForbidden}}},
	{"leads and catalogs forbidden, companies missing", &sandbox.Faults{PathStatus: map[string]int{
		"/api/v4/leads": http.StatusForbidden, "/api/v4/catalogs": http.StatusForbidden, "/api/v4/companies": http.StatusNotFound}}},
	{"contacts forbidden", &sandbox.Faults{PathStatus: map[string]int{"/api/v4/contacts": http.StatusForbidden}}},
}

// TestDifferentialCorpus sends every corpus query, and every read query of
// the Go sources not yet in the corpus, to both paths: healthy, and under
// each fault profile that fails one of its calls.
func TestDifferentialCorpus(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	found := sourceQueries(t, schema)
	if os.Getenv(refreshEnv) == "1" {
		refreshCorpus(t, found)
	}
	corpus := loadCorpus(t, schema)
	extra := missingFromCorpus(found, corpus)
	t.Logf("corpus: %d requests from testdata/queries; %d read queries found in the Go sources", len(corpus), len(found))
	if len(extra) > 0 {
		t.Logf("%d read queries of the Go sources are not in testdata/queries yet (run with %s=1 to add them); sent anyway:", len(extra), refreshEnv)
		for _, r := range extra {
			t.Logf("  %s: %.100q", r.Name, r.Query)
		}
	}
	p := startPair(t, nil)
	for _, r := range append(corpus, extra...) {
		p.run(t, r, faultProfiles)
	}
}

// loadSchema parses the schema the gateway serves, for validating queries.
func loadSchema(t testing.TB) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../../schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v (%d)", err, len(files))
	}
	var src []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, &ast.Source{Name: f, Input: string(b)})
	}
	s, gerr := gqlparser.LoadSchema(src...)
	if gerr != nil {
		t.Fatalf("schema: %v", gerr)
	}
	return s
}

// readOperations returns the names of query's operations ("" for an
// anonymous one) if it is a valid document of queries only, or nil.
func readOperations(schema *ast.Schema, query string) []string {
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 || len(doc.Operations) == 0 {
		return nil
	}
	var names []string
	for _, op := range doc.Operations {
		if op.Operation != ast.Query {
			return nil
		}
		names = append(names, op.Name)
	}
	return names
}

// requests makes one request per operation of a read document.
func requests(name, query string, vars map[string]any, ops []string) []diffRequest {
	if len(ops) == 1 {
		return []diffRequest{{Name: name, Query: query, Variables: vars}}
	}
	var out []diffRequest
	for _, op := range ops {
		out = append(out, diffRequest{Name: name + "#" + op, Query: query, Variables: vars, OperationName: op})
	}
	return out
}

// loadCorpus reads testdata/queries: each NAME.graphql is a read document,
// with its variables in NAME.json when it has any: an object, or an array
// of objects to send the document once with each.
func loadCorpus(t *testing.T, schema *ast.Schema) []diffRequest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []diffRequest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".graphql")
		query := withoutHeader(string(b))
		ops := readOperations(schema, query)
		if ops == nil {
			t.Errorf("%s: not a valid document of queries only", f)
			continue
		}
		vb, err := os.ReadFile(strings.TrimSuffix(f, ".graphql") + ".json")
		if err != nil {
			out = append(out, requests(name, query, nil, ops)...)
			continue
		}
		var sets []map[string]any
		if bytes.HasPrefix(bytes.TrimSpace(vb), []byte("[")) {
			err = json.Unmarshal(vb, &sets)
		} else {
			sets = make([]map[string]any, 1)
			err = json.Unmarshal(vb, &sets[0])
		}
		if err != nil {
			t.Errorf("%s.json: %v", name, err)
		}
		for i, vars := range sets {
			out = append(out, requests(fmt.Sprintf("%s[%d]", name, i), query, vars, ops)...)
		}
	}
	if len(out) == 0 {
		t.Fatal("empty corpus")
	}
	return out
}

// corpusDir holds the corpus. Files whose first line starts with
// extractedHeader were written by the refresh from the Go sources; the
// others are written by hand (queries built at run time, the e2e suite's).
const (
	corpusDir       = "testdata/queries"
	extractedHeader = "# extracted from "
	// refreshEnv=1 rewrites the extracted part of the corpus from the
	// module's Go sources: go test -run DifferentialCorpus ./internal/gateway/
	refreshEnv = "DIFFERENTIAL_REFRESH"
)

// sourceQuery is a read document found as a string literal in a Go file.
type sourceQuery struct {
	file, query string
	ops         []string
}

// sourceQueries finds every string literal of the module's Go sources (tests,
// CostQueries, the load commands, ...) that is a valid document of queries
// only. Queries assembled at run time (fmt.Sprintf, concatenation) are not
// found: write those into the corpus by hand.
func sourceQueries(t *testing.T, schema *ast.Schema) []sourceQuery {
	t.Helper()
	const root = "../.."
	var out []sourceQuery
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", "e2e", "vendor":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || d.Name() == "generated.go" || strings.HasSuffix(path, "_gen.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Logf("skipping %s: %v", path, err) // someone may be mid-edit
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		goast.Inspect(f, func(n goast.Node) bool {
			lit, ok := n.(*goast.BasicLit)
			if !ok || lit.Kind != token.STRING || !strings.Contains(lit.Value, "{") {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || seen[queryHash(s)] {
				return true
			}
			if ops := readOperations(schema, s); ops != nil {
				seen[queryHash(s)] = true
				out = append(out, sourceQuery{file: filepath.ToSlash(rel), query: s, ops: ops})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withoutHeader is a corpus file's query without its leading comment
// lines, as its source sends it.
func withoutHeader(q string) string {
	q = strings.TrimSpace(q)
	for strings.HasPrefix(q, "#") {
		_, q, _ = strings.Cut(q, "\n")
		q = strings.TrimSpace(q)
	}
	return q
}

// queryHash names a query by its text without leading comment lines.
func queryHash(q string) string {
	sum := sha256.Sum256([]byte(withoutHeader(q)))
	return hex.EncodeToString(sum[:4])
}

// missingFromCorpus returns the requests of the source queries the corpus
// lacks.
func missingFromCorpus(found []sourceQuery, corpus []diffRequest) []diffRequest {
	have := map[string]bool{}
	for _, r := range corpus {
		have[queryHash(r.Query)] = true
	}
	var out []diffRequest
	for _, q := range found {
		if !have[queryHash(q.query)] {
			out = append(out, requests(q.file+" (not in corpus)", q.query, nil, q.ops)...)
		}
	}
	return out
}

// refreshCorpus rewrites the extracted corpus files: one per source query,
// stale ones removed (with their variables), hand-written ones kept.
func refreshCorpus(t *testing.T, found []sourceQuery) {
	t.Helper()
	keep := map[string]bool{}
	for _, q := range found {
		name := strings.NewReplacer("/", "_", ".go", "").Replace(q.file) + "_" + queryHash(q.query) + ".graphql"
		keep[name] = true
		text := extractedHeader + q.file + "; refresh: " + refreshEnv + "=1 go test -run DifferentialCorpus ./internal/gateway/\n" + strings.TrimSpace(q.query) + "\n"
		if err := os.WriteFile(filepath.Join(corpusDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.graphql"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.HasPrefix(b, []byte(extractedHeader)) && !keep[filepath.Base(f)] {
			_ = os.Remove(f)
			_ = os.Remove(strings.TrimSuffix(f, ".graphql") + ".json")
		}
	}
	t.Logf("corpus refreshed: %d queries of the Go sources", len(found))
}
