package graph

import (
	"context"
	"encoding/json"

	"github.com/amogql/amogql/graph/model"

	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// Relations resolve through the request's loaders. When a query selects only
// the related objects' ids, the ids embedded in the parent answer it and no
// call is made.

func refIDs(refs []amocrm.EntityRef) []int {
	ids := make([]int, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids
}

func tagPtrs(tags []amocrm.Tag) []*amocrm.Tag {
	out := make([]*amocrm.Tag, len(tags))
	for i := range tags {
		out[i] = &tags[i]
	}
	return out
}

func elementPtrs(links []amocrm.CatalogElementLink) []*amocrm.CatalogElementLink {
	out := make([]*amocrm.CatalogElementLink, len(links))
	for i := range links {
		out[i] = &links[i]
	}
	return out
}

// loadRelated resolves related objects by id, or answers from the ids alone.
func loadRelated[V any](ctx context.Context, typeName string, ids []int, stub func(int) V, load func(*loader.Loaders, context.Context, []int) ([]V, error)) ([]V, error) {
	if len(ids) == 0 {
		return []V{}, nil
	}
	if fieldOnlyID(ctx, typeName) {
		out := make([]V, len(ids))
		for i, id := range ids {
			out[i] = stub(id)
		}
		return out, nil
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	return load(l, ctx, ids)
}

func leadStub(id int) *amocrm.Lead         { return &amocrm.Lead{ID: id} }
func companyStub(id int) *amocrm.Company   { return &amocrm.Company{ID: id} }
func customerStub(id int) *amocrm.Customer { return &amocrm.Customer{ID: id} }
func contactStub(id int) *amocrm.Contact   { return &amocrm.Contact{ID: id} }

// fullContact returns c if it carries the relations amoCRM embeds only on
// request, or the same contact loaded by id with them. pick tells whether a
// contact carries the wanted relation.
func fullContact(ctx context.Context, c *amocrm.Contact, has func(*amocrm.ContactEmbedded) bool) (*amocrm.Contact, error) {
	if c.Embedded != nil && has(c.Embedded) {
		return c, nil
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	full, err := l.Contact(ctx, c.ID)
	if err != nil || full == nil || full.Embedded == nil {
		return nil, err
	}
	return full, nil
}

// fieldStrings returns the string values of the custom field with code.
func fieldStrings(fields []amocrm.CustomFieldValues, code string) []string {
	out := []string{}
	for _, f := range fields {
		if f.FieldCode != code {
			continue
		}
		for _, v := range f.Values {
			var s string
			if json.Unmarshal(v.Value, &s) == nil && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// labeledValues returns the string values of the custom field with code,
// each with the enum code amoCRM keeps as its label. amoCRM's doc examples
// name that code "enum" on some reads, so it stands in when enum_code is absent.
func labeledValues(fields []amocrm.CustomFieldValues, code string) []*model.LabeledValue {
	out := []*model.LabeledValue{}
	for _, f := range fields {
		if f.FieldCode != code {
			continue
		}
		for _, v := range f.Values {
			var s string
			if json.Unmarshal(v.Value, &s) != nil || s == "" {
				continue
			}
			label := v.EnumCode
			if label == nil {
				label = v.Enum
			}
			out = append(out, &model.LabeledValue{Value: s, Label: label, EnumID: v.EnumID})
		}
	}
	return out
}

// elementCatalogID returns the catalog of a linked element, wherever amoCRM
// put it: the same reading the loaders use to prefetch elements.
func elementCatalogID(obj *amocrm.CatalogElementLink) *int {
	k, ok := loader.LinkKey(obj)
	if !ok {
		return nil
	}
	return &k.CatalogID
}
