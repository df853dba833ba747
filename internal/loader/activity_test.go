package loader

import (
	"context"
	"slices"
	"testing"
)

// TestByEntityGroups: one batch holding keys of several groups (entity
// types, completion filters) fetches each group's ids apart and hands
// every key its own entity's rows. The groups are fetched concurrently;
// under -race this caught their results being read from the map the batch
// was still filling.
func TestByEntityGroups(t *testing.T) {
	t.Parallel()
	type row struct {
		group ActivityKey
		owner int
	}
	fetch := func(g ActivityKey, ids []int) ([]row, error) {
		out := make([]row, 0, len(ids))
		for _, id := range ids {
			out = append(out, row{g, id})
		}
		return out, nil
	}
	batch := byEntity(fetch, func(r row) int { return r.owner })
	var keys []ActivityKey
	for _, typ := range []string{"contacts", "leads", "companies", "customers"} {
		for _, completed := range []int8{0, -1, 1} {
			for id := 1; id <= 3; id++ {
				keys = append(keys, ActivityKey{EntityType: typ, EntityID: id, Completed: completed})
			}
		}
	}
	for range 20 {
		res := batch(context.Background(), keys)
		for i, k := range keys {
			want := []row{{ActivityKey{EntityType: k.EntityType, Completed: k.Completed}, k.EntityID}}
			if res[i].Error != nil || !slices.Equal(res[i].Data, want) {
				t.Fatalf("%+v: got %+v, %v; want %+v", k, res[i].Data, res[i].Error, want)
			}
		}
	}
}
