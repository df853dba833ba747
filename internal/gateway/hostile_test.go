package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/gqlhttp"
)

// marker stands for personal data in a hostile request: it is placed where
// no answer has a reason to quote it, and no answer may.
const marker = "Marker-Ivanov-79161234567"

// Codes of gqlgen's request errors.
const (
	codeParse      = "GRAPHQL_PARSE_FAILED"
	codeValidation = "GRAPHQL_VALIDATION_FAILED"
)

// hostileCase is one malformed or abusive request. Every case must be
// answered quickly, with a GraphQL error that has extensions.code (or, for
// the __typename cases, with data), and must not cost a single amoCRM call.
type hostileCase struct {
	name        string
	method      string // default POST
	rawQuery    string // the URL query
	contentType string // default application/json; "-" sends none
	accept      string // default application/graphql-response+json; "-" sends none
	body        string
	header      []string // more name, value pairs
	chunked     bool     // send the body without a Content-Length

	wantStatus int
	wantCode   string // "" wants data and no errors
	wantAllow  string // the Allow header of a 405
	maxAnswer  int    // if set, the answer's size limit in bytes
	maxErrors  int    // if set, the most errors the answer may list
	// tokenHeavy: a parser token limit (gql.SetParserTokenLimit) may refuse
	// the document before what the case tests; its 400 GRAPHQL_PARSE_FAILED
	// is as right an answer.
	tokenHeavy bool
	// skip names what the case needs that the gateway does not have yet.
	skip string
}

// TestHostileRequests runs its cases in parallel with each other but not
// beside the package's other tests (see TestGraphQLOverHTTP): megabyte bodies
// and ten-thousand-item batches load the CPU.
func TestHostileRequests(t *testing.T) {
	var cases []hostileCase
	cases = append(cases, transportCases()...)
	cases = append(cases, documentCases()...)
	cases = append(cases, argumentCases()...)
	cases = append(cases, abuseCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.skip != "" {
				t.Skip("needs " + tc.skip)
			}
			runHostile(t, tc)
		})
	}
}

func runHostile(t *testing.T, tc hostileCase) {
	g := startGateway(t, nil)
	method := tc.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if tc.body != "" || method == http.MethodPost {
		body = strings.NewReader(tc.body)
		if tc.chunked {
			body = io.MultiReader(body) // a reader whose length the client cannot see
		}
	}
	header := append([]string{}, tc.header...)
	switch tc.contentType {
	case "":
		if method == http.MethodPost {
			header = append(header, "Content-Type", mediaJSON)
		}
	case "-":
	default:
		header = append(header, "Content-Type", tc.contentType)
	}
	switch tc.accept {
	case "":
		header = append(header, "Accept", mediaGR)
	case "-":
	default:
		header = append(header, "Accept", tc.accept)
	}
	req := request(t, g, method, tc.rawQuery, body, header...)
	// Each case must be answered quickly: a request that takes seconds of CPU
	// is a denial of service whatever its answer.
	ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	a := send(t, req.WithContext(ctx))
	took := time.Since(start)

	wantStatus, wantCode := tc.wantStatus, tc.wantCode
	if tc.tokenHeavy && a.code() == codeParse {
		wantStatus, wantCode = http.StatusBadRequest, codeParse
	}
	if a.status != wantStatus {
		t.Errorf("status = %d, want %d: %.300s", a.status, wantStatus, a.raw)
	}
	switch {
	case wantCode == "" && (len(a.errors) > 0 || !a.hasData):
		t.Errorf("want data without errors: %.300s", a.raw)
	case wantCode != "" && a.code() != wantCode:
		t.Errorf("code = %q, want %q: %.300s", a.code(), wantCode, a.raw)
	case wantCode != "" && strings.TrimSpace(a.errors[0].Message) == "":
		t.Errorf("an error without a message: %.300s", a.raw)
	}
	if got := a.header.Get("Allow"); got != tc.wantAllow {
		t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
	}
	if bytes.Contains(a.raw, []byte(marker)) {
		t.Errorf("the answer quotes the request: %.300s", a.raw)
	}
	if tc.maxAnswer > 0 && len(a.raw) > tc.maxAnswer {
		t.Errorf("the answer has %d bytes, want at most %d", len(a.raw), tc.maxAnswer)
	}
	if tc.maxErrors > 0 && len(a.errors) > tc.maxErrors {
		t.Errorf("the answer lists %d errors, want at most %d", len(a.errors), tc.maxErrors)
	}
	if took > 2*time.Second {
		t.Errorf("the answer took %v", took)
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("%d calls reached amoCRM, want 0", n)
	}
}

