package amocrm

import (
	"errors"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeRefs reads a list of related entities' ids (an entity's _embedded
// leads, companies, ...), the bulk of a contact list's answer. The JSON v2
// decoder spends more on each small object than on its bytes; this reads
// the id and is_main by hand and skips the links when skipLinks is set.
// Anything unusual (not an array, a value of the wrong type) is decoded by
// the JSON v2 decoder, so the result and the errors are the same.
func decodeRefs(dec *jsontext.Decoder, v *[]EntityRef, skipLinks bool) error {
	if dec.PeekKind() != '[' {
		return errors.ErrUnsupported
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	out := (*v)[:0]
	if out == nil {
		out = []EntityRef{}
	}
	for dec.PeekKind() != ']' {
		var r EntityRef
		if err := decodeRef(dec, &r, skipLinks); err != nil {
			return err
		}
		out = append(out, r)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*v = out
	return nil
}

func decodeRef(dec *jsontext.Decoder, r *EntityRef, skipLinks bool) error {
	switch dec.PeekKind() {
	case '{':
	case 'n':
		_, err := dec.ReadToken()
		return err
	default:
		return jsonv2.UnmarshalDecode(dec, r)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var buf [16]byte
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		name, err := memberName(buf[:0], raw)
		if err != nil {
			name = nil // names no field of ours
		}
		switch string(name) {
		case "id":
			err = decodeInt(dec, &r.ID)
		case "is_main":
			err = jsonv2.UnmarshalDecode(dec, &r.IsMain)
		case "_links":
			if skipLinks {
				err = skipValue(dec)
			} else {
				err = jsonv2.UnmarshalDecode(dec, &r.Links)
			}
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// decodeInt reads a plain integer by hand, anything else with the JSON v2
// decoder.
func decodeInt(dec *jsontext.Decoder, v *int) error {
	if dec.PeekKind() != '0' {
		return jsonv2.UnmarshalDecode(dec, v)
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	n, ok := plainInt(raw)
	if !ok || int64(int(n)) != n {
		return jsonv2.Unmarshal(raw, v, decodeOptions)
	}
	*v = int(n)
	return nil
}
