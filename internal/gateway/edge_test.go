package gateway

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/amogql/amogql/graph"
	"github.com/amogql/amogql/internal/gqlhttp"
	"github.com/amogql/amogql/internal/sandbox"
)

// decoderInternals matches what encoding/json and Go's reflection say about
// a bad input: Go type and struct field names, byte offsets. A client's
// mistake must be told in the terms of the API, not of the implementation.
var decoderInternals = regexp.MustCompile(`json: |Go struct|Go value|invalid character|unmarshal|offset|interface \{\}|map\[string\]|\*model\.|\[\]model\.|reflect`)

// TestMalformedBearer: in pass-through mode, an Authorization header that is
// not "Bearer <token>" is the client's mistake: 401 UNAUTHENTICATED with a
// clear message, and no amoCRM call.
func TestMalformedBearer(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil, passThrough())
	cases := []struct {
		name, header string
		wantStatus   int
		wantCode     string
	}{
		{"BasicScheme", "Basic dXNlcjpwYXNz", 401, graph.CodeUnauthenticated},
		{"OtherScheme", "Token " + sandbox.DefaultToken, 401, graph.CodeUnauthenticated},
		{"SchemeOnly", "Bearer", 401, graph.CodeUnauthenticated},
		{"SchemeAndSpaces", "Bearer   ", 401, graph.CodeUnauthenticated},
		{"TwoWords", "Bearer abc def", 401, graph.CodeUnauthenticated},
		{"Tab", "Bearer abc\tdef", 401, graph.CodeUnauthenticated},
		{"Cyrillic", "Bearer токен", 401, graph.CodeUnauthenticated},
		{"Quote", `Bearer "abc"`, 401, graph.CodeUnauthenticated},
		{"LowercaseSchemeIsFine", "bearer " + sandbox.DefaultToken, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the subtests count the one sandbox's calls.
			g.sb.ResetCalls()
			a := send(t, request(t, g, http.MethodPost, "", strings.NewReader(gqlBody(`{ contact(id: 3) { name } }`, nil)),
				"Content-Type", mediaJSON, "Authorization", tc.header))
			if a.status != tc.wantStatus || a.code() != tc.wantCode {
				t.Fatalf("status %d, code %q; want %d, %q: %s", a.status, a.code(), tc.wantStatus, tc.wantCode, a.raw)
			}
			if tc.wantCode == "" {
				return
			}
			if n := g.sb.TotalCalls(); n != 0 {
				t.Errorf("%d amoCRM calls for a malformed header", n)
			}
			if msg := a.errors[0].Message; !strings.Contains(msg, "Bearer") || strings.Contains(msg, "abc") || strings.Contains(msg, "токен") {
				t.Errorf("message %q: want one that names the Bearer scheme and quotes nothing", msg)
			}
		})
	}
}

// TestClientMistakesAreCoded: each of these is the client's mistake and is
// answered with a client error code and a short message in the API's terms,
// never INTERNAL and never a decoder's message.
func TestClientMistakesAreCoded(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	const q = `{ contact(id: 3) { name } }`
	apq := func(query string, ext any) string {
		return `{"query":` + quote(query) + `,"extensions":{"persistedQuery":` + ext.(string) + `}}`
	}
	cases := []struct {
		name, body string
		wantCodes  []string // any of
		skip       string   // what the case needs that is not there yet
	}{
		{"APQ/HashDoesNotMatch", apq(q, `{"version":1,"sha256Hash":"`+strings.Repeat("0", 64)+`"}`), []string{gqlhttp.CodeBadRequest}, ""},
		{"APQ/UnsupportedVersion", apq(q, `{"version":2,"sha256Hash":"`+sha256Hex(q)+`"}`), []string{gqlhttp.CodeBadRequest}, ""},
		{"APQ/NotAnObject", apq(q, `"abc"`), []string{gqlhttp.CodeBadRequest}, ""},
		{"APQ/HashNotAString", apq(q, `{"version":1,"sha256Hash":12}`), []string{gqlhttp.CodeBadRequest}, ""},
		{"APQ/UnknownHash", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("1", 64) + `"}}}`, []string{"PERSISTED_QUERY_NOT_FOUND"}, ""},
		{"Variables/ObjectForID", gqlBody(`query($id: ID!) { contact(id: $id) { name } }`, map[string]any{"id": map[string]any{"a": 1}}), []string{codeValidation}, ""},
		{"Variables/ListForString", gqlBody(`query($q: String) { contacts(query: $q) { nodes { id } } }`, map[string]any{"q": []any{1}}), []string{codeValidation}, ""},
		{"Variables/StringForTimeRange", gqlBody(`query($r: TimeRange) { contacts(filter: {createdAt: $r}) { nodes { id } } }`, map[string]any{"r": "yesterday"}), []string{codeValidation, graph.CodeBadUserInput}, ""},
		{"Variables/BadTime", gqlBody(`query($r: TimeRange) { contacts(filter: {createdAt: $r}) { nodes { id } } }`, map[string]any{"r": map[string]any{"from": "yesterday"}}), []string{codeValidation, graph.CodeBadUserInput}, ""},
		{"Variables/ObjectForTime", gqlBody(`query($r: TimeRange) { contacts(filter: {createdAt: $r}) { nodes { id } } }`, map[string]any{"r": map[string]any{"from": map[string]any{"x": 1}}}), []string{codeValidation, graph.CodeBadUserInput}, ""},
		{"Variables/StringForCustomFields", gqlBody(`mutation($in: [CreateContactInput!]!) { createContacts(input: $in) { contacts { id } } }`, map[string]any{"in": []any{map[string]any{"name": "x", "customFieldsValues": "x"}}}), []string{codeValidation, graph.CodeBadUserInput}, ""},
		{"Variables/UnknownInputField", gqlBody(`mutation($in: [CreateContactInput!]!) { createContacts(input: $in) { contacts { id } } }`, map[string]any{"in": []any{map[string]any{"name": "x", "nope": 1}}}), []string{codeValidation}, ""},
		{"Variables/NotAnObject", `{"query":"{ __typename }","variables":[1]}`, []string{gqlhttp.CodeBadRequest}, ""},
		{"Body/Garbage", `{"query": "{ __typename }", "variables": {"a": tru}}`, []string{gqlhttp.CodeBadRequest}, ""},
		{"Body/NumberForQuery", `{"query": 12}`, []string{gqlhttp.CodeBadRequest}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.skip != "" {
				t.Skip("needs " + tc.skip)
			}
			a := send(t, request(t, g, http.MethodPost, "", strings.NewReader(tc.body), "Content-Type", mediaJSON, "Accept", mediaGR))
			if len(a.errors) == 0 {
				t.Fatalf("no error: %s", a.raw)
			}
			ok := false
			for _, c := range tc.wantCodes {
				ok = ok || a.code() == c
			}
			if !ok {
				t.Errorf("code %q, want one of %q: %s", a.code(), tc.wantCodes, a.raw)
			}
			for _, e := range a.errors {
				if decoderInternals.MatchString(e.Message) {
					t.Errorf("the message shows decoder internals: %q", e.Message)
				}
			}
			if a.status >= 500 {
				t.Errorf("status %d for a client's mistake", a.status)
			}
		})
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
