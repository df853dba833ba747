package graph

import (
	"encoding/json"
	"strconv"
	"time"
)

// The executor's JSON writers append to a byte slice exactly what gqlgen's
// marshalers write for the same values: its string escaping
// (graphql.MarshalString), the gateway's scalars (model.MarshalID,
// model.MarshalTime, model.MarshalRawJSON) and its object and list syntax
// (no spaces, keys in selection order).

const hexDigits = "0123456789ABCDEF"

// appendString quotes s as graphql.MarshalString does: only ", \ and
// control characters are escaped; everything else, invalid UTF-8 included,
// is copied as it is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
// nil is null, an empty value null too, anything else verbatim.
func appendRawJSON(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
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
