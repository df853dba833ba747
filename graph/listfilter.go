package graph

import (
	"fmt"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
)

// entityFilter is what the filters of the contacts, leads and companies
// lists share, checked alike before any call.
type entityFilter struct {
	ids                                 []int
	names                               []string
	createdAt, updatedAt, closestTaskAt *model.TimeRange
	customFields                        []*model.CustomFieldFilter
}

// checkedFilter is an entityFilter in amoCRM's terms.
type checkedFilter struct {
	createdAt, updatedAt, closestTaskAt *amocrm.Range
	customFields                        amocrm.CustomFieldFilters
}

// check refuses what amoCRM would refuse or that would grow a request past
// reason, and converts the rest.
func (f entityFilter) check() (checkedFilter, error) {
	var out checkedFilter
	if len(f.names) > maxFirst {
		return out, badInput("filter.names takes at most %d names", maxFirst)
	}
	for i := range f.names {
		if err := checkLen(fmt.Sprintf("filter.names[%d]", i), &f.names[i], maxNameLen); err != nil {
			return out, err
		}
	}
	var err error
	if out.createdAt, err = timeRange("createdAt", f.createdAt); err != nil {
		return out, err
	}
	if out.updatedAt, err = timeRange("updatedAt", f.updatedAt); err != nil {
		return out, err
	}
	if out.closestTaskAt, err = timeRange("closestTaskAt", f.closestTaskAt); err != nil {
		return out, err
	}
	if len(f.ids) > maxFirst {
		return out, badInput("filter.ids takes at most %d ids", maxFirst)
	}
	if out.customFields, err = customFieldFilters(f.customFields); err != nil {
		return out, err
	}
	return out, nil
}

// direction is amoCRM's order[field] value.
func direction(d model.OrderDirection) string {
	if d == model.OrderDirectionDesc {
		return "desc"
	}
	return "asc"
}

func timeRange(name string, r *model.TimeRange) (*amocrm.Range, error) {
	if r == nil || (r.From == nil && r.To == nil) {
		return nil, nil
	}
	out := &amocrm.Range{From: deref(r.From), To: deref(r.To)}
	if r.From != nil && r.To != nil && out.From > out.To {
		return nil, badInput("filter.%s: from is after to", name)
	}
	return out, nil
}

// maxFieldFilters bounds how many custom field conditions one list takes.
const maxFieldFilters = 20

func customFieldFilters(in []*model.CustomFieldFilter) (amocrm.CustomFieldFilters, error) {
	if len(in) > maxFieldFilters {
		return nil, badInput("filter.customFields takes at most %d conditions", maxFieldFilters)
	}
	var out amocrm.CustomFieldFilters
	for i, f := range in {
		if len(f.Values) == 0 && f.From == nil && f.To == nil {
			return nil, badInput("filter.customFields[%d] needs values or a from/to range", i)
		}
		if len(f.Values) > 0 && (f.From != nil || f.To != nil) {
			return nil, badInput("filter.customFields[%d] takes values or a range, not both", i)
		}
		if len(f.Values) > maxFirst {
			return nil, badInput("filter.customFields[%d] takes at most %d values", i, maxFirst)
		}
		for j := range f.Values {
			if err := checkLen(fmt.Sprintf("filter.customFields[%d].values[%d]", i, j), &f.Values[j], maxNameLen); err != nil {
				return nil, err
			}
		}
		if f.From != nil && f.To != nil && *f.From > *f.To {
			return nil, badInput("filter.customFields[%d]: from is above to", i)
		}
		out = append(out, amocrm.CustomFieldFilter{FieldID: f.FieldID, Values: f.Values, From: f.From, To: f.To})
	}
	return out, nil
}
