package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Validation error codes. NotSupportedChoice and FieldNotExpected are the
// ones upstream is documented to send; the others are the sandbox's names for
// failures whose upstream code is unconfirmed.
const (
	codeNotSupportedChoice = "NotSupportedChoice"
	codeFieldNotExpected   = "FieldNotExpected"
	codeInvalidType        = "InvalidType"
	codeNotFound           = "NotFound"
	codeFieldMissing       = "FieldMissing"
)

// maxBodyBytes bounds request bodies; maxBatch bounds elements per write.
// Upstream's batch limit is not documented (the community reports 500,
// https://www.amocrm.com/developers/content/api/recommendations); 500 is used so a client that never chunks is caught.
const (
	maxBodyBytes = 8 << 20
	maxBatch     = 500
)

// obj is one JSON object of a request body, undecoded per key so that a
// wrong type in one key becomes a validation error at its path, not a failed
// decode of the whole body.
type obj map[string]json.RawMessage

// checker collects the validation errors of one body element.
type checker struct{ errs []fieldError }

func (c *checker) fail(code, path, detail string) {
	c.errs = append(c.errs, fieldError{Code: code, Path: path, Detail: detail})
}

func (c *checker) ok() bool { return len(c.errs) == 0 }

// kind classifies a raw JSON value by its first byte.
func kind(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 'z'
	}
	switch raw[0] {
	case '"':
		return 's'
	case '{':
		return 'o'
	case '[':
		return 'a'
	case 't', 'f':
		return 'b'
	case 'n':
		return 'z'
	}
	return 'n'
}

// readBody reads a JSON request body of at most maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) (json.RawMessage, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, detail: "request body is too large"}
		}
		return nil, &apiError{status: http.StatusBadRequest, detail: "cannot read request body"}
	}
	if !json.Valid(body) {
		return nil, &apiError{status: http.StatusBadRequest, detail: "request body is not valid JSON"}
	}
	return body, nil
}

// readBatch reads a body that must be a non-empty JSON array of objects.
func readBatch(w http.ResponseWriter, r *http.Request) ([]json.RawMessage, *apiError) {
	body, aerr := readBody(w, r)
	if aerr != nil {
		return nil, aerr
	}
	return batchItems(body)
}

// batchItems splits a body that must be a non-empty JSON array.
func batchItems(body json.RawMessage) ([]json.RawMessage, *apiError) {
	var items []json.RawMessage
	if kind(body) != 'a' || json.Unmarshal(body, &items) != nil {
		return nil, &apiError{status: http.StatusBadRequest, detail: "request body must be a JSON array"}
	}
	if len(items) == 0 {
		return nil, &apiError{status: http.StatusBadRequest, detail: "request body must not be an empty array"}
	}
	if len(items) > maxBatch {
		return nil, &apiError{status: http.StatusBadRequest, detail: "too many entities in one request (max " + itoa(maxBatch) + ")"}
	}
	return items, nil
}

// asObj decodes raw as an object, or returns nil when it is not one.
func asObj(raw json.RawMessage) obj {
	if kind(raw) != 'o' {
		return nil
	}
	var o obj
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	return o
}

// requestID is the element's request_id, or its index when none was given.
func requestID(o obj, index int) string {
	raw, has := o["request_id"]
	switch {
	case !has:
	case kind(raw) == 's':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case kind(raw) == 'n':
		return string(bytes.TrimSpace(raw))
	}
	return itoa(index)
}

// str reads an optional string key; nil when absent or null.
func (c *checker) str(o obj, key, path string) *string {
	raw, has := o[key]
	if !has || kind(raw) == 'z' {
		return nil
	}
	var s string
	if kind(raw) != 's' || json.Unmarshal(raw, &s) != nil {
		c.fail(codeInvalidType, path, "This value should be of type string.")
		return nil
	}
	return &s
}

// integer reads an optional integer key; nil when absent or null.
func (c *checker) integer(o obj, key, path string) *int64 {
	raw, has := o[key]
	if !has || kind(raw) == 'z' {
		return nil
	}
	n, ok := parseInteger(raw)
	if !ok {
		c.fail(codeInvalidType, path, "This value should be of type int.")
		return nil
	}
	return &n
}

