package sandbox

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// This file parses filter[...] in every encoding upstream clients use
// (https://www.amocrm.ru/developers/content/crm_platform/filters-api) and compiles it into predicates over entities.

// node is one level of the filter[...] tree. filter[id][]=1, filter[id][0]=1,
// filter[id]=1 (repeated or not) all end up as values of the "id" node, either
// directly or in index children; ranges are the "from"/"to" children.
type node struct {
	values []string
	kids   map[string]*node
}

// kid returns the child k, or nil; it is safe on a nil node.
func (n *node) kid(k string) *node {
	if n == nil {
		return nil
	}
	return n.kids[k]
}

// all returns the node's values and those of its index children
// ("0", "1", …), which is how every multi-value encoding lands.
func (n *node) all() []string {
	if n == nil {
		return nil
	}
	out := slices.Clone(n.values)
	keys := make([]string, 0, len(n.kids))
	for k := range n.kids {
		if isIndex(k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(atoi(a), atoi(b)) })
	for _, k := range keys {
		out = append(out, n.kids[k].values...)
	}
	return out
}

// maxFilterDepth bounds how deep filter keys may nest, so a hostile key
// cannot make the tree arbitrarily deep.
const maxFilterDepth = 4

// parseFilter builds the filter tree from every filter[...] key.
func parseFilter(q url.Values) *node {
	root := &node{}
	for key, vals := range q {
		name, segs, ok := splitBrackets(key)
		if !ok || name != "filter" || len(segs) == 0 || len(segs) > maxFilterDepth {
			continue
		}
		n := root
		for _, seg := range segs {
			if seg == "" { // "[]" appends to the current node
				break
			}
			if n.kids == nil {
				n.kids = map[string]*node{}
			}
			if n.kids[seg] == nil {
				n.kids[seg] = &node{}
			}
			n = n.kids[seg]
		}
		n.values = append(n.values, vals...)
	}
	return root
}

// splitBrackets splits "filter[a][b][]" into "filter" and ["a","b",""].
func splitBrackets(key string) (string, []string, bool) {
	i := strings.IndexByte(key, '[')
	if i < 0 {
		return key, nil, true
	}
	root, rest := key[:i], key[i:]
	var segs []string
	for rest != "" {
		if rest[0] != '[' {
			return "", nil, false
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return "", nil, false
		}
		segs = append(segs, rest[1:j])
		rest = rest[j+1:]
	}
	return root, segs, true
}

func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// filterInts parses the values of filter[name] as integers; nil when absent.
func filterInts(f *node, name string) ([]int, *apiError) {
	vals := f.kid(name).all()
	if len(vals) == 0 {
		return nil, nil
	}
	out := make([]int, 0, len(vals))
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return nil, invalidParam("InvalidType", "filter."+name, "filter["+name+"] must hold integers")
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// bounds is an inclusive range; a nil end is open.
type bounds struct{ from, to *float64 }

func (b bounds) contains(v float64) bool {
	return (b.from == nil || v >= *b.from) && (b.to == nil || v <= *b.to)
}

// filterRange parses filter[name][from]/[to]; ok is false when neither is given.
// A bare filter[name]=v is read as the one-point range [v, v].
func filterRange(path string, n *node) (bounds, bool, *apiError) {
	var b bounds
	parse := func(vals []string, end string) (*float64, *apiError) {
		if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
			return nil, nil
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(vals[0]), 64)
		if err != nil {
			return nil, invalidParam("InvalidType", path+end, path+end+" must be a number")
		}
		return &x, nil
	}
	var err *apiError
	if b.from, err = parse(n.kid("from").all(), ".from"); err != nil {
		return b, false, err
	}
	if b.to, err = parse(n.kid("to").all(), ".to"); err != nil {
		return b, false, err
	}
	if b.from == nil && b.to == nil {
		if b.from, err = parse(n.all(), ""); err != nil || b.from == nil {
			return b, false, err
		}
		b.to = b.from
	}
	return b, true, nil
}

