package graph

import (
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
)

// maxBatch is the most items one mutation sends upstream. amoCRM documents no
// write limit; the community reports failures past 500 and the page limit is
// 250, so the gateway keeps writes within what it can read back in one call.
const maxBatch = 250

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func customFields(in []*model.CustomFieldValueInput) []amocrm.CustomFieldValues {
	if in == nil {
		return nil
	}
	out := make([]amocrm.CustomFieldValues, len(in))
	for i, f := range in {
		out[i] = amocrm.CustomFieldValues{FieldID: deref(f.FieldID), FieldCode: deref(f.FieldCode), FieldName: deref(f.FieldName)}
		values := f.Values.Value()
		if values == nil {
			continue // null empties the field
		}
		out[i].Values = make([]amocrm.CustomFieldValue, len(values))
		for j, v := range values {
			out[i].Values[j] = amocrm.CustomFieldValue{
				Value: v.Value, EnumID: v.EnumID, EnumCode: v.EnumCode,
				CatalogID: v.CatalogID, CatalogElementID: v.CatalogElementID,
			}
		}
	}
	return out
}

// tagSet is a whole tag set to write: nil (keep the tags) when the input
// left it out, an empty set (remove them all) for an explicit null.
func tagSet(in graphql.Omittable[[]*model.TagInput]) []amocrm.TagRef {
	if !in.IsSet() {
		return nil
	}
	if tags := tagRefs(in.Value()); tags != nil {
		return tags
	}
	return []amocrm.TagRef{}
}

// clearable is an update's text: nil (keep it) when the input left it out,
// empty (clear it) for an explicit null.
func clearable(in graphql.Omittable[*string]) *string {
	if !in.IsSet() || in.Value() != nil {
		return in.Value()
	}
	empty := ""
	return &empty
}

func tagRefs(in []*model.TagInput) []amocrm.TagRef {
	if in == nil {
		return nil
	}
	out := make([]amocrm.TagRef, len(in))
	for i, t := range in {
		out[i] = amocrm.TagRef{ID: deref(t.ID), Name: deref(t.Name)}
	}
	return out
}

// requestIDs gives every input item the request_id amoCRM will echo: the
// client's own, or the item's index as amoCRM would number it.
func requestIDs[T any](items []T, given func(T) *string) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		if g := given(it); g != nil {
			ids[i] = *g
		} else {
			ids[i] = strconv.Itoa(i)
		}
	}
	return ids
}

// indexer maps the request_ids amoCRM echoes back to input positions. Equal
// request_ids are handed out in input order, so duplicates still line up.
type indexer map[string][]int

func newIndexer(ids []string) indexer {
	ix := make(indexer, len(ids))
	for i, id := range ids {
		ix[id] = append(ix[id], i)
	}
	return ix
}

func (ix indexer) take(requestID string) (int, bool) {
	q := ix[requestID]
	if len(q) == 0 {
		return 0, false
	}
	ix[requestID] = q[1:]
	return q[0], true
}

func (ix indexer) peek(requestID string) (int, bool) {
	q := ix[requestID]
	if len(q) == 0 {
		return 0, false
	}
	return q[0], true
}

// checkTags and checkFields refuse items amoCRM would reject for certain,
// before any call: a tag or custom field that names nothing.
func checkTags(errs []*model.UserError, i int, reqID, field string, tags []*model.TagInput) []*model.UserError {
	for j, t := range tags {
		if deref(t.ID) == 0 && strings.TrimSpace(deref(t.Name)) == "" {
			errs = append(errs, userError(i, reqID, "INVALID_TAG", "a tag needs an id or a name", "input", strconv.Itoa(i), field, strconv.Itoa(j)))
		}
	}
	return errs
}

func checkFields(errs []*model.UserError, i int, reqID string, fields []*model.CustomFieldValueInput) []*model.UserError {
	for j, f := range fields {
		if deref(f.FieldID) == 0 && deref(f.FieldCode) == "" {
			errs = append(errs, userError(i, reqID, "INVALID_FIELD", "a custom field value needs a fieldId or a fieldCode", "input", strconv.Itoa(i), "customFieldsValues", strconv.Itoa(j)))
		}
		if !f.Values.IsSet() {
			errs = append(errs, userError(i, reqID, "INVALID_FIELD", "values is required: null empties the field; leave the field out to keep its values", "input", strconv.Itoa(i), "customFieldsValues", strconv.Itoa(j), "values"))
		}
	}
	return errs
}

func userError(index int, reqID, code, msg string, field ...string) *model.UserError {
	return &model.UserError{Message: msg, Code: code, Field: field, Index: &index, RequestID: &reqID}
}

// validationUserErrors turns amoCRM's 400 validation-errors into one
// UserError per failed field, pointing at the GraphQL input path.
func validationUserErrors(e *amocrm.ErrorResponse, ix indexer, root string) []*model.UserError {
	var out []*model.UserError
	for _, ve := range e.ValidationErrors {
		reqID := ve.RequestID
		idx, found := ix.peek(reqID)
		for _, fe := range ve.Errors {
			ue := &model.UserError{Message: fe.Detail, Code: fe.Code, RequestID: &reqID}
			if ue.Message == "" {
				ue.Message = fe.Code
			}
			if fe.Path != "" {
				p := fe.Path
				ue.UpstreamPath = &p
			}
			if found {
				i := idx
				ue.Index = &i
				ue.Field = append([]string{root, strconv.Itoa(idx)}, camelPath(fe.Path)...)
			}
			out = append(out, ue)
		}
	}
	if len(out) == 0 {
		msg := e.Detail
		if msg == "" {
			msg = e.Title
		}
		out = append(out, &model.UserError{Message: msg, Code: "BAD_REQUEST"})
	}
	return out
}

// camelPath turns amoCRM's dotted snake_case path into GraphQL input names.
func camelPath(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(p, ".")
	for i, s := range parts {
		parts[i] = camel(s)
	}
	return parts
}

func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Limits on text inputs. amoCRM documents none; these keep a hostile
// client from sending megabyte names upstream or building megabyte URLs
// (every search and filter value becomes part of the query string).
const (
	maxNameLen   = 255
	maxSearchLen = 1000
)

// checkLen refuses s when it is longer than max characters.
func checkLen(field string, s *string, max int) error {
	if s != nil && len([]rune(*s)) > max {
		return badInput("%s is longer than %d characters", field, max)
	}
	return nil
}

// checkNames refuses a contact input whose names are too long.
func checkNames(path string, name, first, last *string) error {
	for _, f := range []struct {
		field string
		v     *string
	}{{"name", name}, {"firstName", first}, {"lastName", last}} {
		if err := checkLen(path+"."+f.field, f.v, maxNameLen); err != nil {
			return err
		}
	}
	return nil
}
