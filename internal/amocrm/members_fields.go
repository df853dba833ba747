package amocrm

import (
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
)

// memberField is a struct field Members decodes by hand where its JSON is
// plain (an integer, a string without escapes, a boolean, null), and with
// the JSON v2 decoder otherwise, so every value decodes as without Members.
type memberField struct {
	index    int
	kind     fieldKind
	embedded bool // the entity's _embedded, walked by relations
}

type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindInt             // int, int64
	kindString
	kindBool
	kindIntPtr // *int, *int64
	kindMoney  // Money: a plain integer is its value
)

var fieldsCache sync.Map // reflect.Type → map[string]memberField

// fieldsOf maps the JSON names of struct type t's fields, named as the
// JSON v2 decoder names them (the json tag's name, else the Go name).
// Fields the decoder would treat specially (inlined, embedded, with tag
// options that change decoding) are left out, so they are never kept.
func fieldsOf(t reflect.Type) map[string]memberField {
	if m, ok := fieldsCache.Load(t); ok {
		return m.(map[string]memberField)
	}
	m := map[string]memberField{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		tag, hasTag := sf.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" || !hasTag {
			name = sf.Name
		}
		if !plainOptions(opts) {
			continue
		}
		m[name] = memberField{index: i, kind: kindOf(sf.Type)}
	}
	fieldsCache.Store(t, m)
	return m
}

// plainOptions reports whether a tag's options leave decoding as the
// type's default (omitempty and omitzero only matter when encoding).
func plainOptions(opts string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o != "omitempty" && o != "omitzero" {
			return false
		}
	}
	return true
}

func kindOf(t reflect.Type) fieldKind {
	if t == reflect.TypeFor[Money]() {
		return kindMoney
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return kindOther // a named type may have its own decoding (Money)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return kindInt
	case reflect.String:
		return kindString
	case reflect.Bool:
		return kindBool
	case reflect.Pointer:
		if e := t.Elem(); e.PkgPath() == "" && (e.Kind() == reflect.Int || e.Kind() == reflect.Int64) {
			return kindIntPtr
		}
	}
	return kindOther
}

// decode reads the member's raw value into v, a field of the object, with
// the options of the call.
func (f memberField) decode(raw []byte, v reflect.Value, opts jsonv2.Options) error {
	switch c := raw[0]; {
	case (f.kind == kindInt || f.kind == kindIntPtr || f.kind == kindMoney) && (c == '-' || c >= '0' && c <= '9'):
		n, ok := plainInt(raw)
		if !ok || f.kind != kindIntPtr && v.OverflowInt(n) {
			break
		}
		if f.kind == kindIntPtr {
			p := reflect.New(v.Type().Elem())
			p.Elem().SetInt(n)
			v.Set(p)
			return nil
		}
		v.SetInt(n)
		return nil
	case f.kind == kindIntPtr && string(raw) == "null":
		v.SetZero()
		return nil
	case f.kind == kindString && c == '"':
		s := raw[1 : len(raw)-1]
		if !plainString(s) {
			break
		}
		v.SetString(string(s))
		return nil
	case f.kind == kindBool && (string(raw) == "true" || string(raw) == "false"):
		v.SetBool(c == 't')
		return nil
	}
	// Everything else, with the options of the call (Skip included).
	return jsonv2.Unmarshal(raw, v.Addr().Interface(), opts)
}

// plainInt parses a JSON integer of at most 18 digits, which cannot
// overflow an int64; anything else is left to the JSON v2 decoder.
func plainInt(raw []byte) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) == 0 || len(raw) > 18 || (raw[0] == '0' && len(raw) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// plainString reports whether a string literal's bytes are its value: no
// escapes and valid UTF-8.
func plainString(b []byte) bool {
	for i, c := range b {
		if c == '\\' || c < 0x20 {
			return false
		}
		if c >= 0x80 {
			return utf8.Valid(b[i:]) && !hasEscape(b[i:])
		}
	}
	return true
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < 0x20 {
			return true
		}
	}
	return false
}