// transportCases are problems with the HTTP request itself: they never get
// as far as GraphQL.
func transportCases() []hostileCase {
	ok := gqlBody(`{ contact(id: 3) { name } }`, nil)
	batch := "[" + strings.Repeat(ok+",", 999) + ok + "]"
	return []hostileCase{
		{name: "InvalidJSON/Truncated", body: `{"query": "{ contact(id: 3) { name } }", "variables": {"name": "` + marker, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "InvalidJSON/SingleQuotes", body: `{'query': '{ __typename }', 'name': '` + marker + `'}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "InvalidJSON/ControlCharacter", body: "{\"query\": \"{ __typename }\x00" + marker + "\"}", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "InvalidJSON/NotJSONAtAll", body: marker, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "InvalidJSON/ApplicationJSONAccept", accept: mediaJSON, body: `{"query": ` + marker, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "InvalidJSON/NestedTooDeep", body: `{"query": "{ __typename }", "variables": {"a": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "EmptyBody", body: "", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "NullBody", body: "null", wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "BatchArrayOf1000", body: batch, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "TwoObjects", body: ok + gqlBody(`mutation { createContacts(input: [{name: "smuggled"}]) { contacts { id } } }`, nil), wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "MissingQuery", body: `{"qeury": "{ __typename }"}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "EmptyQuery", body: `{"query": ""}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "WrongType/QueryObject", body: `{"query": {"name": "` + marker + `"}}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "WrongType/QueryList", body: `{"query": ["{ __typename }"]}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "WrongType/VariablesString", body: `{"query": "{ __typename }", "variables": "` + marker + `"}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "WrongType/OperationNameNumber", body: `{"query": "{ __typename }", "operationName": 1}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "WrongType/ExtensionsList", body: `{"query": "{ __typename }", "extensions": []}`, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentType/TextPlain", contentType: "text/plain", body: ok, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentType/Form", contentType: "application/x-www-form-urlencoded", body: "query=" + url.QueryEscape(`{ contact(id: 3) { name } }`), wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentType/MultipartUpload", contentType: "multipart/form-data; boundary=xyz",
			body:       "--xyz\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + ok + "\r\n--xyz\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a.txt\"\r\n\r\n" + marker + "\r\n--xyz--\r\n",
			wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentType/GraphQL", contentType: "application/graphql", body: `{ contact(id: 3) { name } }`, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentType/Missing", contentType: "-", body: ok, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentType/Latin1", contentType: "application/json; charset=iso-8859-1", body: ok, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "ContentEncoding/Gzip", header: []string{"Content-Encoding", "gzip"}, body: ok, wantStatus: 415, wantCode: gqlhttp.CodeBadRequest},
		{name: "Accept/Unsupported", accept: "image/png", body: ok, wantStatus: 406, wantCode: gqlhttp.CodeBadRequest},
		{name: "Method/PUT", method: http.MethodPut, body: ok, wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "GET, POST, OPTIONS"},
		{name: "Method/DELETE", method: http.MethodDelete, wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "GET, POST, OPTIONS"},
		{name: "GET/Mutation", method: http.MethodGet, rawQuery: "query=" + url.QueryEscape(`mutation { __typename }`), wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "POST"},
		{name: "GET/CreateContacts", method: http.MethodGet, rawQuery: "query=" + url.QueryEscape(`mutation { createContacts(input: [{name: "x"}]) { contacts { id } } }`), accept: mediaJSON, wantStatus: 405, wantCode: gqlhttp.CodeBadRequest, wantAllow: "POST"},
		{name: "GET/NoQuery", method: http.MethodGet, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "GET/QueryTwice", method: http.MethodGet, rawQuery: "query=" + url.QueryEscape(`{ __typename }`) + "&query=" + url.QueryEscape(`{ contact(id: 3) { name } }`), wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "GET/VariablesNotJSON", method: http.MethodGet, rawQuery: "query=" + url.QueryEscape(`{ __typename }`) + "&variables=" + marker, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		{name: "GET/BadEscape", method: http.MethodGet, rawQuery: "query=%7B%zz" + marker, wantStatus: 400, wantCode: gqlhttp.CodeBadRequest},
		// The body limit (1 MiB by default): a 1 MiB query string, announced
		// by its Content-Length or streamed without one.
		{name: "BodyLimit/QueryOf1MiB", body: gqlBody("{ __typename } #"+strings.Repeat("x", 1<<20), nil), wantStatus: 413, wantCode: gqlhttp.CodeBadRequest},
		{name: "BodyLimit/Chunked", chunked: true, body: gqlBody("{ __typename } #"+strings.Repeat("x", 1<<20), nil), wantStatus: 413, wantCode: gqlhttp.CodeBadRequest},
	}
}

// documentCases are GraphQL documents that do not parse or validate: request
// errors, 400 under application/graphql-response+json, 200 under
// application/json, never executed.
func documentCases() []hostileCase {
	nested := func(levels int) string {
		var b strings.Builder
		b.WriteString("{ company(id: 1) { ")
		for i := range levels {
			if i%2 == 0 {
				b.WriteString("contacts { ")
			} else {
				b.WriteString("companies { ")
			}
		}
		b.WriteString("id")
		b.WriteString(strings.Repeat(" }", levels+2))
		return b.String()
	}
	var aliases strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&aliases, "c%d: contact(id: %d) { name } ", i, i+1)
	}
	q := func(query string, vars map[string]any) string { return gqlBody(query, vars) }
	return []hostileCase{
		{name: "Parse/Unclosed", body: q(`{ contact(id: 3) { name }`, nil), wantStatus: 400, wantCode: codeParse},
		{name: "Parse/Unclosed/ApplicationJSON", accept: mediaJSON, body: q(`{ contact(id: 3) { name }`, nil), wantStatus: 200, wantCode: codeParse},
		{name: "Parse/OnlyAComment", body: q("# "+marker, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "Parse/SelectionNested2000Deep", body: q(strings.Repeat("{ contacts { nodes ", 2000)+"{ id }"+strings.Repeat(" } }", 2000), nil), wantStatus: 400, wantCode: codeParse},
		{name: "Parse/ListNested5000Deep", body: q(`{ contact(id: `+strings.Repeat("[", 5000)+"1"+strings.Repeat("]", 5000)+`) { id } }`, nil), wantStatus: 400, wantCode: codeParse},
		{name: "UnknownOperationName", body: `{"query": "query A { contact(id: 3) { name } }", "operationName": "` + marker + `"}`, wantStatus: 400, wantCode: codeValidation},
		{name: "SeveralOperationsWithoutName", body: q(`query A { contact(id: 3) { name } } mutation B { createContacts(input: [{name: "x"}]) { contacts { id } } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "SeveralOperationsWithoutName/ApplicationJSON", accept: mediaJSON, body: q(`query A { contact(id: 3) { name } } query B { contact(id: 4) { name } }`, nil), wantStatus: 200, wantCode: codeValidation},
		{name: "UnknownField", body: q(`{ contact(id: 3) { name password } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "UnknownRootField", body: q(`{ users { id } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "UnknownArgument", body: q(`{ contact(id: 3, with: "leads") { name } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "UnknownInputField", body: q(`mutation { createContacts(input: [{name: "x", password: "y"}]) { contacts { id } } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "MissingRequiredArgument", body: q(`{ contact { name } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "Subscription", body: q(`subscription { contact(id: 3) { name } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "FragmentCycle", body: q(`{ contact(id: 3) { ...A } } fragment A on Contact { companies { contacts { ...A } } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongScalar/IDTrue", body: q(`{ contact(id: true) { name } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongScalar/FirstString", body: q(`{ contacts(first: "x") { nodes { id } } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongScalar/FirstFloat", body: q(`{ contacts(first: 1.5) { nodes { id } } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongScalar/EnumAsString", body: q(`{ contacts(orderBy: {field: "ID", direction: DESC}) { nodes { id } } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongVariable/IDTrue", body: q(`query($id: ID!) { contact(id: $id) { name } }`, map[string]any{"id": true}), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongVariable/FirstString", body: q(`query($first: Int) { contacts(first: $first) { nodes { id } } }`, map[string]any{"first": "x"}), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongVariable/FirstFloat", body: q(`query($first: Int) { contacts(first: $first) { nodes { id } } }`, map[string]any{"first": 1.5}), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongVariable/FirstFloat/ApplicationJSON", accept: mediaJSON, body: q(`query($first: Int) { contacts(first: $first) { nodes { id } } }`, map[string]any{"first": 1.5}), wantStatus: 200, wantCode: codeValidation},
		{name: "WrongVariable/MissingRequired", body: q(`query($id: ID!) { contact(id: $id) { name } }`, nil), wantStatus: 400, wantCode: codeValidation},
		{name: "WrongVariable/InputNotAList", body: q(`mutation($in: [CreateContactInput!]!) { createContacts(input: $in) { contacts { id } } }`, map[string]any{"in": "x"}), wantStatus: 400, wantCode: codeValidation},
		// The gateway's own limits refuse before execution too.
		{name: "Depth/CompaniesContacts50Levels", body: q(nested(50), nil), wantStatus: 400, wantCode: graph.CodeQueryTooComplex},
		{name: "Depth/50Levels/ApplicationJSON", accept: mediaJSON, body: q(nested(50), nil), wantStatus: 200, wantCode: graph.CodeQueryTooComplex},
		{name: "Calls/1000AliasedRootFields", body: q("{ "+aliases.String()+"}", nil), wantStatus: 400, wantCode: graph.CodeQueryTooComplex, tokenHeavy: true},
	}
}

// argumentCases are valid documents whose arguments the resolvers refuse:
// execution started, so 200 with the error and data, and still no amoCRM call.
func argumentCases() []hostileCase {
	items := make([]any, 10000)
	for i := range items {
		items[i] = map[string]any{"name": fmt.Sprintf("Contact %d", i)}
	}
	literal := "[" + strings.Repeat(`{name: "x"}, `, 9999) + `{name: "x"}]`
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	contacts := func(args string) string {
		return gqlBody(`{ contacts(`+args+`) { nodes { id } pageInfo { endCursor } } }`, nil)
	}
	return []hostileCase{
		{name: "First/Negative", body: contacts("first: -1"), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "First/251", body: contacts("first: 251"), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "First/2^40", body: contacts("first: 1099511627776"), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "First/2^40AsVariable", body: gqlBody(`query($f: Int) { contacts(first: $f) { nodes { id } } }`, map[string]any{"f": int64(1) << 40}), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/Garbage", body: contacts(`after: "not-a-cursor"`), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/NotBase64", body: contacts(`after: "%%%***"`), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/ForeignQuery", body: contacts(`after: "` + cursor("c1:10:zzz") + `", query: "a"`), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/NegativeOffset", body: contacts(`after: "` + cursor("c1:-5:x") + `"`), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/HugeOffset", body: contacts(`after: "` + cursor("c1:99999999999999999999999:x") + `"`), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/OtherVersion", body: contacts(`after: "` + cursor("c2:10:x") + `"`), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "ID/Negative", body: gqlBody(`{ contact(id: -5) { name } }`, nil), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "ID/Exponent", body: gqlBody(`{ contact(id: "1e400") { name } }`, nil), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "ID/Huge", body: gqlBody(`{ contact(id: "99999999999999999999999999") { name } }`, nil), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		// Mutations refuse bad input inside their payload (userErrors), so
		// these answer data without errors; TestMutations_RefusedBeforeUpstream
		// checks the user errors and that nothing reached amoCRM.
		{name: "CreateContacts/10000AsVariable", body: gqlBody(`mutation($in: [CreateContactInput!]!) { createContacts(input: $in) { contacts { id } } }`, map[string]any{"in": items}), wantStatus: 200},
		{name: "CreateContacts/10000AsLiteral", body: gqlBody(`mutation { createContacts(input: `+literal+`) { contacts { id } } }`, nil), wantStatus: 200, tokenHeavy: true},
		{name: "UpdateContacts/10000", body: gqlBody(`mutation($in: [UpdateContactInput!]!) { updateContacts(input: $in) { contacts { id } } }`, map[string]any{"in": updates(10000)}), wantStatus: 200},
		// __typename costs amoCRM nothing, whatever the operation.
		{name: "Typename/Query", body: gqlBody(`{ __typename }`, nil), wantStatus: 200},
		{name: "Typename/Mutation", body: gqlBody(`mutation { __typename }`, nil), wantStatus: 200},
		{name: "Typename/GET", method: http.MethodGet, rawQuery: "query=" + url.QueryEscape(`{ __typename }`), wantStatus: 200},
		{name: "Typename/1000Aliases", body: gqlBody("{ "+typenameAliases(1000)+"}", nil), wantStatus: 200, tokenHeavy: true},
	}
}

// abuseCases need limits the gateway does not have yet; each names its
// missing piece in skip.
func abuseCases() []hostileCase {
	// Each fragment spreads the next twice: 2^26 paths to one __typename.
	var bomb strings.Builder
	bomb.WriteString("{ ...F0 }\n")
	for i := range 26 {
		fmt.Fprintf(&bomb, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	bomb.WriteString("fragment F26 on Query { __typename }\n")
	long := strings.Repeat("Ж", 50000) // 100 KB of UTF-8
	// 7 KB of one alias for two different fields: validation compares every
	// pair, 495×495 conflicts, and once answered each with an error (61 MB).
	aliasBomb := "{ contact(id: 3) { " + strings.Repeat("x: name x: id ", 495) + "} }"
	// The same conflicts spread over fragments, which a per-selection-set
	// count must follow.
	var fragBomb strings.Builder
	fragBomb.WriteString("{ contact(id: 3) { ")
	for i := range 150 {
		fmt.Fprintf(&fragBomb, "...F%d ", i)
	}
	fragBomb.WriteString("} }\n")
	for i := range 150 {
		field := "name"
		if i%2 == 1 {
			field = "id"
		}
		fmt.Fprintf(&fragBomb, "fragment F%d on Contact { x: %s }\n", i, field)
	}
	return []hostileCase{
		{name: "Validation/AliasBomb", body: gqlBody(aliasBomb, nil), wantStatus: 400, wantCode: codeValidation, maxAnswer: 16 << 10, maxErrors: 25},
		{name: "Validation/AliasBomb/ApplicationJSON", accept: mediaJSON, body: gqlBody(aliasBomb, nil), wantStatus: 200, wantCode: codeValidation, maxAnswer: 16 << 10, maxErrors: 25},
		{name: "Validation/AliasBombInFragments", body: gqlBody(fragBomb.String(), nil), wantStatus: 400, wantCode: codeValidation, maxAnswer: 16 << 10, maxErrors: 25, tokenHeavy: true},
		{name: "Validation/900UnknownFields", body: gqlBody("{ contact(id: 3) { "+unknownFields(900)+"} }", nil), wantStatus: 400, wantCode: codeValidation, maxAnswer: 16 << 10, maxErrors: 25, tokenHeavy: true},
		{name: "Validation/10000RepeatedFields", body: gqlBody("{ "+strings.Repeat("__typename ", 10000)+"}", nil), wantStatus: 400, wantCode: codeParse},
		{name: "Depth/FragmentBomb", body: gqlBody(bomb.String(), nil), wantStatus: 200},
		{name: "LongString/100KBName", body: gqlBody(`mutation($n: String) { createContacts(input: [{name: $n}]) { contacts { id } } }`, map[string]any{"n": long}), wantStatus: 200},
		{name: "LongString/100KBSearch", body: gqlBody(`query($q: String) { contacts(query: $q) { nodes { id } } }`, map[string]any{"q": long}), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "LongString/100KBFilterName", body: gqlBody(`query($n: String!) { contacts(filter: {names: [$n]}) { nodes { id } } }`, map[string]any{"n": long}), wantStatus: 200, wantCode: graph.CodeBadUserInput},
		{name: "Cursor/100KB", body: gqlBody(`query($c: String) { contacts(after: $c) { nodes { id } } }`, map[string]any{"c": strings.Repeat("A", 100000)}), wantStatus: 200, wantCode: graph.CodeBadUserInput, maxAnswer: 4096},
	}
}

func updates(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"id": fmt.Sprint(i + 1), "name": "x"}
	}
	return out
}

func unknownFields(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "f%d ", i)
	}
	return b.String()
}

func typenameAliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "t%d: __typename ", i)
	}
	return b.String()
}

// TestStalledBody: a client that sends its headers and part of a body, then
// stalls (a byte every few seconds holds a connection as well), is answered
// and disconnected within the body timeout, or at once when it has no API
// key: no route waits for a body it will not use.
func TestStalledBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		path        string
		header      string
		bodyTimeout time.Duration
		wantStatus  int
	}{
		{"WithKey", "/query", "X-API-Key: k\r\n", 200 * time.Millisecond, http.StatusRequestTimeout},
		// The body timeout is longer than the test waits: the refusal must
		// not wait for the body.
		{"WithoutKey", "/query", "", time.Minute, http.StatusUnauthorized},
		{"WrongKey", "/query", "X-API-Key: nope\r\n", time.Minute, http.StatusUnauthorized},
		{"OtherRoute", "/healthz", "X-API-Key: k\r\n", 200 * time.Millisecond, http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, nil, withConfig(func(c *Config) {
				c.APIKeys = []string{"k"}
				c.BodyTimeout = tc.bodyTimeout
			}))
			status, closed := stalledBody(t, g.url, tc.path, tc.header)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d", status, tc.wantStatus)
			}
			if !closed {
				t.Error("the connection stayed open with the rest of the body unread")
			}
		})
	}
}

// stalledBody sends a POST that announces 100 bytes of body and sends 10,
// then waits (at most 10 s, the test's own bound) for the answer and for the
// server to close the connection.
func stalledBody(t *testing.T, base, path, header string) (status int, closed bool) {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%sContent-Length: 100\r\n\r\n{\"query\":", path, header)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the body is stalled: %v", err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("read answer: %v", err)
	}
	_, err = br.ReadByte()
	return resp.StatusCode, err == io.EOF
}
