package graph

import (
	"slices"
	"testing"
)

// Every mutation field must have its argument coercion in the table, or a
// bad argument of a new mutation would again hide earlier writes.
func TestMutationArgParsersCoverSchema(t *testing.T) {
	t.Parallel()
	parsers := mutationArgParsers(&executionContext{})
	var missing []string
	for _, f := range parsedSchema.Mutation.Fields {
		if _, ok := parsers[f.Name]; !ok && len(f.Arguments) > 0 {
			missing = append(missing, f.Name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("mutations without an entry in mutationArgParsers: %v", missing)
	}
}
