package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestSortErrors(t *testing.T) {
	t.Parallel()
	e := func(msg string, path ...any) *gqlerror.Error {
		var p ast.Path
		for _, el := range path {
			switch v := el.(type) {
			case int:
				p = append(p, ast.PathIndex(v))
			case string:
				p = append(p, ast.PathName(v))
			}
		}
		return &gqlerror.Error{Message: msg, Path: p}
	}
	got := gqlerror.List{
		e("b", "contacts", "nodes", 10, "leads"),
		e("a", "contacts", "nodes", 4, "leads"),
		e("c", "contacts", "nodes", 4, "companies"),
		e("request"),
		e("a", "contacts", "nodes", 4, "leads"),
		e("a", "contact"),
	}
	SortErrors(got)
	want := []string{"request", "a contact", "c contacts.nodes[4].companies", "a contacts.nodes[4].leads", "a contacts.nodes[4].leads", "b contacts.nodes[10].leads"}
	for i, err := range got {
		s := err.Message
		if len(err.Path) > 0 {
			s += " " + err.Path.String()
		}
		if s != want[i] {
			t.Fatalf("position %d: %q, want %q (all: %v)", i, s, want[i], got)
		}
	}
}
