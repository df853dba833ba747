package amocrm

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"

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
	kept   map[reflect.Type]map[string]memberField // per entity type, by JSON name
	quoted map[reflect.Type][]quotedField          // the same, by quoted name
	// related are the members of _embedded kept ("tags", "leads", ...);
	// nil keeps all of them.
	related map[string]bool
	opts    [skipAll + 1]jsonv2.Options // per Skip combination
}

// NewMembers returns the set of members named. "id" is always kept, so
// that decoded objects can be told apart. "_embedded.leads" names one
// member of an entity's _embedded (and keeps _embedded with only the
// members so named); "_embedded" keeps all of them.
func NewMembers(names ...string) *Members {
	m := &Members{
		kept:   make(map[reflect.Type]map[string]memberField, len(entityTypes)),
		quoted: make(map[reflect.Type][]quotedField, len(entityTypes)),
	}
	names = slices.Clone(names) // appended to below
	var whole bool
	for _, n := range names {
		switch rel, ok := strings.CutPrefix(n, "_embedded."); {
		case n == "_embedded":
			whole = true
		case ok:
			if m.related == nil {
				m.related = map[string]bool{}
			}
			m.related[rel] = true
			names = append(names, "_embedded")
		}
	}
	if whole {
		m.related = nil
	}
	for _, t := range entityTypes {
		all := fieldsOf(t)
		kept := make(map[string]memberField, len(names)+1)
		for _, n := range append(names, "id") {
			if f, ok := all[n]; ok {
				kept[n] = f
			}
		}
		m.kept[t] = kept
		for n, f := range kept {
			f.embedded = n == "_embedded"
			kept[n] = f
			m.quoted[t] = append(m.quoted[t], quotedField{`"` + n + `"`, f})
		}
	}
	for s := range m.opts {
		// A kept member is decoded with the options of the call it is part
		// of, read when it is decoded (the closures are made before them).
		opts, skip := &m.opts[s], Skip(s)
		entities := []*jsonv2.Unmarshalers{
			jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Contact) error { return m.decode(dec, v, call{*opts, skip}) }),
			jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Lead) error { return m.decode(dec, v, call{*opts, skip}) }),
			jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Company) error { return m.decode(dec, v, call{*opts, skip}) }),
			jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Customer) error { return m.decode(dec, v, call{*opts, skip}) }),
		}
		refs := jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *[]EntityRef) error { return m.decodeRefs(dec, v, call{*opts, skip}) })
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

// decode reads one entity object into v, a pointer to one of entityTypes,
// with opts, the options of the call, where the JSON v2 decoder meets one
// (a body decodeBody does not walk itself). The object is read whole, which
// validates it in one pass, and walked by the scanner. Anything but an
// object (null, a wrong type) goes to the default decoding, so that it
// fails or succeeds exactly as without Members.
func (m *Members) decode(dec *jsontext.Decoder, v any, c call) error {
	if dec.PeekKind() != '{' {
		return errors.ErrUnsupported
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return m.entity(&scanner{b: raw}, reflect.ValueOf(v).Elem(), c)
}

// decodeRefs reads a list of related entities' ids where the JSON v2
// decoder meets one, as relations walks them: read whole, then walked.
// Anything but an array goes to the default decoding.
func (m *Members) decodeRefs(dec *jsontext.Decoder, v *[]EntityRef, c call) error {
	if dec.PeekKind() != '[' {
		return errors.ErrUnsupported
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return walkRefs(&scanner{b: raw}, v, c)
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