// commonPreds compiles the filters every entity shares: id, name, created_by,
// updated_by, responsible_user_id, created_at, updated_at, closest_task_at
// and custom_fields_values. Unknown filter fields are ignored, as upstream
// ignores them.
func commonPreds[T row](f *node) ([]func(T) bool, *apiError) {
	var preds []func(T) bool
	ints := []struct {
		name string
		get  func(*record) int
	}{
		{"id", func(r *record) int { return r.ID }},
		{"created_by", func(r *record) int { return r.CreatedBy }},
		{"updated_by", func(r *record) int { return r.UpdatedBy }},
		{"responsible_user_id", func(r *record) int { return r.ResponsibleUserID }},
	}
	for _, in := range ints {
		want, err := filterInts(f, in.name)
		if err != nil {
			return nil, err
		}
		if want != nil {
			get := in.get
			preds = append(preds, func(t T) bool { return slices.Contains(want, get(t.base())) })
		}
	}
	if names := f.kid("name").all(); len(names) > 0 {
		preds = append(preds, func(t T) bool {
			return slices.ContainsFunc(names, func(n string) bool { return equalFoldTrim(n, t.base().Name) })
		})
	}
	ranges := []struct {
		name string
		get  func(*record) *int64
	}{
		{"created_at", func(r *record) *int64 { return &r.CreatedAt }},
		{"updated_at", func(r *record) *int64 { return &r.UpdatedAt }},
		{"closest_task_at", func(r *record) *int64 { return r.ClosestTaskAt }},
	}
	for _, rg := range ranges {
		p, err := rangePred[T](f, rg.name, func(t T) *int64 { return rg.get(t.base()) })
		if err != nil {
			return nil, err
		}
		if p != nil {
			preds = append(preds, p)
		}
	}
	cf, err := customFieldPreds[T](f.kid("custom_fields_values"))
	if err != nil {
		return nil, err
	}
	return append(preds, cf...), nil
}

// rangePred compiles filter[name][from|to] over a timestamp-like field; a
// null field never matches a range.
func rangePred[T any](f *node, name string, get func(T) *int64) (func(T) bool, *apiError) {
	n := f.kid(name)
	if n == nil {
		return nil, nil
	}
	b, ok, err := filterRange("filter."+name, n)
	if err != nil || !ok {
		return nil, err
	}
	return func(t T) bool {
		v := get(t)
		return v != nil && b.contains(float64(*v))
	}, nil
}

// customFieldPreds compiles filter[custom_fields_values][<field_id>]: a
// list of exact values (matched against a value's text or its enum id) or a
// from/to range for numeric and date fields. Keys that are not numeric ids
// are ignored: upstream does not accept field codes there.
func customFieldPreds[T row](cfs *node) ([]func(T) bool, *apiError) {
	if cfs == nil {
		return nil, nil
	}
	var preds []func(T) bool
	for key, n := range cfs.kids {
		id, err := strconv.Atoi(key)
		if err != nil {
			continue
		}
		path := "filter.custom_fields_values." + key
		if n.kid("from") != nil || n.kid("to") != nil {
			b, _, aerr := filterRange(path, n)
			if aerr != nil {
				return nil, aerr
			}
			preds = append(preds, func(t T) bool {
				return anyValue(t.base(), id, func(v cfValue) bool {
					x, ok := numberOf(v.Value)
					return ok && b.contains(x)
				})
			})
			continue
		}
		want := n.all()
		if len(want) == 0 {
			continue
		}
		preds = append(preds, func(t T) bool {
			return anyValue(t.base(), id, func(v cfValue) bool {
				text := valueText(v.Value)
				return slices.ContainsFunc(want, func(w string) bool {
					return w == text || (v.EnumID != 0 && w == itoa(v.EnumID))
				})
			})
		})
	}
	return preds, nil
}

// anyValue reports whether some value of field id on r satisfies ok.
func anyValue(r *record, id int, ok func(cfValue) bool) bool {
	for _, e := range r.Fields {
		if e.FieldID == id && slices.ContainsFunc(e.Values, ok) {
			return true
		}
	}
	return false
}

// numberOf reads a custom field value as a number (numeric and date values).
func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
