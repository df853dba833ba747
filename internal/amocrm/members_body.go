package amocrm

import (
	"bytes"
	"reflect"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
)

// decodeBody decodes an answer into v, a pointer to an entity or to a list
// wrapper (halPage and an _embedded struct of entity slices), with opts,
// the options of the call. It walks the entity objects with the scanner,
// decoding only the members m keeps; the rest of a list body (the page and
// its links) goes to the JSON v2 decoder. Any other type, or an answer of
// another shape, is decoded by the JSON v2 decoder alone, whose entity
// unmarshalers still apply m.
func (m *Members) decodeBody(data []byte, v any, skip Skip) error {
	opts := m.opts[skip&skipAll]
	c := call{opts, skip}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return jsonv2.Unmarshal(data, v, opts)
	}
	dst := rv.Elem()
	s := &scanner{b: data}
	if s.peek() != '{' {
		return jsonv2.Unmarshal(data, v, opts)
	}
	if dst.Kind() == reflect.Pointer {
		// A single entity into a pointer (GET /api/v4/contacts/{id}):
		// allocated and walked, as the JSON v2 decoder would allocate it.
		if _, ok := m.kept[dst.Type().Elem()]; !ok {
			return jsonv2.Unmarshal(data, v, opts)
		}
		e := reflect.New(dst.Type().Elem())
		if err := m.entity(s, e.Elem(), c); err != nil {
			return err
		}
		if err := s.end(); err != nil {
			return err
		}
		dst.Set(e)
		return nil
	}
	if dst.Kind() != reflect.Struct {
		return jsonv2.Unmarshal(data, v, opts)
	}
	if _, ok := m.kept[dst.Type()]; ok {
		if err := m.entity(s, dst, c); err != nil {
			return err
		}
		return s.end()
	}
	emb, ok := embeddedField(dst.Type())
	if !ok {
		return jsonv2.Unmarshal(data, v, opts)
	}
	// The body less its _embedded: small (a page number, a few links),
	// decoded by the JSON v2 decoder into the wrapper's other fields.
	rest := make([]byte, 0, 256)
	rest = append(rest, '{')
	err := s.object(func(name []byte) error {
		if string(name) == `"_embedded"` && s.peek() == '{' {
			return m.embedded(s, dst.Field(emb), c)
		}
		value, err := s.value()
		if err != nil {
			return err
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = append(append(append(rest, name...), ':'), value...)
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.end(); err != nil {
		return err
	}
	return jsonv2.Unmarshal(append(rest, '}'), v, opts)
}

// embedded decodes the _embedded object at s into dst, a struct of entity
// slices and whatever else a wrapper embeds.
func (m *Members) embedded(s *scanner, dst reflect.Value, c call) error {
	fields := fieldsOf(dst.Type())
	var buf [32]byte
	return s.object(func(rawName []byte) error {
		name, err := memberName(buf[:0], rawName)
		f, ok := fields[string(name)]
		if err == nil && ok && m.isEntityList(dst.Field(f.index).Type()) && s.peek() == '[' {
			return m.entityList(s, dst.Field(f.index), c)
		}
		value, err2 := s.value()
		if err2 != nil || err != nil || !ok {
			return err2
		}
		return jsonv2.Unmarshal(value, dst.Field(f.index).Addr().Interface(), c.opts)
	})
}

// isEntityList reports whether t is a slice of pointers to an entity type.
func (m *Members) isEntityList(t reflect.Type) bool {
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Pointer {
		return false
	}
	_, ok := m.kept[t.Elem().Elem()]
	return ok
}

// entityList decodes an array of entity objects into dst, a []*E. As the
// JSON v2 decoder does, it replaces the slice's elements and leaves null
// elements nil.
func (m *Members) entityList(s *scanner, dst reflect.Value, c call) error {
	elem := dst.Type().Elem().Elem()
	out := reflect.MakeSlice(dst.Type(), 0, 8)
	err := s.array(func() error {
		if s.peek() == '{' {
			p := reflect.New(elem)
			if err := m.entity(s, p.Elem(), c); err != nil {
				return err
			}
			out = reflect.Append(out, p)
			return nil
		}
		value, err := s.value()
		if err != nil {
			return err
		}
		if string(value) == "null" {
			out = reflect.Append(out, reflect.Zero(dst.Type().Elem()))
			return nil
		}
		// The wrong type: the JSON v2 decoder's error.
		return jsonv2.Unmarshal(value, reflect.New(elem).Interface(), c.opts)
	})
	if err != nil {
		return err
	}
	dst.Set(out)
	return nil
}

// entity walks the entity object at s into dst, decoding the members m
// keeps.
func (m *Members) entity(s *scanner, dst reflect.Value, c call) error {
	t := dst.Type()
	kept, quoted := m.kept[t], m.quoted[t]
	var buf [32]byte
	return s.object(func(rawName []byte) error {
		f, ok := lookup(quoted, rawName)
		if !ok && bytes.IndexByte(rawName, '\\') >= 0 {
			// An escaped name may still name a kept member (kept names are
			// ASCII, so an unescaped one that differs cannot). One that
			// does not unquote cleanly names no field of ours; its value
			// is left alone as the decoder would.
			if name, err := memberName(buf[:0], rawName); err == nil {
				f, ok = kept[string(name)]
			}
		}
		if !ok {
			_, err := s.value()
			return err
		}
		if f.embedded && s.peek() == '{' {
			return relations(s, dst.Field(f.index), c, m.related)
		}
		value, err := s.value()
		if err != nil {
			return err
		}
		return f.decode(value, dst.Field(f.index), c.opts)
	})
}

// quotedField is a kept member by its name as amoCRM writes it, quotes
// included: a few names, compared byte for byte before any map lookup.
type quotedField struct {
	name string
	memberField
}

func lookup(q []quotedField, rawName []byte) (memberField, bool) {
	for i := range q {
		if q[i].name == string(rawName) {
			return q[i].memberField, true
		}
	}
	return memberField{}, false
}

// call is what decoding an answer takes from its call.
type call struct {
	opts jsonv2.Options
	skip Skip
}

// relations decodes an entity's _embedded object at s into dst, a pointer
// to its struct of relations (allocated if nil, as the JSON v2 decoder
// does): the lists of related entities' ids, the bulk of a contact list,
// are walked; tags, catalog links and the like go to the JSON v2 decoder.
// Members not in only (nil: all) are passed over.
func relations(s *scanner, dst reflect.Value, c call, only map[string]bool) error {
	if dst.Kind() != reflect.Pointer || dst.Type().Elem().Kind() != reflect.Struct {
		value, err := s.value()
		if err != nil {
			return err
		}
		return jsonv2.Unmarshal(value, dst.Addr().Interface(), c.opts)
	}
	if dst.IsNil() {
		dst.Set(reflect.New(dst.Type().Elem()))
	}
	st := dst.Elem()
	fields := fieldsOf(st.Type())
	var buf [32]byte
	return s.object(func(rawName []byte) error {
		name, err := memberName(buf[:0], rawName)
		f, ok := fields[string(name)]
		ok = ok && (only == nil || only[string(name)])
		if err == nil && ok && st.Field(f.index).Type() == refsType && s.peek() == '[' {
			return walkRefs(s, st.Field(f.index).Addr().Interface().(*[]EntityRef), c)
		}
		value, err2 := s.value()
		if err2 != nil || err != nil || !ok {
			return err2
		}
		return jsonv2.Unmarshal(value, st.Field(f.index).Addr().Interface(), c.opts)
	})
}

var refsType = reflect.TypeFor[[]EntityRef]()

// walkRefs decodes the array of related entities' ids at s into v: a null
// element is a zero EntityRef, links are left out under SkipLinks, a value
// of another type fails as the JSON v2 decoder fails it.
func walkRefs(s *scanner, v *[]EntityRef, c call) error {
	out := (*v)[:0]
	if out == nil {
		out = []EntityRef{}
	}
	var buf [16]byte
	err := s.array(func() error {
		var r EntityRef
		if s.peek() != '{' {
			value, err := s.value()
			if err != nil || string(value) == "null" {
				out = append(out, r)
				return err
			}
			return jsonv2.Unmarshal(value, &r, c.opts) // the decoder's error
		}
		err := s.object(func(rawName []byte) error {
			value, err := s.value()
			if err != nil {
				return err
			}
			name, err := memberName(buf[:0], rawName)
			if err != nil {
				return nil
			}
			switch string(name) {
			case "id":
				if n, ok := plainInt(value); ok && n == int64(int(n)) {
					r.ID = int(n)
					return nil
				}
				return jsonv2.Unmarshal(value, &r.ID, c.opts)
			case "is_main":
				return jsonv2.Unmarshal(value, &r.IsMain, c.opts)
			case "_links":
				if c.skip&SkipLinks != 0 {
					return nil
				}
				return jsonv2.Unmarshal(value, &r.Links, c.opts)
			}
			return nil
		})
		out = append(out, r)
		return err
	})
	if err != nil {
		return err
	}
	*v = out
	return nil
}

var embeddedFields sync.Map // reflect.Type → int, or -1

// embeddedField is the index of t's field tagged json:"_embedded".
func embeddedField(t reflect.Type) (int, bool) {
	if i, ok := embeddedFields.Load(t); ok {
		return i.(int), i.(int) >= 0
	}
	i := -1
	if f, ok := fieldsOf(t)["_embedded"]; ok && t.Field(f.index).Type.Kind() == reflect.Struct {
		i = f.index
	}
	embeddedFields.Store(t, i)
	return i, i >= 0
}
