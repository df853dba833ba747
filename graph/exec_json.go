package graph

import (
	"encoding/json"
	"strconv"
	"time"
)

// The executor's JSON writers append to a byte slice exactly what gqlgen's
// marshalers write for the same values — its string escaping
// (graphql.MarshalString), the gateway's scalars (model.MarshalID,
// model.MarshalTime, model.MarshalRawJSON) and its object and list syntax
// (no spaces, keys in selection order) — followed by the HTML escaping
// encoding/json applies when the transport writes an answer (<, >, & and
// the line separators U+2028 and U+2029 as \u escapes). The answer is then
// final: the transport sends it without passing over it again.

const hexDigits = "0123456789ABCDEF"

// escapes marks the bytes appendString cannot copy as they are: those
// gqlgen escapes, those encoding/json's HTML escaping rewrites, and 0xE2,
// the first byte of U+2028 and U+2029.
var escapes = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		t[c] = true
	}
	return t
}()

// appendString quotes s as graphql.MarshalString does, then HTML-escaped:
// control characters, " and \ as gqlgen escapes them; <, >, &, U+2028 and
// U+2029 as encoding/json does; everything else, invalid UTF-8 included,
// copied as it is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s, true)
	return append(b, '"')
}

// appendEscaped copies s escaping what escapes marks; quotes says whether
// s is the inside of a string written here (gqlgen's escapes apply) or a
// whole JSON value written as it came (only the HTML escaping does).
func appendEscaped[T string | []byte](b []byte, s T, quotes bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !escapes[c] {
			continue
		}
		switch {
		case c == '<' || c == '>' || c == '&':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		case c == 0xE2:
			if i+2 >= len(s) || s[i+1] != 0x80 || s[i+2]&^1 != 0xA8 {
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', "89"[s[i+2]&1])
			i += 2
		case !quotes:
			continue
		default:
			b = append(b, s[start:i]...)
			b = appendControl(b, c)
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}

// appendControl escapes ", \ or a control character as gqlgen does.
func appendControl(b []byte, c byte) []byte {
	switch c {
	case '\t':
		return append(b, '\\', 't')
	case '\r':
		return append(b, '\\', 'r')
	case '\n':
		return append(b, '\\', 'n')
	case '\\':
		return append(b, '\\', '\\')
	case '"':
		return append(b, '\\', '"')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendKey writes an object key and its colon.
func appendKey(b []byte, key string) []byte {
	return append(appendString(b, key), ':')
}

// appendID writes an amoCRM id as a GraphQL ID: a JSON string.
func appendID(b []byte, id int) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(id), 10)
	return append(b, '"')
}

func appendOptID(b []byte, id *int) []byte {
	if id == nil {
		return append(b, "null"...)
	}
	return appendID(b, *id)
}

func appendInt(b []byte, v int) []byte { return strconv.AppendInt(b, int64(v), 10) }

func appendOptInt(b []byte, v *int) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return appendInt(b, *v)
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// appendTime writes Unix seconds as model.MarshalTime does.
func appendTime(b []byte, sec int64) []byte {
	b = append(b, '"')
	b = time.Unix(sec, 0).UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

func appendOptTime(b []byte, sec *int64) []byte {
	if sec == nil {
		return append(b, "null"...)
	}
	return appendTime(b, *sec)
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendRawJSON writes a JSON scalar as the schema's JSON marshaler does:
// nil is null, an empty value null too, anything else verbatim but for the
// HTML escaping.
func appendRawJSON(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return appendEscaped(b, []byte(raw), false)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendEach writes items as a JSON array, each by item with the
// selection kids. item is a plain function, not a closure, so writing a
// list allocates nothing.
func appendEach[T any](b []byte, kids []*Node, items []T, item func([]byte, []*Node, T) []byte) []byte {
	b = append(b, '[')
	for i, x := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, kids, x)
	}
	return append(b, ']')
}

// tryEach is appendEach for items whose writing can fail.
func tryEach[T any](b []byte, kids []*Node, items []T, item func([]byte, []*Node, T) ([]byte, error)) ([]byte, error) {
	var err error
	b = append(b, '[')
	for i, x := range items {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = item(b, kids, x); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendFields writes x as a JSON object of the selection kids: each
// field's response key, then its value by field.
func appendFields[T any](b []byte, kids []*Node, x T, field func([]byte, *Node, T) []byte) []byte {
	b = append(b, '{')
	for i, k := range kids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k.Key)
		b = field(b, k, x)
	}
	return append(b, '}')
}

// fields writes an object of the selection kids, each by field; a field
// it does not know is a shape the executor does not cover.
func fields(b []byte, kids []*Node, field func([]byte, *Node) ([]byte, bool)) ([]byte, error) {
	return tryFields(b, kids, func(b []byte, k *Node) ([]byte, bool, error) {
		out, ok := field(b, k)
		return out, ok, nil
	})
}

// tryFields is fields for objects whose fields' writing can fail.
func tryFields(b []byte, kids []*Node, field func([]byte, *Node) ([]byte, bool, error)) ([]byte, error) {
	b = append(b, '{')
	for i, k := range kids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k.Key)
		out, ok, err := field(b, k)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errShape
		}
		b = out
	}
	return append(b, '}'), nil
}