// parseInteger reads a JSON number that holds an integer (1, 1.0, 1e3).
func parseInteger(raw json.RawMessage) (int64, bool) {
	if kind(raw) != 'n' {
		return 0, false
	}
	text := string(bytes.TrimSpace(raw))
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// userID reads an optional user id key that must name an account user
// (0 is allowed where upstream uses it for robots). Checking existence is a
// sandbox choice: upstream's answer to unknown users is unconfirmed.
func (c *checker) userID(st *store, o obj, key string, allowZero bool) *int {
	n := c.integer(o, key, key)
	if n == nil {
		return nil
	}
	id := int(*n)
	if _, known := st.users[id]; !known && !(allowZero && id == 0) {
		c.fail(codeNotSupportedChoice, key, "The value you selected is not a valid choice.")
		return nil
	}
	return &id
}

// fieldsInput are the validated custom_fields_values of one element. An
// entry without values clears that field (how upstream treats "values": null
// is unconfirmed).
type fieldsInput struct {
	given   bool
	entries []cfEntry
}

// fields validates custom_fields_values against the registry fs.
func (c *checker) fields(o obj, fs *fieldSet) fieldsInput {
	const key = "custom_fields_values"
	raw, has := o[key]
	if !has || kind(raw) == 'z' {
		return fieldsInput{}
	}
	var items []json.RawMessage
	if kind(raw) != 'a' || json.Unmarshal(raw, &items) != nil {
		c.fail(codeInvalidType, key, "This value should be of type array.")
		return fieldsInput{}
	}
	in := fieldsInput{given: true}
	for i, item := range items {
		path := key + "." + itoa(i)
		fo := asObj(item)
		if fo == nil {
			c.fail(codeInvalidType, path, "This value should be of type object.")
			continue
		}
		f := c.resolveField(fo, fs, path)
		if f == nil {
			continue
		}
		entry := cfEntry{FieldID: f.ID}
		vraw := fo["values"]
		if kind(vraw) != 'z' {
			var vals []json.RawMessage
			if kind(vraw) != 'a' || json.Unmarshal(vraw, &vals) != nil {
				c.fail(codeInvalidType, path+".values", "This value should be of type array.")
				continue
			}
			for j, v := range vals {
				if cv, ok := c.value(f, v, path+".values."+itoa(j)); ok {
					entry.Values = append(entry.Values, cv)
				}
			}
		}
		in.entries = append(in.entries, entry)
	}
	return in
}

// resolveField finds the field an element names by field_id or field_code.
func (c *checker) resolveField(fo obj, fs *fieldSet, path string) *customField {
	var byID, byCode *customField
	idGiven, codeGiven := kind(fo["field_id"]) != 'z', kind(fo["field_code"]) != 'z'
	if idGiven {
		if id := c.integer(fo, "field_id", path+".field_id"); id != nil {
			if byID = fs.byID(int(*id)); byID == nil {
				c.fail(codeNotSupportedChoice, path+".field_id", "The value you selected is not a valid choice.")
			}
		}
	}
	if codeGiven {
		if code := c.str(fo, "field_code", path+".field_code"); code != nil {
			if byCode = fs.byCode(*code); byCode == nil || (byID != nil && byCode != byID) {
				c.fail(codeNotSupportedChoice, path+".field_code", "The value you selected is not a valid choice.")
				return nil
			}
		}
	}
	if !idGiven && !codeGiven {
		c.fail(codeNotSupportedChoice, path+".field_id", "field_id or field_code is required.")
	}
	if byID != nil {
		return byID
	}
	return byCode
}

// value validates one value object of field f and converts it for storage.
func (c *checker) value(f *customField, raw json.RawMessage, path string) (cfValue, bool) {
	vo := asObj(raw)
	if vo == nil {
		c.fail(codeInvalidType, path, "This value should be of type object.")
		return cfValue{}, false
	}
	before := len(c.errs)
	if _, has := vo["enum"]; has {
		// Reads may carry "enum" (documentation examples); writes must not.
		c.fail(codeFieldNotExpected, path+".enum", "This field was not expected.")
	}
	var v cfValue
	switch f.Type {
	case typeMultitext:
		v.Value = c.textValue(vo, path+".value", true)
		if e := c.enumOf(f, vo, path, false); e != nil {
			v.EnumID, v.EnumCode = e.ID, e.Code
		}
	case typeSelect:
		if e := c.enumOf(f, vo, path, true); e != nil {
			v.Value, v.EnumID, v.EnumCode = e.Value, e.ID, e.Code
		}
	case typeNumeric, typePrice:
		v.Value = c.numberValue(vo, path+".value")
	case typeCheckbox:
		if raw, has := vo["value"]; !has || kind(raw) != 'b' {
			c.fail(codeInvalidType, path+".value", "This value should be of type bool.")
		} else {
			v.Value = string(bytes.TrimSpace(raw)) == "true"
		}
	case typeDate:
		v.Value = c.dateValue(vo, path+".value")
	default: // text, textarea, url
		v.Value = c.textValue(vo, path+".value", true)
	}
	return v, len(c.errs) == before
}

// textValue reads a string value; numbers are accepted and kept as text.
func (c *checker) textValue(vo obj, path string, numbersOK bool) string {
	raw := vo["value"]
	switch kind(raw) {
	case 's':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	case 'n':
		if numbersOK {
			return string(bytes.TrimSpace(raw))
		}
	}
	c.fail(codeInvalidType, path, "This value should be of type string.")
	return ""
}

// numberValue reads a numeric value: a JSON number or a numeric string.
func (c *checker) numberValue(vo obj, path string) json.Number {
	raw := vo["value"]
	text := string(bytes.TrimSpace(raw))
	if kind(raw) == 's' {
		_ = json.Unmarshal(raw, &text)
	} else if kind(raw) != 'n' {
		text = ""
	}
	if _, err := strconv.ParseFloat(text, 64); err != nil {
		c.fail(codeInvalidType, path, "This value should be of type numeric.")
		return ""
	}
	return json.Number(text)
}

// dateValue reads a date as Unix seconds, from an integer, an RFC 3339
// string or YYYY-MM-DD (the read format upstream uses is unconfirmed; the
// sandbox always answers Unix seconds).
func (c *checker) dateValue(vo obj, path string) int64 {
	raw := vo["value"]
	if n, ok := parseInteger(raw); ok {
		return n
	}
	if kind(raw) == 's' {
		var s string
		_ = json.Unmarshal(raw, &s)
		s = strings.TrimSpace(s)
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.Unix()
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t.Unix()
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	c.fail(codeInvalidType, path, "This value should be a date (Unix timestamp or RFC 3339).")
	return 0
}

// enumOf resolves the option a multitext or select value names by enum_id,
// enum_code or (select only) its text. A multitext value that names none
// gets the field's first option (WORK), as upstream's forms do.
func (c *checker) enumOf(f *customField, vo obj, path string, byValue bool) *fieldEnum {
	var found *fieldEnum
	named := false
	if id := c.integer(vo, "enum_id", path+".enum_id"); id != nil {
		named = true
		if found = f.enumByID(int(*id)); found == nil {
			c.fail(codeNotSupportedChoice, path+".enum_id", "The value you selected is not a valid choice.")
			return nil
		}
	}
	if code := c.str(vo, "enum_code", path+".enum_code"); code != nil {
		named = true
		e := f.enumByCode(*code)
		if e == nil || (found != nil && e != found) {
			c.fail(codeNotSupportedChoice, path+".enum_code", "The value you selected is not a valid choice.")
			return nil
		}
		found = e
	}
	if byValue && found == nil {
		before := len(c.errs)
		text := c.textValue(vo, path+".value", true)
		if len(c.errs) > before {
			return nil
		}
		if found = f.enumByValue(text); found == nil {
			c.fail(codeNotSupportedChoice, path+".value", "The value you selected is not a valid choice.")
		}
		return found
	}
	if !named && len(f.Enums) > 0 {
		found = &f.Enums[0]
	}
	return found
}

// tagRef names a tag by id or by name.
type tagRef struct {
	id   int
	name string
}

// tags validates an array of tag references under key. Unknown ids fail
// with NotSupportedChoice unless lenient (tags_to_delete ignores them).
func (c *checker) tags(st *store, entity string, o obj, key string, lenient bool) ([]tagRef, bool) {
	path := strings.ReplaceAll(key, "/", ".")
	raw := lookupPath(o, key)
	if kind(raw) == 'z' {
		return nil, false
	}
	var items []json.RawMessage
	if kind(raw) != 'a' || json.Unmarshal(raw, &items) != nil {
		c.fail(codeInvalidType, path, "This value should be of type array.")
		return nil, true
	}
	refs := make([]tagRef, 0, len(items))
	for i, item := range items {
		p := path + "." + itoa(i)
		to := asObj(item)
		if to == nil {
			c.fail(codeInvalidType, p, "This value should be of type object.")
			continue
		}
		var ref tagRef
		if id := c.integer(to, "id", p+".id"); id != nil {
			ref.id = int(*id)
		}
		if name := c.str(to, "name", p+".name"); name != nil {
			ref.name = strings.TrimSpace(*name)
		}
		switch {
		case ref.id == 0 && ref.name == "":
			c.fail(codeInvalidType, p, "A tag needs an id or a name.")
			continue
		case ref.id != 0 && st.tags[entity][ref.id] == nil && !lenient:
			c.fail(codeNotSupportedChoice, p+".id", "The value you selected is not a valid choice.")
			continue
		}
		refs = append(refs, ref)
	}
	return refs, true
}

// tagSet reads _embedded.tags, an entity's whole tag set; given is false
// when the key is absent. A null is given and empty: the official PHP
// library removes every tag by sending it (NullTagsCollection,
// https://github.com/amocrm/amocrm-api-php).
func (c *checker) tagSet(st *store, entity string, o obj) (refs []tagRef, given bool) {
	raw, has := asObj(o["_embedded"])["tags"]
	switch {
	case !has:
		return nil, false
	case kind(raw) == 'z':
		return nil, true
	}
	return c.tags(st, entity, o, "_embedded/tags", false)
}

// lookupPath reads key "a/b" as o["a"]["b"].
func lookupPath(o obj, key string) json.RawMessage {
	first, rest, nested := strings.Cut(key, "/")
	if !nested {
		return o[first]
	}
	inner := asObj(o[first])
	if inner == nil {
		return nil
	}
	return lookupPath(inner, rest)
}
