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
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The corpus of the differential tests: testdata/queries (see its
// README.md), and the read queries of the module's Go sources, found by
// parsing them.

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
