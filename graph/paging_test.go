package graph

import "testing"

func TestPageArgs_Window(t *testing.T) {
	t.Parallel()
	const fp = "fp"
	at := func(offset int) *string { c := encodeCursor(offset, fp); return &c }
	n := func(v int) *int { return &v }
	tests := []struct {
		name           string
		args           pageArgs
		offset, length int
		wantErr        bool
	}{
		{"default", pageArgs{}, 0, 50, false},
		{"first", pageArgs{first: n(10)}, 0, 10, false},
		{"first after", pageArgs{first: n(10), after: at(9)}, 10, 10, false},
		{"after alone", pageArgs{after: at(99)}, 100, 50, false},
		{"last before", pageArgs{last: n(10), before: at(30)}, 20, 10, false},
		{"last before near the head", pageArgs{last: n(10), before: at(4)}, 0, 4, false},
		{"last before the first item", pageArgs{last: n(10), before: at(0)}, 0, 0, false},
		{"before alone takes the default first", pageArgs{before: at(30)}, 0, 30, false},
		{"before alone, far", pageArgs{before: at(300)}, 0, 50, false},
		{"after and before", pageArgs{after: at(9), before: at(20)}, 10, 10, false},
		{"before ahead of after is empty", pageArgs{after: at(20), before: at(10)}, 21, 0, false},
		{"first then last", pageArgs{first: n(20), last: n(5)}, 15, 5, false},
		{"first and last after", pageArgs{first: n(20), last: n(5), after: at(99)}, 115, 5, false},
		{"first beyond before", pageArgs{first: n(50), after: at(9), before: at(20)}, 10, 10, false},
		{"last zero", pageArgs{last: n(0), before: at(30)}, 30, 0, false},
		{"last without an end", pageArgs{last: n(10)}, 0, 0, true},
		{"last after without an end", pageArgs{last: n(10), after: at(5)}, 0, 0, true},
		{"negative last", pageArgs{last: n(-1), before: at(30)}, 0, 0, true},
		{"last too large", pageArgs{last: n(251), before: at(300)}, 0, 0, true},
		{"first too large", pageArgs{first: n(251)}, 0, 0, true},
		{"foreign before cursor", pageArgs{last: n(5), before: func() *string { c := encodeCursor(9, "other"); return &c }()}, 0, 0, true},
	}
	for _, tt := range tests {
		offset, length, err := tt.args.bounds(fp)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if err == nil && (offset != tt.offset || length != tt.length) {
			t.Errorf("%s: window = [%d, +%d), want [%d, +%d)", tt.name, offset, length, tt.offset, tt.length)
		}
	}
}
