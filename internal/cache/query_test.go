package cache

import "testing"

func TestReadQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw   string
		canon, with string
		ok          bool
	}{
		{"Empty", "", "", "", true},
		{"SortedKeptAsIs", "filter%5Bid%5D%5B%5D=1&limit=20&with=leads%2Ccustomers", "filter%5Bid%5D%5B%5D=1&limit=20&with=leads%2Ccustomers", "leads,customers", true},
		{"UnsortedCanonical", "with=leads&limit=20&page=2", "limit=20&page=2&with=leads", "leads", true},
		{"ValueOrderKept", "id=2&id=1", "id=2&id=1", "", true},
		{"SeveralWith", "with=leads&with=contacts", "with=leads&with=contacts", "leads,contacts", true},
		{"EscapedWithKey", "%77ith=contacts", "%77ith=contacts", "contacts", true},
		{"Semicolon", "a=1;b=2", "", "", false},
		{"BadEscapeInWith", "with=%zz", "", "", false},
		{"BadEscapeUnsorted", "b=1&a=%zz", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			canon, with, ok := readQuery(tt.raw)
			if canon != tt.canon || with != tt.with || ok != tt.ok {
				t.Errorf("readQuery(%q) = %q, %q, %v, want %q, %q, %v", tt.raw, canon, with, ok, tt.canon, tt.with, tt.ok)
			}
		})
	}
}
