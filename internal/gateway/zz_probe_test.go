package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestZZProbe(t *testing.T) {
	g := startWired(t, nil, zerolog.Nop())
	try := func(name, body string) {
		start := time.Now()
		a := send(t, request(t, g, http.MethodPost, "", strings.NewReader(body), "Content-Type", mediaJSON, "Accept", mediaGR))
		raw := string(a.raw)
		if len(raw) > 250 { raw = raw[:250] }
		t.Logf("%s: %v len=%d status=%d calls=%d %s", name, time.Since(start), len(body), a.status, g.sb.TotalCalls(), raw)
	}
	for _, n := range []int{1000, 5000, 20000} {
		try(fmt.Sprintf("typename x%d", n), gqlBody("{"+strings.Repeat("__typename ", n)+"}", nil))
	}
	for _, n := range []int{1000, 20000} {
		var b strings.Builder
		for i := range n { fmt.Fprintf(&b, "a%d: __typename ", i) }
		try(fmt.Sprintf("aliases x%d", n), gqlBody("{"+b.String()+"}", nil))
	}
	for _, n := range []int{10, 16, 20, 24} {
		var b strings.Builder
		b.WriteString("query { ...F0 }\n")
		for i := range n { fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1) }
		fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
		try(fmt.Sprintf("fragment bomb %d", n), gqlBody(b.String(), nil))
	}
	for _, n := range []int{10, 16, 20} {
		var b strings.Builder
		b.WriteString("query { contacts { nodes { ...F0 } } }\n")
		for i := range n { fmt.Fprintf(&b, "fragment F%d on Contact { ...F%d ...F%d }\n", i, i+1, i+1) }
		fmt.Fprintf(&b, "fragment F%d on Contact { id }\n", n)
		try(fmt.Sprintf("contact fragment bomb %d", n), gqlBody(b.String(), nil))
	}
	try("first 2^40", gqlBody(`{ contacts(first: 1099511627776) { nodes { id } } }`, nil))
	try("first 2^40 var", gqlBody(`query($f: Int) { contacts(first: $f) { nodes { id } } }`, map[string]any{"f": 1 << 40}))
	try("first 1.5 var", gqlBody(`query($f: Int) { contacts(first: $f) { nodes { id } } }`, map[string]any{"f": 1.5}))
	try("id true", gqlBody(`{ contact(id: true) { id } }`, nil))
	try("id true var", gqlBody(`query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": true}))
	try("id -5", gqlBody(`{ contact(id: -5) { id } }`, nil))
	try("id 1e400", gqlBody(`{ contact(id: "1e400") { id } }`, nil))
	try("long search", gqlBody(`query($q: String) { contacts(query: $q) { nodes { id } } }`, map[string]any{"q": strings.Repeat("я", 50000)}))
	try("long name", gqlBody(`mutation($n: String) { createContacts(input: [{name: $n}]) { contacts { id } } }`, map[string]any{"n": strings.Repeat("n", 100000)}))
	items := make([]any, 10000)
	for i := range items { items[i] = map[string]any{"name": "x"} }
	try("10k create", gqlBody(`mutation($in: [CreateContactInput!]!) { createContacts(input: $in) { contacts { id } } }`, map[string]any{"in": items}))
	var al strings.Builder
	for i := range 1000 { fmt.Fprintf(&al, "c%d: contact(id: %d) { id } ", i, i+1) }
	try("1000 root aliases", gqlBody("{"+al.String()+"}", nil))
	try("deep variables", `{"query":"{ __typename }","variables":{"a":`+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+`}}`)
	try("deep list literal", gqlBody(`{ contact(id: `+strings.Repeat("[", 5000)+"1"+strings.Repeat("]", 5000)+`) { id } }`, nil))
	try("deep selection 5000", gqlBody(strings.Repeat("{ contacts { nodes ", 2000)+"{ id }"+strings.Repeat(" } }", 2000), nil))
}
