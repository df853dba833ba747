package gateway

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
)

// Paging backward with last/before from the end of a forward walk visits the
// same items in the same order, page by page, with hasPreviousPage false
// exactly on the first page and hasNextPage true on every page but the last.
func TestContacts_PagesBackward(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	const q = `query($first: Int, $after: String, $last: Int, $before: String) {
		contacts(first: $first, after: $after, last: $last, before: $before, orderBy: {field: ID, direction: ASC}) {
			edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	var forward []string
	var lastCursor string
	for after := any(nil); ; {
		var p page
		g.data(q, map[string]any{"first": 100, "after": after}, &p)
		for _, e := range p.Contacts.Edges {
			forward = append(forward, e.Node.ID)
			lastCursor = e.Cursor
		}
		if !p.Contacts.PageInfo.HasNextPage {
			break
		}
		after = *p.Contacts.PageInfo.EndCursor
	}
	for _, last := range []int{1, 7, 50, 250} {
		t.Run("last="+strconv.Itoa(last), func(t *testing.T) {
			t.Parallel()
			// The walk starts at the final item, then goes before it.
			backward := []string{forward[len(forward)-1]}
			before := lastCursor
			for pages := 1; ; pages++ {
				var p page
				g.data(q, map[string]any{"last": last, "before": before}, &p)
				var ids []string
				for _, e := range p.Contacts.Edges {
					ids = append(ids, e.Node.ID)
				}
				backward = append(ids, backward...)
				if !p.Contacts.PageInfo.HasNextPage {
					t.Fatalf("page %d before an existing item says hasNextPage false", pages)
				}
				if !p.Contacts.PageInfo.HasPreviousPage {
					if len(backward) != len(forward) {
						t.Fatalf("first page reached after %d items, the list holds %d", len(backward), len(forward))
					}
					break
				}
				if len(ids) != last {
					t.Fatalf("page %d has %d items, want %d while earlier ones exist", pages, len(ids), last)
				}
				before = *p.Contacts.PageInfo.StartCursor
				if pages > 400 {
					t.Fatal("no start")
				}
			}
			if !slices.Equal(backward, forward) {
				t.Errorf("backward walk differs from the forward one")
			}
		})
	}
}

// A backward page costs one upstream call when one amoCRM page holds it,
// and last without an end of the list is refused before any call.
func TestContacts_BackwardCostsAndLimits(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p page
	g.data(`{ contacts(first: 60) { edges { cursor } } }`, nil, &p)
	before := p.Contacts.Edges[59].Cursor
	g.sb.ResetCalls()
	var b page
	g.data(`query($before: String) { contacts(last: 20, before: $before) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } }`, map[string]any{"before": before}, &b)
	if len(b.Contacts.Nodes) != 20 || !b.Contacts.PageInfo.HasPreviousPage || !b.Contacts.PageInfo.HasNextPage {
		t.Errorf("page = %+v", b.Contacts)
	}
	if n := g.sb.TotalCalls(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
	g.sb.ResetCalls()
	for _, tt := range []struct{ query, want string }{
		{`{ contacts(last: 5) { nodes { id } } }`, "last needs before"},
		{`{ contacts(last: 300, before: "x") { nodes { id } } }`, "last must be between 0 and 250"},
	} {
		r := g.do(tt.query, nil)
		if r.code(0) != "BAD_USER_INPUT" || !contains(r.Errors[0].Message, tt.want) {
			t.Errorf("%s: errors = %+v, want BAD_USER_INPUT %q", tt.query, r.Errors, tt.want)
		}
	}
	if n := g.sb.TotalCalls(); n != 0 {
		t.Errorf("refused queries made %d upstream calls", n)
	}
}

// A window that straddles two amoCRM pages, with items after it, must say
// so: hasNextPage true, and the next page starts where this one ended.
func TestContacts_StraddlingWindowHasNext(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	var p page
	g.data(`{ contacts(first: 53, orderBy: {field: ID, direction: ASC}) { edges { cursor node { id } } } }`, nil, &p)
	var next page
	g.data(`query($after: String) { contacts(first: 250, after: $after, orderBy: {field: ID, direction: ASC}) {
		nodes { id } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": p.Contacts.Edges[52].Cursor}, &next)
	if len(next.Contacts.Nodes) != 250 || !next.Contacts.PageInfo.HasNextPage {
		t.Fatalf("straddling page: %d items, hasNextPage %v; the list holds %d", len(next.Contacts.Nodes), next.Contacts.PageInfo.HasNextPage, countContacts(t, g))
	}
	var rest page
	g.data(`query($after: String) { contacts(first: 250, after: $after, orderBy: {field: ID, direction: ASC}) { nodes { id } } }`,
		map[string]any{"after": *next.Contacts.PageInfo.EndCursor}, &rest)
	if len(rest.Contacts.Nodes) == 0 {
		t.Error("hasNextPage was true but the next page is empty")
	}
}

// hasNextPage asked twice of one connection (aliases) is one probe, and
// the two resolvers do not race on it.
func TestContacts_HasNextPageTwiceOneProbe(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	r := g.do(`{ contacts(first: 0) { pageInfo { hasNextPage a: hasNextPage } p: pageInfo { hasNextPage } } }`, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("%+v", r.Errors)
	}
	if !bytes.Contains(r.Data, []byte(`"hasNextPage":true,"a":true`)) {
		t.Fatalf("data %s", r.Data)
	}
	if n := g.calls("GET /api/v4/contacts"); n != 1 {
		t.Fatalf("%d contacts calls, want 1 (one probe for every hasNextPage of the connection)", n)
	}
}
