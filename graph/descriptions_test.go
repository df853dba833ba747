package graph

import (
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestSchema_EverythingDescribed keeps the served schema self-explanatory in
// the playground: every type, field, argument, input field, enum value,
// scalar and directive we define carries a description. Built-ins (the spec's
// scalars and directives, introspection types) are not ours and are skipped.
func TestSchema_EverythingDescribed(t *testing.T) {
	t.Parallel()
	schema := NewExecutableSchema(Config{}).Schema()
	var missing []string
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	ours := func(pos *ast.Position) bool { return pos == nil || pos.Src == nil || !pos.Src.BuiltIn }

	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") || !ours(def.Position) {
			continue
		}
		if blank(def.Description) {
			missing = append(missing, string(def.Kind)+" "+name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if blank(f.Description) {
				missing = append(missing, "field "+name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if blank(a.Description) {
					missing = append(missing, "argument "+name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, v := range def.EnumValues {
			if blank(v.Description) {
				missing = append(missing, "enum value "+name+"."+v.Name)
			}
		}
	}
	for name, d := range schema.Directives {
		if !ours(d.Position) {
			continue
		}
		if blank(d.Description) {
			missing = append(missing, "directive @"+name)
		}
		for _, a := range d.Arguments {
			if blank(a.Description) {
				missing = append(missing, "argument @"+name+"("+a.Name+")")
			}
		}
	}

	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d schema elements have no description:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
}
