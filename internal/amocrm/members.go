package amocrm

import (
	"context"
	"errors"
	"reflect"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Members names the JSON members of amoCRM's entity objects (contacts,
// leads, companies, customers) that a caller reads, by their names in the
// answer ("id", "name", "_embedded", ...). amoCRM has no field selection:
// a lead arrives with twenty-odd members whatever the caller wants. Under
// WithMembers the client decodes only the named members of each entity
// object and scans past the others, which in a list of leads is most of
// the work of decoding. Members not named stay at their zero value.
//
// A Members is immutable and safe for concurrent use; build one per set
// of names and reuse it, as it holds the decoder set up for that set.
type Members struct {
	kept map[reflect.Type]map[string]memberField // per entity type, by JSON name
	opts [skipAll + 1]jsonv2.Options             // per Skip combination
}

// NewMembers returns the set of members named. "id" is always kept, so
// that decoded objects can be told apart.
func NewMembers(names ...string) *Members {
	m := &Members{kept: make(map[reflect.Type]map[string]memberField, len(entityTypes))}
	for _, t := range entityTypes {
		all := fieldsOf(t)
		kept := make(map[string]memberField, len(names)+1)
		for _, n := range append(names, "id") {
			if f, ok := all[n]; ok {
				kept[n] = f
			}
		}
		m.kept[t] = kept
	}
	entities := []*jsonv2.Unmarshalers{
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Contact) error { return m.decode(dec, v) }),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Lead) error { return m.decode(dec, v) }),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Company) error { return m.decode(dec, v) }),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Customer) error { return m.decode(dec, v) }),
	}
	for s := range m.opts {
		skipLinks := Skip(s)&SkipLinks != 0
		refs := jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *[]EntityRef) error { return decodeRefs(dec, v, skipLinks) })
		fns := append(skipUnmarshalers(Skip(s)), append(entities, refs)...)
		m.opts[s] = jsonv2.JoinOptions(decodeOptions, jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(fns...)))
	}
	return m
}

// entityTypes are the objects Members applies to.
var entityTypes = []reflect.Type{
	reflect.TypeFor[Contact](), reflect.TypeFor[Lead](), reflect.TypeFor[Company](), reflect.TypeFor[Customer](),
}

type membersKey struct{}

// WithMembers returns a context under which the client's calls decode only
// the members m names of the entity objects in their answers (and skip
// what WithSkip names within those). A nil m decodes every member. Only
// decoding changes: the requests sent are the same.
func WithMembers(ctx context.Context, m *Members) context.Context {
	return context.WithValue(ctx, membersKey{}, m)
}

func membersFrom(ctx context.Context) *Members {
	m, _ := ctx.Value(membersKey{}).(*Members)
	return m
}

// decode reads one entity object into v, a pointer to one of entityTypes.
// Anything but an object (null, a wrong type) goes to the default
// decoding, so that it fails or succeeds exactly as without Members.
func (m *Members) decode(dec *jsontext.Decoder, v any) error {
	if dec.PeekKind() != '{' {
		return errors.ErrUnsupported
	}
	rv := reflect.ValueOf(v).Elem()
	kept := m.kept[rv.Type()]
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var buf [32]byte
	name := buf[:0]
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		// A name that does not unquote cleanly (invalid UTF-8) names no
		// field of ours; its value is skipped as the decoder would ignore it.
		name, err = memberName(name[:0], raw)
		f, ok := kept[string(name)]
		if !ok || err != nil {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if err := f.decode(dec, rv.Field(f.index)); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// memberName is the unquoted name of a member read as a raw value.
func memberName(dst []byte, raw jsontext.Value) ([]byte, error) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && plain(raw[1:n-1]) {
		return append(dst, raw[1:n-1]...), nil
	}
	return jsontext.AppendUnquote(dst, raw)
}

// plain reports whether a string literal's bytes need no unquoting: no
// escapes, only ASCII (so no UTF-8 to check).
func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 || c < 0x20 {
			return false
		}
	}
	return true
}
