package graph

import (
	"context"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// Each writer answers its type's fields as the type's resolvers do, in the
// plan's order; the comments name the resolver whose semantics they keep.

// contactByID answers contact(id:) (queryResolver.Contact).
func (r *run) contactByID(b []byte, f *Node) ([]byte, error) {
	return byID(r, b, f, (*loader.Loaders).GetContact, r.contact)
}

// leadByID answers lead(id:) (queryResolver.Lead).
func (r *run) leadByID(b []byte, f *Node) ([]byte, error) {
	return byID(r, b, f, (*loader.Loaders).GetLead, r.lead)
}

// companyByID answers company(id:) (queryResolver.Company).
func (r *run) companyByID(b []byte, f *Node) ([]byte, error) {
	return byID(r, b, f, (*loader.Loaders).GetCompany, r.company)
}

// byID reads the entity a root field names by its id argument through the
// loaders, which batch it with the operation's other reads of its kind,
// and writes it, or null when amoCRM has none.
func byID[T any](r *run, b []byte, f *Node, get func(*loader.Loaders, context.Context, int) (*T, error),
	write func([]byte, []*Node, *T) ([]byte, error)) ([]byte, error) {
	id, err := model.UnmarshalID(f.ArgumentMap(r.opCtx.Variables)["id"])
	if err != nil {
		return nil, err
	}
	x, err := get(r.l, r.ctx, id)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return append(b, "null"...), nil
	}
	return write(b, f.Kids, x)
}

func hasTags(e *amocrm.ContactEmbedded) bool      { return e.Tags != nil }
func hasLeads(e *amocrm.ContactEmbedded) bool     { return e.Leads != nil }
func hasCompanies(e *amocrm.ContactEmbedded) bool { return e.Companies != nil }

func (r *run) contact(b []byte, kids []*Node, c *amocrm.Contact) ([]byte, error) {
	var err error
	b = append(b, '{')
	for i, k := range kids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k.Key)
		switch k.Name {
		case "__typename":
			b = appendString(b, "Contact")
		case "id":
			b = appendID(b, c.ID)
		case "name":
			b = appendString(b, c.Name)
		case "firstName":
			b = appendString(b, c.FirstName)
		case "lastName":
			b = appendString(b, c.LastName)
		case "responsibleUserId":
			b = appendID(b, c.ResponsibleUserID)
		case "groupId":
			b = appendID(b, c.GroupID)
		case "createdBy":
			b = appendID(b, c.CreatedBy)
		case "updatedBy":
			b = appendID(b, c.UpdatedBy)
		case "createdAt":
			b = appendTime(b, c.CreatedAt)
		case "updatedAt":
			b = appendTime(b, c.UpdatedAt)
		case "isDeleted":
			b = appendBool(b, c.IsDeleted)
		case "closestTaskAt":
			b = appendOptTime(b, c.ClosestTaskAt)
		case "accountId":
			b = appendID(b, c.AccountID)
		case "customFieldsValues":
			b = appendCustomFields(b, k.Kids, c.CustomFieldsValues)
		case "phones":
			b = appendStrings(b, fieldStrings(c.CustomFieldsValues, "PHONE"))
		case "emails":
			b = appendStrings(b, fieldStrings(c.CustomFieldsValues, "EMAIL"))
		case "phoneNumbers":
			b = appendLabeled(b, k.Kids, labeledValues(c.CustomFieldsValues, "PHONE"))
		case "emailAddresses":
			b = appendLabeled(b, k.Kids, labeledValues(c.CustomFieldsValues, "EMAIL"))
		case "requestId":
			if c.RequestID == "" {
				b = append(b, "null"...)
			} else {
				b = appendString(b, c.RequestID)
			}
		case "tags": // contactResolver.Tags
			full, err := fullContact(r.ctx, c, hasTags)
			if err != nil {
				return nil, err
			}
			var tags []amocrm.Tag
			if full != nil {
				tags = full.Embedded.Tags
			}
			b = appendTags(b, k.Kids, tags)
		case "leads": // contactResolver.Leads
			b, err = r.contactLeads(b, k, c)
		case "companies": // contactResolver.Companies
			b, err = r.contactCompanies(b, k, c)
		case "responsibleUser":
			b, err = r.responsibleUser(b, k, c.ResponsibleUserID)
		case "notes":
			b, err = r.entityNotes(b, k, "contacts", c.ID)
		case "tasks":
			b, err = r.entityTasks(b, k, "contacts", c.ID)
		default:
			return nil, errShape
		}
		if err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func (r *run) contactLeads(b []byte, k *Node, c *amocrm.Contact) ([]byte, error) {
	return related(r, b, k, c, hasLeads, func(e *amocrm.ContactEmbedded) []amocrm.EntityRef { return e.Leads },
		"Lead", r.l.Leads, r.lead)
}

func (r *run) contactCompanies(b []byte, k *Node, c *amocrm.Contact) ([]byte, error) {
	return related(r, b, k, c, hasCompanies, func(e *amocrm.ContactEmbedded) []amocrm.EntityRef { return e.Companies },
		"Company", r.l.Companies, r.company)
}

