package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/gateway"
	"github.com/amogql/amogql/internal/loader"
	"github.com/amogql/amogql/internal/sandbox"
)

// pair is the same gateway twice over one sandbox: with the plan executor
// (the default) and with ForceResolvers.
type pair struct {
	sb              *sandbox.Sandbox
	plan, resolvers http.Handler
}

func newPair(t *testing.T) *pair {
	t.Helper()
	sb := sandbox.New()
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	p := &pair{sb: sb}
	for _, force := range []bool{false, true} {
		cfg := gateway.Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, ForceResolvers: force}
		u, err := gateway.NewUpstream(cfg, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		h := gateway.New(zerolog.Nop(), cfg, u)
		if force {
			p.resolvers = h
		} else {
			p.plan = h
		}
	}
	return p
}

func postQuery(t *testing.T, h http.Handler, query string, vars map[string]any) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	return rw.Body.Bytes()
}

// selections are the shapes the executor must answer as the resolvers do.
var selections = []struct {
	name, query string
	vars        map[string]any
}{
	{"aliases", `{ x: contact(id: 3) { n: name i: id id } y: contacts(first: 3) { e: edges { c: cursor n: node { id k: name } } } }`, nil},
	{"fragments", `query { contacts(first: 5) { ...C } } fragment C on ContactConnection { nodes { ...N } pageInfo { hasNextPage endCursor } } fragment N on Contact { id ... on Contact { name } leads { id } leads { name } }`, nil},
	{"skip and include", `query($s: Boolean!, $i: Boolean!) { contact(id: 3) { id name @skip(if: $s) leads @include(if: $i) { id name } companies @skip(if: $i) { id } } }`, map[string]any{"s": true, "i": true}},
	{"skip and include other way", `query($s: Boolean!, $i: Boolean!) { contact(id: 3) { id name @skip(if: $s) leads @include(if: $i) { id name } companies @skip(if: $i) { id } } }`, map[string]any{"s": false, "i": false}},
	{"typename everywhere", `{ __typename contact(id: 10000001) { __typename tags { __typename id } leads { __typename id name tags { __typename name color } } companies { __typename name } customFieldsValues { __typename values { __typename value } } phoneNumbers { __typename value } } contacts(first: 2) { __typename edges { __typename node { __typename } } pageInfo { __typename } } }`, nil},
	{"unknown contact is null", `{ contact(id: 999999999) { id name } }`, nil},
	{"empty page", `{ contacts(first: 0) { nodes { id } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil},
	{"page info", `{ contacts(first: 2) { nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil},
	{"window from the middle", `{ contacts(first: 10, last: 3) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil},
	{"every contact scalar", `{ contacts(first: 50) { nodes { id name firstName lastName responsibleUserId groupId createdBy updatedBy createdAt updatedAt isDeleted closestTaskAt accountId requestId phones emails } } }`, nil},
	{"custom fields", `{ contacts(first: 50) { nodes { customFieldsValues { fieldId fieldName fieldCode fieldType values { value enumId enumCode enum catalogId catalogElementId } } phoneNumbers { value label enumId } emailAddresses { value label enumId } } } }`, nil},
	{"lead and company scalars", `{ contacts(first: 30) { nodes { leads { id name price responsibleUserId groupId statusId pipelineId lossReasonId sourceId createdBy updatedBy createdAt updatedAt closedAt closestTaskAt isDeleted score accountId customFieldsValues { fieldId values { value } } tags { id name color } } companies { id name responsibleUserId groupId createdBy updatedBy createdAt updatedAt closestTaskAt isDeleted accountId customFieldsValues { fieldCode } tags { name } } } } }`, nil},
	{"ids only", `{ contacts(first: 20) { nodes { leads { id } companies { __typename id } } } }`, nil},
	{"order and filter", `{ a: contacts(first: 5, orderBy: {field: ID, direction: DESC}) { nodes { id } } b: contacts(filter: {ids: [3, 10000001]}) { nodes { id name } } }`, nil},
	{"search", `query($q: String) { contacts(first: 5, query: $q) { nodes { id name } } }`, map[string]any{"q": "a"}},
	{"bad id falls back", `{ contact(id: "x") { id } }`, nil},
	{"bad page falls back", `{ contacts(first: 300) { nodes { id } } }`, nil},
	{"bad cursor falls back", `{ contacts(after: "nope") { nodes { id } } }`, nil},
}

// TestExecutorMatchesResolvers: every cost-table query and every selection
// of the table answers byte for byte as the resolvers answer it.
func TestExecutorMatchesResolvers(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	type q struct {
		name, query string
		vars        map[string]any
	}
	var all []q
	for _, c := range gateway.CostQueries {
		all = append(all, q{c.Bench, c.Query, nil})
	}
	for _, s := range selections {
		all = append(all, q{s.name, s.query, s.vars})
	}
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			got := postQuery(t, p.plan, c.query, c.vars)
			want := postQuery(t, p.resolvers, c.query, c.vars)
			if !bytes.Equal(got, want) {
				t.Errorf("plan path\n%s\nresolvers\n%s", got, want)
			}
			if !strings.Contains(c.name, "falls back") && bytes.Contains(got, []byte(`"errors"`)) {
				t.Errorf("errors: %s", got)
			}
		})
	}
}

// TestExecutorEscapesAsGqlgen: names with quotes, backslashes, control
// characters, HTML and line separators come out as gqlgen writes them.
func TestExecutorEscapesAsGqlgen(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	name := "q\"b\\s\x01t\tn\nr\r<&>\u2028é😀"
	resp := postQuery(t, p.resolvers, `mutation($n: String) { createContacts(input: [{name: $n, firstName: $n}]) { contacts { id } userErrors { code } } }`, map[string]any{"n": name})
	var out struct {
		Data struct {
			CreateContacts struct{ Contacts []struct{ ID string } }
		}
	}
	if err := json.Unmarshal(resp, &out); err != nil || len(out.Data.CreateContacts.Contacts) != 1 {
		t.Fatalf("create: %v %s", err, resp)
	}
	id := out.Data.CreateContacts.Contacts[0].ID
	q := `query($id: ID!) { contact(id: $id) { id name firstName } }`
	vars := map[string]any{"id": id}
	got, want := postQuery(t, p.plan, q, vars), postQuery(t, p.resolvers, q, vars)
	if !bytes.Equal(got, want) || !bytes.Contains(got, []byte(`\u0001`)) {
		t.Errorf("plan path\n%s\nresolvers\n%s", got, want)
	}
}

// TestExecutorFallsBackOnFailure: when a related read fails, the plan path
// hands the operation to gqlgen, whose answer (partial data, errors with
// their paths) is the resolvers' own, with no upstream call repeated: the
// loaders' reads are cached (failed ones included: their cached thunks
// return the error), and the contacts list is handed over.
func TestExecutorFallsBackOnFailure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, path, query string }{
		{"related read", "/api/v4/leads", `{ contacts(first: 5) { nodes { id leads { name } companies { name } } } }`},
		{"the list", "/api/v4/contacts", `{ contacts(first: 5) { nodes { id } } }`},
		{"contact by id", "/api/v4/contacts/3", `{ contact(id: 3) { id } }`},
		{"the leads list", "/api/v4/leads", `{ leads(first: 5) { nodes { id name } pageInfo { hasNextPage } } }`},
		{"the users beside the tasks list", "/api/v4/users", `{ tasks(first: 5, filter: {isCompleted: false}) { nodes { id text responsibleUser { name } } pageInfo { hasNextPage } } }`},
		{"the companies list", "/api/v4/companies", `{ companies(first: 5) { nodes { id name } pageInfo { hasNextPage } } }`},
		{"the customers list", "/api/v4/customers", `{ customers(first: 5) { nodes { id name nextPrice } pageInfo { hasNextPage } } }`},
		{"contacts under a customers page", "/api/v4/contacts", `{ customers(first: 20) { nodes { name contacts { name } notes(first: 2) { nodes { text } } } pageInfo { endCursor } } }`},
		{"contacts under a companies page", "/api/v4/contacts", `{ companies(first: 20) { nodes { name contacts { name } } pageInfo { endCursor } } }`},
		{"the users beside a leads page", "/api/v4/users", `{ leads(first: 5) { edges { cursor node { name responsibleUser { name } } } pageInfo { endCursor } } }`},
		{"the pipelines beside a leads page", "/api/v4/leads/pipelines", `{ leads(first: 200) { nodes { name status { name } } pageInfo { hasNextPage } } }`},
		{"a contact's notes", "/api/v4/contacts/notes", `{ contact(id: 3) { name notes(first: 2) { nodes { id text } pageInfo { hasNextPage } } tasks { id } } }`},
		{"the tasks of a page", "/api/v4/tasks", `{ contacts(first: 10) { nodes { name notes { nodes { id } } tasks(isCompleted: false) { text responsibleUser { name } } } } }`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var bodies [2][]byte
			var calls [2]int
			for i, force := range []bool{false, true} {
				sb := sandbox.New()
				up := httptest.NewServer(sb)
				defer up.Close()
				cfg := gateway.Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, ForceResolvers: force}
				u, err := gateway.NewUpstream(cfg, zerolog.Nop())
				if err != nil {
					t.Fatal(err)
				}
				h := gateway.New(zerolog.Nop(), cfg, u)
				sb.SetFaults(sandbox.Faults{PathStatus: map[string]int{tt.path: http.StatusBadRequest}})
				sb.ResetCalls()
				bodies[i] = postQuery(t, h, tt.query, nil)
				calls[i] = sb.TotalCalls()
			}
			if !bytes.Equal(bodies[0], bodies[1]) {
				t.Errorf("plan path\n%s\nresolvers\n%s", bodies[0], bodies[1])
			}
			if !bytes.Contains(bodies[0], []byte(`"errors"`)) {
				t.Errorf("no errors: %s", bodies[0])
			}
			if calls[0] != calls[1] {
				t.Errorf("upstream calls: plan path %d, resolvers %d", calls[0], calls[1])
			}
		})
	}
}

// TestExecutorTakesPlanPath: covered queries are answered by the plan,
// others by gqlgen.
func TestExecutorTakesPlanPath(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	client, err := amocrm.NewClient(amocrm.WithBaseURL(up.URL), amocrm.WithToken(sandbox.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	planned := map[string]bool{}
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Client: client, Log: zerolog.Nop()}}))
	gql.AddTransport(transport.POST{})
	gql.Use(graph.Lookahead{})
	gql.Use(graph.Executor{Client: client, Observe: func(ctx context.Context, ok bool) {
		mu.Lock()
		planned[graphql.GetOperationContext(ctx).RawQuery] = ok
		mu.Unlock()
	}})
	h := loader.Middleware(client)(gql)
	for _, tt := range []struct {
		query string
		plan  bool
	}{
		{`{ contact(id: 3) { id name tags { name } } }`, true},
		{`{ contacts(first: 50) { nodes { id name leads { id name price } companies { id name } } } }`, true},
		{`{ __typename }`, true},
		{`{ contact(id: 3) { customers { id } } }`, false},
		{`{ lead(id: 20000206) { name price tags { name } } company(id: 1) { id name } }`, true},
		{`{ lead(id: 20000206) { name contacts { id name } companies { id } } }`, true},
		{`{ lead(id: 20000206) { name catalogElements { quantity } } }`, false},
		{`{ contacts(first: 50) { nodes { name responsibleUser { name isAdmin groupId } leads { name pipeline { name statuses { id name } } status { id name color } responsibleUser { id } } } } }`, true},
		{`{ contact(id: 3) { notes(first: 5) { nodes { id noteType text params } pageInfo { hasNextPage } } tasks(isCompleted: false) { text responsibleUser { name } } } }`, true},
		{`{ contacts(first: 5) { nodes { leads { notes { nodes { id } } } } } }`, false},
		{`{ leads(first: 5) { nodes { contacts { tasks { id } } } } }`, false},
		{`{ leads(first: 200, filter: {statuses: [{pipelineId: 5000001}]}) { nodes { id name price status { name color } pipeline { name } responsibleUser { name } } pageInfo { hasNextPage endCursor } } }`, true},
		{`{ leads(first: 5) { edges { cursor node { id } } } }`, true},
		{`{ customers(first: 20) { nodes { name nextPrice nextDate ltv tags { name } responsibleUser { name } contacts { id name } companies { name } notes(first: 3) { nodes { text } } tasks { text } } } }`, true},
		{`{ tasks(first: 50, filter: {isCompleted: false}, orderBy: {field: COMPLETE_TILL, direction: ASC}) { nodes { id text completeTill entityType entityId } pageInfo { hasNextPage endCursor } } }`, true},
		{`{ companies(first: 5, query: "ООО") { edges { cursor node { name leads { name } } } pageInfo { hasNextPage } } }`, true},
		{`{ leads(first: 5) { nodes { contacts { id leads { name } } } } }`, true},
		{`{ leads(first: 5) { nodes { contacts { customers { id } } } } }`, false},
		{`{ lead(id: 999) { name } }`, true}, // none: null
		{`{ contacts(first: 2) { nodes { companies { contacts { name } } } } }`, true},
		{`{ contacts(first: 2) { nodes { chats { chatId } } } }`, false},
		{`{ __schema { queryType { name } } }`, false},
		{`{ contact(id: "x") { id } }`, false}, // covered, but the argument does not coerce
	} {
		postQuery(t, h, tt.query, nil)
		mu.Lock()
		got, seen := planned[tt.query]
		mu.Unlock()
		if !seen || got != tt.plan {
			t.Errorf("%s: planned %v (seen %v), want %v", tt.query, got, seen, tt.plan)
		}
	}
}
