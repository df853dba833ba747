package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// TestDifferentialEscaping: a contact, lead and company whose names hold
// every character the two paths could escape differently — quotes,
// backslashes, control characters, HTML, the line separators, non-ASCII,
// a stray U+2028 lead byte — answer the same bytes through the plan
// executor (which writes its answer final) and through the resolvers
// (whose answer the transport checks and HTML-escapes), both escaped as
// encoding/json escapes HTML.
func TestDifferentialEscaping(t *testing.T) {
	t.Parallel()
	p := startPair(t, nil)
	name := "q\"b\\s\x01t\tn\nr\r<script>&amp;</script>\u2028\u2029 \xe2\x80 é😀 \xe2\x82\xac"
	vars := map[string]any{"n": name}
	created := diffPost(t, p.planURL, diffRequest{Query: `mutation($n: String) {
		createContacts(input: [{name: $n}]) { contacts { id } }
		createLeads(input: [{name: $n}]) { leads { id } }
		createCompanies(input: [{name: $n}]) { companies { id } } }`, Variables: vars}.body())
	var ids struct {
		Data struct {
			CreateContacts  struct{ Contacts []struct{ ID string } }
			CreateLeads     struct{ Leads []struct{ ID string } }
			CreateCompanies struct{ Companies []struct{ ID string } }
		}
	}
	if err := json.Unmarshal(created.body, &ids); err != nil || len(ids.Data.CreateContacts.Contacts) != 1 ||
		len(ids.Data.CreateLeads.Leads) != 1 || len(ids.Data.CreateCompanies.Companies) != 1 {
		t.Fatalf("create: %v %s", err, created.body)
	}
	d := ids.Data
	for _, q := range []string{
		fmt.Sprintf(`{ contact(id: %s) { id name } lead(id: %s) { name } company(id: %s) { name } }`,
			d.CreateContacts.Contacts[0].ID, d.CreateLeads.Leads[0].ID, d.CreateCompanies.Companies[0].ID),
		`{ contacts(first: 250, query: "script") { nodes { id name } } }`,
		`{ leads(first: 250, query: "script") { nodes { id name } } }`,
	} {
		res := p.compare(t, diffRequest{Name: q, Query: q}, nil)
		for _, want := range []string{`\u003cscript\u003e\u0026amp;\u003c/script\u003e\u2028\u2029`, `\"b\\s\u0001t\tn\nr\r`} {
			if !bytes.Contains(res.body, []byte(want)) {
				t.Errorf("%s: no %s in %s", q, want, res.body)
			}
		}
	}
}
