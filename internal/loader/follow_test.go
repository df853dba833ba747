package loader

import (
	"testing"

	"github.com/amogql/amogql/internal/amocrm"
)

// A linked element is keyed by the catalog amoCRM names in its metadata or
// beside it; a link that names none cannot be read.
func TestLinkKey(t *testing.T) {
	t.Parallel()
	catalog := 1002
	cases := []struct {
		name string
		link amocrm.CatalogElementLink
		want ElementKey
		ok   bool
	}{
		{"metadata", amocrm.CatalogElementLink{ID: 7, Metadata: &amocrm.CatalogElementMetadata{CatalogID: 1001}}, ElementKey{1001, 7}, true},
		{"beside metadata", amocrm.CatalogElementLink{ID: 7, CatalogID: &catalog}, ElementKey{1002, 7}, true},
		{"metadata wins", amocrm.CatalogElementLink{ID: 7, Metadata: &amocrm.CatalogElementMetadata{CatalogID: 1001}, CatalogID: &catalog}, ElementKey{1001, 7}, true},
		{"empty metadata", amocrm.CatalogElementLink{ID: 7, Metadata: &amocrm.CatalogElementMetadata{}, CatalogID: &catalog}, ElementKey{1002, 7}, true},
		{"no catalog", amocrm.CatalogElementLink{ID: 7}, ElementKey{}, false},
	}
	for _, tc := range cases {
		got, ok := LinkKey(&tc.link)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: LinkKey = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
