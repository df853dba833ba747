// Package model holds the GraphQL-side types that have no amoCRM counterpart:
// scalars, connections and the inputs gqlgen generates from the schema.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amogql/amogql/internal/amocrm"
)

// InputError is returned when a scalar input cannot be read. The error
// presenter reports it as BAD_USER_INPUT, so a bad id never reaches amoCRM.
type InputError struct {
	Scalar string
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Scalar, e.Reason)
}

// MarshalID writes an amoCRM numeric id as a GraphQL ID string.
func MarshalID(id int) graphql.Marshaler { return quotedInt(id) }

// UnmarshalID reads a GraphQL ID that must be an amoCRM id: a positive integer
// given as a string or a number.
func UnmarshalID(v any) (int, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	default:
		return 0, &InputError{Scalar: "ID", Reason: "want a positive integer id, as a string or a number"}
	}
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, &InputError{Scalar: "ID", Reason: fmt.Sprintf("%q is not a positive integer id", s)}
	}
	return id, nil
}

// MarshalTime writes Unix seconds as an RFC 3339 string in UTC.
func MarshalTime(sec int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [40]byte
		b := append(buf[:0], '"')
		b = time.Unix(sec, 0).UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
		_, _ = w.Write(b)
	})
}

// UnmarshalTime reads an RFC 3339 string or Unix seconds.
func UnmarshalTime(v any) (int64, error) {
	switch v := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return 0, &InputError{Scalar: "Time", Reason: fmt.Sprintf("%q is not RFC 3339", v)}
		}
		return t.Unix(), nil
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return 0, &InputError{Scalar: "Time", Reason: fmt.Sprintf("%s is not whole Unix seconds", v)}
		}
		return n, nil
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case float64:
		if v != math.Trunc(v) {
			return 0, &InputError{Scalar: "Time", Reason: "Unix seconds must be whole"}
		}
		return int64(v), nil
	default:
		return 0, &InputError{Scalar: "Time", Reason: "want an RFC 3339 string or Unix seconds"}
	}
}

// MarshalRawJSON writes a custom field value exactly as amoCRM sent it.
func MarshalRawJSON(raw json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(raw) == 0 {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(raw)
	})
}

// UnmarshalRawJSON keeps an input value's JSON type (string, number, boolean,
// object) so amoCRM receives what the client sent.
func UnmarshalRawJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &InputError{Scalar: "JSON", Reason: err.Error()}
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// MarshalMoney writes an amoCRM amount as a GraphQL Int.
func MarshalMoney(m amocrm.Money) graphql.Marshaler { return plainInt(m) }

// UnmarshalMoney reads a GraphQL Int as an amoCRM amount.
func UnmarshalMoney(v any) (amocrm.Money, error) {
	i, err := graphql.UnmarshalInt(v)
	return amocrm.Money(i), err
}
