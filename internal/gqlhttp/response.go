package gqlhttp

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-json-experiment/json/jsontext"
)

// lenient accepts what encoding/json's compaction accepted: it checks
// neither duplicate names nor UTF-8.
var lenient = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

var errInvalidData = errors.New("gqlhttp: the response's data is not valid JSON")

// encodeResponse appends r to buf as encoding/json would encode it, with its
// trailing newline, but copies r.Data instead of re-parsing it. Encoding a
// json.RawMessage compacts it, a full scan through encoding/json's state
// machine that costs more than writing the answer did. The executors
// produce Data compact, so it is only checked (by the JSON v2 tokenizer, a
// few times faster, so that a broken executor still yields a coded 500
// rather than a broken body) and HTML-escaped as encoding/json does by
// default, so that answers stay the same bytes.
//
// Data marked final (MarkFinal) is copied as it is.
func encodeResponse(buf *bytes.Buffer, r *graphql.Response, final bool) error {
	if !final && len(r.Data) > 0 && !jsontext.Value(r.Data).IsValid(lenient...) {
		return errInvalidData
	}
	buf.WriteByte('{')
	if len(r.Errors) > 0 {
		if err := member(buf, `"errors":`, r.Errors); err != nil {
			return err
		}
		buf.WriteByte(',')
	}
	buf.WriteString(`"data":`)
	switch {
	case len(r.Data) == 0:
		buf.WriteString("null")
	case final:
		buf.Write(r.Data)
	default:
		json.HTMLEscape(buf, r.Data)
	}
	if r.Label != "" {
		if err := member(buf, `,"label":`, r.Label); err != nil {
			return err
		}
	}
	if len(r.Path) > 0 {
		if err := member(buf, `,"path":`, r.Path); err != nil {
			return err
		}
	}
	if r.HasNext != nil {
		if err := member(buf, `,"hasNext":`, r.HasNext); err != nil {
			return err
		}
	}
	if len(r.Extensions) > 0 {
		if err := member(buf, `,"extensions":`, r.Extensions); err != nil {
			return err
		}
	}
	buf.WriteString("}\n")
	return nil
}

// finalResponse is an executed answer whose data was marked final.
type finalResponse struct{ *graphql.Response }

// member appends a name and v encoded by encoding/json.
func member(buf *bytes.Buffer, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.WriteString(name)
	buf.Write(b)
	return nil
}
