package loader

import (
	"net/url"
	"strconv"
	"testing"
)

// Every chunk fits one amoCRM call: at most 250 ids, and a filter[id][]
// query string a proxy accepts.
func TestChunk(t *testing.T) {
	t.Parallel()
	seq := func(n, from int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = from + i
		}
		return ids
	}
	cases := []struct {
		name   string
		ids    []int
		chunks int
	}{
		{"none", nil, 0},
		{"one", []int{7}, 1},
		{"250 short ids", seq(250, 1), 1},
		{"251 short ids", seq(251, 1), 2},
		{"250 nine-digit ids", seq(250, 100000000), 1},
		{"260 eight-digit ids", seq(260, 10000000), 2},
		{"1000 ids", seq(1000, 10000000), 4},
	}
	for _, tc := range cases {
		got := chunk(tc.ids)
		if len(got) != tc.chunks {
			t.Errorf("%s: %d chunks, want %d", tc.name, len(got), tc.chunks)
		}
		total := 0
		for _, c := range got {
			total += len(c)
			v := url.Values{}
			for _, id := range c {
				v.Add("filter[id][]", strconv.Itoa(id))
			}
			if len(c) > maxIDsPerCall || len(v.Encode()) > maxIDQueryBytes {
				t.Errorf("%s: chunk of %d ids encodes to %d bytes", tc.name, len(c), len(v.Encode()))
			}
		}
		if total != len(tc.ids) {
			t.Errorf("%s: chunks hold %d ids, want %d", tc.name, total, len(tc.ids))
		}
	}
}
