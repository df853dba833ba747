package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

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
// module's Go sources and hand-written ones, e.g. the e2e suite's; see
// corpus_test.go), queries of the Go sources not yet in the corpus, and
// random selections over the schema (selections_test.go).

// diffPair is two gateways in front of one sandbox: plan as configured,
// resolvers with ForceResolvers.
type diffPair struct {
	sb                    *sandbox.Sandbox
	planURL, resolversURL string
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
	return &diffPair{sb: sb, planURL: start(false), resolversURL: start(true)}
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

// sameAnswer reports whether two answers are the same bytes. Errors
// included: the gateway sorts them by path (graph.SortErrors), where gqlgen
// alone lists a list's errors in the order its goroutines finish.
func sameAnswer(a, b []byte) bool { return bytes.Equal(a, b) }

// TestDifferentialSameAnswer holds the comparison itself to what it must
// catch: any other byte in data, an error's path or extensions, the order
// of the members or of the errors, formatting.
func TestDifferentialSameAnswer(t *testing.T) {
	t.Parallel()
	const (
		e1   = `{"message":"m","path":["contacts","nodes",0,"chats"],"extensions":{"code":"FORBIDDEN","upstreamStatus":403}}`
		e2   = `{"message":"m","path":["contacts","nodes",1,"chats"],"extensions":{"code":"FORBIDDEN","upstreamStatus":403}}`
		data = `"data":{"contacts":{"nodes":[{"id":"3","chats":null},{"id":"7","chats":null}]}}`
		both = `{"errors":[` + e1 + `,` + e2 + `],` + data + "}\n"
	)
	cases := []struct {
		name, other string
		same        bool
	}{
		{"identical", both, true},
		{"errors in another order", `{"errors":[` + e2 + `,` + e1 + `],` + data + "}\n", false},
		{"one byte of data", strings.Replace(both, `"id":"7"`, `"id":"8"`, 1), false},
		{"an error's path", strings.Replace(both, `"nodes",1,`, `"nodes",2,`, 1), false},
		{"an extension dropped", strings.Replace(both, `,"upstreamStatus":403}}]`, `}}]`, 1), false},
		{"an error missing", `{"errors":[` + e1 + `],` + data + "}\n", false},
		{"an error twice", `{"errors":[` + e1 + `,` + e1 + `],` + data + "}\n", false},
		{"data before errors", `{` + data + `,"errors":[` + e1 + `,` + e2 + "]}\n", false},
		{"formatting", strings.TrimSuffix(both, "\n"), false},
		{"null for an empty list", strings.Replace(both, `"chats":null}]`, `"chats":[]}]`, 1), false},
	}
	for _, tc := range cases {
		if got := sameAnswer([]byte(both), []byte(tc.other)); got != tc.same {
			t.Errorf("%s: sameAnswer = %t, want %t", tc.name, got, tc.same)
		}
	}
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
	{"users and pipelines forbidden", &sandbox.Faults{PathStatus: map[string]int{
		"/api/v4/users": http.StatusForbidden, "/api/v4/leads/pipelines": http.StatusForbidden}}},
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
