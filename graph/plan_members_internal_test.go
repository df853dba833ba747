package graph

import (
	"strings"
	"testing"
)

// TestEveryEntityFieldHasMembers: every field of an entity type is bound to
// a member of amoCRM's object or listed with the members its resolver
// reads. A field that is neither makes every query selecting it decode the
// entity in full, which nothing else would notice.
func TestEveryEntityFieldHasMembers(t *testing.T) {
	t.Parallel()
	schema := NewExecutableSchema(Config{}).Schema()
	for typeName := range memberEntity {
		def := schema.Types[typeName]
		if def == nil {
			t.Fatalf("no type %s in the schema", typeName)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if _, known := fieldMembers(typeName, f.Name); !known {
				t.Errorf("%s.%s is neither bound to a member nor in resolverMembers", typeName, f.Name)
			}
		}
	}
}
