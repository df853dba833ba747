package graph

import (
	"errors"
	"slices"
	"testing"
)

func TestPageWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		offset, n, max    int
		page, limit, skip int
		ok                bool
	}{
		{0, 51, 250, 1, 51, 0, true},
		{51, 51, 250, 2, 51, 0, true},    // the next page of first: 50, one item extra
		{50, 51, 250, 1, 101, 50, true},  // not aligned: one bigger page still holds it
		{0, 251, 250, 0, 0, 0, false},    // more than a page
		{250, 250, 250, 2, 250, 0, true}, // aligned at the limit
		{1, 250, 250, 0, 0, 0, false},    // straddles two pages of 250
		{9999, 10, 250, 0, 0, 0, true},   // some page size fits; checked below
	}
	for _, tc := range cases {
		page, limit, skip, ok := pageWindow(tc.offset, tc.n, tc.max)
		if ok != tc.ok {
			t.Errorf("pageWindow(%d, %d) ok = %v", tc.offset, tc.n, ok)
			continue
		}
		if !ok {
			continue
		}
		// Whatever it picks must hold exactly the wanted items.
		first := (page-1)*limit + skip
		if first != tc.offset || skip+tc.n > limit || limit > tc.max {
			t.Errorf("pageWindow(%d, %d) = page %d limit %d skip %d: covers from %d", tc.offset, tc.n, page, limit, skip, first)
		}
		if tc.page != 0 && (page != tc.page || limit != tc.limit || skip != tc.skip) {
			t.Errorf("pageWindow(%d, %d) = %d %d %d, want %d %d %d", tc.offset, tc.n, page, limit, skip, tc.page, tc.limit, tc.skip)
		}
	}
}

func TestCursor(t *testing.T) {
	t.Parallel()
	fp := fingerprint("q", nil, nil)
	for _, off := range []int{0, 1, 49, 250, 123456} {
		got, err := decodeCursor(encodeCursor(off, fp), fp)
		if err != nil || got != off {
			t.Errorf("round trip %d: %d, %v", off, got, err)
		}
	}
	other := fingerprint("other", nil, nil)
	for name, c := range map[string]string{
		"garbage":     "!!!",
		"not ours":    "aGVsbG8",
		"other query": encodeCursor(5, other),
		"negative":    "YzE6LTE6eA",
		"empty":       "",
		"huge offset": encodeCursor(maxOffset+1, fp),
	} {
		var in *inputError
		if _, err := decodeCursor(c, fp); !errors.As(err, &in) {
			t.Errorf("%s: err = %v, want an input error", name, err)
		}
	}
}

func TestCamelPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"custom_fields_values.0.field_id":      {"customFieldsValues", "0", "fieldId"},
		"tags_to_add.1.name":                   {"tagsToAdd", "1", "name"},
		"custom_fields_values.0.values.2.enum": {"customFieldsValues", "0", "values", "2", "enum"},
		"name":                                 {"name"},
		"":                                     nil,
	} {
		if got := camelPath(in); !slices.Equal(got, want) {
			t.Errorf("camelPath(%q) = %v, want %v", in, got, want)
		}
	}
}

// Equal request ids are handed out in input order, so duplicates line up.
func TestIndexer(t *testing.T) {
	t.Parallel()
	ix := newIndexer([]string{"a", "1", "a", "3"})
	for _, tc := range []struct {
		id   string
		want int
		ok   bool
	}{{"a", 0, true}, {"a", 2, true}, {"a", 0, false}, {"3", 3, true}, {"zz", 0, false}} {
		got, ok := ix.take(tc.id)
		if got != tc.want || ok != tc.ok {
			t.Errorf("take(%q) = %d %v, want %d %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}