// related writes the relation k of contact c: the objects whose ids c
// embeds, as stubs when only ids are selected, else as the loader reads
// them (with the other contacts' at this level, in one call).
func related[T any](r *run, b []byte, k *Node, c *amocrm.Contact, has func(*amocrm.ContactEmbedded) bool,
	refs func(*amocrm.ContactEmbedded) []amocrm.EntityRef, typeName string,
	load func(context.Context, []int) ([]T, error), object func([]byte, []*Node, T) ([]byte, error)) ([]byte, error) {
	full, err := fullContact(r.ctx, c, has)
	if err != nil {
		return nil, err
	}
	if full == nil || len(refs(full.Embedded)) == 0 {
		return append(b, "[]"...), nil
	}
	ids := refIDs(refs(full.Embedded))
	if k.OnlyID {
		return appendStubs(b, k.Kids, ids, typeName), nil
	}
	objects, err := load(r.ctx, ids)
	if err != nil {
		return nil, err
	}
	return tryEach(b, k.Kids, objects, object)
}

// appendStubs answers related objects of which only ids are selected.
func appendStubs(b []byte, kids []*Node, ids []int, typeName string) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for j, k := range kids {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendKey(b, k.Key)
			if k.Name == "id" {
				b = appendID(b, id)
			} else {
				b = appendString(b, typeName)
			}
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (r *run) lead(b []byte, kids []*Node, x *amocrm.Lead) ([]byte, error) {
	var err error
	var emb amocrm.LeadEmbedded // its relations; none when amoCRM sent none
	if x.Embedded != nil {
		emb = *x.Embedded
	}
	b = append(b, '{')
	for i, k := range kids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k.Key)
		switch k.Name {
		case "__typename":
			b = appendString(b, "Lead")
		case "id":
			b = appendID(b, x.ID)
		case "name":
			b = appendString(b, x.Name)
		case "price":
			b = appendInt(b, int(x.Price))
		case "responsibleUserId":
			b = appendID(b, x.ResponsibleUserID)
		case "groupId":
			b = appendID(b, x.GroupID)
		case "statusId":
			b = appendID(b, x.StatusID)
		case "pipelineId":
			b = appendID(b, x.PipelineID)
		case "lossReasonId":
			b = appendOptID(b, x.LossReasonID)
		case "sourceId":
			b = appendOptID(b, x.SourceID)
		case "createdBy":
			b = appendID(b, x.CreatedBy)
		case "updatedBy":
			b = appendID(b, x.UpdatedBy)
		case "createdAt":
			b = appendTime(b, x.CreatedAt)
		case "updatedAt":
			b = appendTime(b, x.UpdatedAt)
		case "closedAt":
			b = appendOptTime(b, x.ClosedAt)
		case "closestTaskAt":
			b = appendOptTime(b, x.ClosestTaskAt)
		case "isDeleted":
			b = appendBool(b, x.IsDeleted)
		case "score":
			b = appendOptInt(b, x.Score)
		case "accountId":
			b = appendID(b, x.AccountID)
		case "customFieldsValues":
			b = appendCustomFields(b, k.Kids, x.CustomFieldsValues)
		case "tags": // leadResolver.Tags
			b = appendTags(b, k.Kids, emb.Tags)
		case "responsibleUser":
			b, err = r.responsibleUser(b, k, x.ResponsibleUserID)
		case "contacts": // leadResolver.Contacts
			b, err = embeddedRelated(r, b, k, emb.Contacts, "Contact", (*loader.Loaders).Contacts, r.contact)
		case "companies": // leadResolver.Companies
			b, err = embeddedRelated(r, b, k, emb.Companies, "Company", (*loader.Loaders).Companies, r.company)
		case "notes":
			b, err = r.entityNotes(b, k, "leads", x.ID)
		case "tasks":
			b, err = r.entityTasks(b, k, "leads", x.ID)
		case "pipeline":
			b, err = r.leadPipeline(b, k, x)
		case "status":
			b, err = r.leadStatus(b, k, x)
		default:
			return nil, errShape
		}
		if err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func (r *run) company(b []byte, kids []*Node, x *amocrm.Company) ([]byte, error) {
	var err error
	var emb amocrm.CompanyEmbedded // its relations; none when amoCRM sent none
	if x.Embedded != nil {
		emb = *x.Embedded
	}
	b = append(b, '{')
	for i, k := range kids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k.Key)
		switch k.Name {
		case "__typename":
			b = appendString(b, "Company")
		case "id":
			b = appendID(b, x.ID)
		case "name":
			b = appendString(b, x.Name)
		case "responsibleUserId":
			b = appendID(b, x.ResponsibleUserID)
		case "groupId":
			b = appendID(b, x.GroupID)
		case "createdBy":
			b = appendID(b, x.CreatedBy)
		case "updatedBy":
			b = appendID(b, x.UpdatedBy)
		case "createdAt":
			b = appendTime(b, x.CreatedAt)
		case "updatedAt":
			b = appendTime(b, x.UpdatedAt)
		case "closestTaskAt":
			b = appendOptTime(b, x.ClosestTaskAt)
		case "isDeleted":
			b = appendBool(b, x.IsDeleted)
		case "accountId":
			b = appendID(b, x.AccountID)
		case "customFieldsValues":
			b = appendCustomFields(b, k.Kids, x.CustomFieldsValues)
		case "tags": // companyResolver.Tags
			b = appendTags(b, k.Kids, emb.Tags)
		case "responsibleUser":
			b, err = r.responsibleUser(b, k, x.ResponsibleUserID)
		case "contacts": // companyResolver.Contacts
			b, err = embeddedRelated(r, b, k, emb.Contacts, "Contact", (*loader.Loaders).Contacts, r.contact)
		case "notes":
			b, err = r.entityNotes(b, k, "companies", x.ID)
		case "tasks":
			b, err = r.entityTasks(b, k, "companies", x.ID)
		case "leads": // companyResolver.Leads
			b, err = embeddedRelated(r, b, k, emb.Leads, "Lead", (*loader.Loaders).Leads, r.lead)
		default:
			return nil, errShape
		}
		if err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// embeddedRelated writes a relation whose ids the entity's answer embeds
// (loadRelated): stubs when only ids are selected, else the objects as the
// loaders read them, with the level's other parents', in one call.
func embeddedRelated[T any](r *run, b []byte, k *Node, refs []amocrm.EntityRef, typeName string,
	load func(*loader.Loaders, context.Context, []int) ([]T, error), object func([]byte, []*Node, T) ([]byte, error)) ([]byte, error) {
	if len(refs) == 0 {
		return append(b, "[]"...), nil
	}
	ids := refIDs(refs)
	if k.OnlyID {
		return appendStubs(b, k.Kids, ids, typeName), nil
	}
	objects, err := load(r.l, r.ctx, ids)
	if err != nil {
		return nil, err
	}
	return tryEach(b, k.Kids, objects, object)
}

func appendTags(b []byte, kids []*Node, tags []amocrm.Tag) []byte {
	return appendEach(b, kids, tags, func(b []byte, kids []*Node, t amocrm.Tag) []byte { return appendFields(b, kids, t, tagField) })
}

func tagField(b []byte, k *Node, t amocrm.Tag) []byte {
	switch k.Name {
	case "__typename":
		b = appendString(b, "Tag")
	case "id":
		b = appendID(b, t.ID)
	case "name":
		b = appendString(b, t.Name)
	case "color":
		b = appendOptString(b, t.Color)
	}
	return b
}

func appendLabeled(b []byte, kids []*Node, vs []*model.LabeledValue) []byte {
	return appendEach(b, kids, vs, func(b []byte, kids []*Node, v *model.LabeledValue) []byte {
		return appendFields(b, kids, v, labeledField)
	})
}

func labeledField(b []byte, k *Node, v *model.LabeledValue) []byte {
	switch k.Name {
	case "__typename":
		b = appendString(b, "LabeledValue")
	case "value":
		b = appendString(b, v.Value)
	case "label":
		b = appendOptString(b, v.Label)
	case "enumId":
		b = appendOptID(b, v.EnumID)
	}
	return b
}

func appendCustomFields(b []byte, kids []*Node, fields []amocrm.CustomFieldValues) []byte {
	return appendEach(b, kids, fields, func(b []byte, kids []*Node, f amocrm.CustomFieldValues) []byte {
		return appendFields(b, kids, f, customFieldField)
	})
}

func customFieldField(b []byte, k *Node, f amocrm.CustomFieldValues) []byte {
	switch k.Name {
	case "__typename":
		b = appendString(b, "CustomFieldValue")
	case "fieldId":
		b = appendID(b, f.FieldID)
	case "fieldName":
		b = appendString(b, f.FieldName)
	case "fieldCode": // customFieldValueResolver.FieldCode
		if f.FieldCode == "" {
			b = append(b, "null"...)
		} else {
			b = appendString(b, f.FieldCode)
		}
	case "fieldType":
		b = appendString(b, f.FieldType)
	case "values":
		b = appendFieldValues(b, k.Kids, f.Values)
	}
	return b
}

func appendFieldValues(b []byte, kids []*Node, vs []amocrm.CustomFieldValue) []byte {
	return appendEach(b, kids, vs, func(b []byte, kids []*Node, v amocrm.CustomFieldValue) []byte {
		return appendFields(b, kids, v, fieldValueField)
	})
}

func fieldValueField(b []byte, k *Node, v amocrm.CustomFieldValue) []byte {
	switch k.Name {
	case "__typename":
		b = appendString(b, "CustomFieldValueItem")
	case "value":
		b = appendRawJSON(b, v.Value)
	case "enumId":
		b = appendOptID(b, v.EnumID)
	case "enumCode":
		b = appendOptString(b, v.EnumCode)
	case "enum":
		b = appendOptString(b, v.Enum)
	case "catalogId":
		b = appendOptID(b, v.CatalogID)
	case "catalogElementId":
		b = appendOptID(b, v.CatalogElementID)
	}
	return b
}
