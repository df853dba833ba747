package amocrm

import (
	"fmt"
	"slices"
)

const (
	// MaxBatch is the most elements a batch write of this client sends in
	// one call (leads, companies, tasks, notes). amoCRM documents no limit
	// for plain POST and PATCH batches; users report failures past 500, and
	// 250 is the most one list call can read back, so larger batches are
	// refused with *ArgumentError before any HTTP call.
	MaxBatch = 250

	// MaxComplexBatch is the most leads of one complex add, as documented
	// at https://developers.kommo.com/reference/complex-leads .
	MaxComplexBatch = 50
)

// checkWrite refuses an empty batch, a nil element, or more than max
// elements.
func checkWrite[T any](arg string, items []*T, max int) error {
	if err := checkBatch(arg, items); err != nil {
		return err
	}
	if len(items) > max {
		return &ArgumentError{Arg: arg, Reason: fmt.Sprintf("holds %d elements; at most %d per call", len(items), max)}
	}
	return nil
}

// checkEntityType refuses an entity type outside allowed, which also keeps
// a caller's string from steering the request path.
func checkEntityType(arg, entityType string, allowed ...string) error {
	if slices.Contains(allowed, entityType) {
		return nil
	}
	return &ArgumentError{Arg: arg, Reason: fmt.Sprintf("must be one of %v, got %q", allowed, entityType)}
}

// checkOrder validates order[<field>]=asc|desc pairs (field name, value; ""
// for unset): at most one field is set, and only to asc or desc.
func checkOrder(pairs ...[2]string) error {
	n := 0
	for _, p := range pairs {
		if p[1] == "" {
			continue
		}
		n++
		if p[1] != "asc" && p[1] != "desc" {
			return &ArgumentError{Arg: "order[" + p[0] + "]", Reason: fmt.Sprintf("must be asc or desc, got %q", p[1])}
		}
	}
	if n > 1 {
		return &ArgumentError{Arg: "order", Reason: "amoCRM sorts by one field at a time"}
	}
	return nil
}
