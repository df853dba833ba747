package sandbox

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
)

// Custom field types the sandbox knows (upstream has more; see https://www.amocrm.ru/developers/content/crm_platform/custom-fields).
const (
	typeText      = "text"
	typeTextarea  = "textarea"
	typeNumeric   = "numeric"
	typeCheckbox  = "checkbox"
	typeSelect    = "select"
	typeMultitext = "multitext"
	typeDate      = "date"
	typeURL       = "url"
	typePrice     = "price"
)

// Contact custom field ids. 3 and 5 are the system PHONE and EMAIL fields of
// the documentation's examples, 66192 the code-less phone field its PATCH
// example writes, 271316 the position field its POST example writes.
const (
	FieldPhone     = 3
	FieldEmail     = 5
	FieldPhone2    = 66192
	FieldPosition  = 271316
	FieldSource    = 271317
	FieldNewsOptIn = 271318
	FieldAge       = 271319
	FieldFirstSeen = 271320
)

// Company-only custom field ids (companies share PHONE and EMAIL with contacts).
const (
	FieldWeb     = 7
	FieldAddress = 9
)

// Lead and customer custom field ids.
const (
	FieldLeadKind     = 580001
	FieldLeadPaidAt   = 580002
	FieldLeadComment  = 580003
	FieldCustomerNote = 590001
)

// customField is one field of an entity type's registry.
type customField struct {
	ID         int
	Name       string
	Code       string // "" renders as null
	Type       string
	Sort       int
	Enums      []fieldEnum
	Predefined bool
}

// fieldEnum is one option of a multitext or select field. For multitext
// fields upstream's option value is the code itself (WORK, MOB, …).
type fieldEnum struct {
	ID    int
	Value string
	Code  string
	Sort  int
}

// fieldSet is the custom field registry of one entity type.
type fieldSet struct {
	entity string
	list   []*customField
}

func (fs *fieldSet) byID(id int) *customField {
	for _, f := range fs.list {
		if f.ID == id {
			return f
		}
	}
	return nil
}

func (fs *fieldSet) byCode(code string) *customField {
	for _, f := range fs.list {
		if f.Code != "" && strings.EqualFold(f.Code, code) {
			return f
		}
	}
	return nil
}

func (f *customField) enumByID(id int) *fieldEnum {
	for i := range f.Enums {
		if f.Enums[i].ID == id {
			return &f.Enums[i]
		}
	}
	return nil
}

func (f *customField) enumByCode(code string) *fieldEnum {
	for i := range f.Enums {
		if f.Enums[i].Code != "" && strings.EqualFold(f.Enums[i].Code, code) {
			return &f.Enums[i]
		}
	}
	return nil
}

func (f *customField) enumByValue(v string) *fieldEnum {
	for i := range f.Enums {
		if f.Enums[i].Value == v {
			return &f.Enums[i]
		}
	}
	return nil
}

// multitextEnums builds the options of a PHONE/EMAIL-like field, ids
// counting up from first.
func multitextEnums(first int, codes ...string) []fieldEnum {
	out := make([]fieldEnum, len(codes))
	for i, c := range codes {
		out[i] = fieldEnum{ID: first + i, Value: c, Code: c, Sort: 2 * (i + 1)}
	}
	return out
}

var phoneCodes = []string{"WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"}
var emailCodes = []string{"WORK", "PRIV", "OTHER"}

// defaultFields is the account's custom field registry per entity type.
func defaultFields() map[string]*fieldSet {
	phone := &customField{ID: FieldPhone, Name: "Телефон", Code: "PHONE", Type: typeMultitext, Sort: 4, Predefined: true, Enums: multitextEnums(1, phoneCodes...)}
	email := &customField{ID: FieldEmail, Name: "Email", Code: "EMAIL", Type: typeMultitext, Sort: 6, Predefined: true, Enums: multitextEnums(7, emailCodes...)}
	return map[string]*fieldSet{
		entContacts: {entity: entContacts, list: []*customField{
			{ID: FieldPosition, Name: "Должность", Code: "POSITION", Type: typeText, Sort: 2, Predefined: true},
			phone,
			email,
			{ID: FieldPhone2, Name: "Телефон", Type: typeMultitext, Sort: 8, Enums: multitextEnums(66193, phoneCodes...)},
			{ID: FieldSource, Name: "Источник", Type: typeSelect, Sort: 10, Enums: []fieldEnum{
				{ID: 400001, Value: "Сайт", Code: "SITE", Sort: 1},
				{ID: 400002, Value: "Реклама", Code: "ADS", Sort: 2},
				{ID: 400003, Value: "Рекомендация", Code: "REFERRAL", Sort: 3},
				{ID: 400004, Value: "Выставка", Code: "EXPO", Sort: 4},
			}},
			{ID: FieldNewsOptIn, Name: "Согласие на рассылку", Type: typeCheckbox, Sort: 12},
			{ID: FieldAge, Name: "Возраст", Type: typeNumeric, Sort: 14},
			{ID: FieldFirstSeen, Name: "Дата первого обращения", Type: typeDate, Sort: 16},
		}},
		entCompanies: {entity: entCompanies, list: []*customField{
			phone,
			email,
			{ID: FieldWeb, Name: "Web", Code: "WEB", Type: typeURL, Sort: 8, Predefined: true},
			{ID: FieldAddress, Name: "Адрес", Code: "ADDRESS", Type: typeTextarea, Sort: 10, Predefined: true},
		}},
		entLeads: {entity: entLeads, list: []*customField{
			{ID: FieldLeadKind, Name: "Тип сделки", Type: typeSelect, Sort: 2, Enums: []fieldEnum{
				{ID: 580011, Value: "Новая", Code: "NEW", Sort: 1},
				{ID: 580012, Value: "Повторная", Code: "REPEAT", Sort: 2},
				{ID: 580013, Value: "Расширение", Code: "UPSELL", Sort: 3},
			}},
			{ID: FieldLeadPaidAt, Name: "Дата оплаты", Type: typeDate, Sort: 4},
			{ID: FieldLeadComment, Name: "Комментарий", Type: typeTextarea, Sort: 6},
		}},
		entCustomers: {entity: entCustomers, list: []*customField{
			{ID: FieldCustomerNote, Name: "Комментарий", Type: typeTextarea, Sort: 2},
		}},
	}
}

// Catalog ids and their custom fields.
const (
	CatalogGoods    = 1001
	CatalogServices = 1002
)

func defaultCatalogs() []*catalog {
	fieldsFor := func(first int) *fieldSet {
		return &fieldSet{entity: "catalogs", list: []*customField{
			{ID: first, Name: "Артикул", Code: "SKU", Type: typeText, Sort: 1, Predefined: true},
			{ID: first + 1, Name: "Цена", Code: "PRICE", Type: typePrice, Sort: 2, Predefined: true},
			{ID: first + 2, Name: "Описание", Code: "DESCRIPTION", Type: typeTextarea, Sort: 3, Predefined: true},
		}}
	}
	return []*catalog{
		{ID: CatalogGoods, Name: "Товары", PriceID: 600002, Fields: fieldsFor(600001)},
		{ID: CatalogServices, Name: "Услуги", PriceID: 600012, Fields: fieldsFor(600011)},
	}
}

// cfJSON is one element of custom_fields_values as upstream renders it.
type cfJSON struct {
	FieldID   int           `json:"field_id"`
	FieldName string        `json:"field_name"`
	FieldCode *string       `json:"field_code"`
	FieldType string        `json:"field_type"`
	Values    []cfValueJSON `json:"values"`
}

type cfValueJSON struct {
	Value    any     `json:"value"`
	EnumID   *int    `json:"enum_id,omitempty"`
	EnumCode *string `json:"enum_code,omitempty"`
	Enum     *string `json:"enum,omitempty"`
}

// renderFields renders an entity's custom field values; nil (JSON null, as
// upstream sends) when it has none.
func renderFields(fs *fieldSet, entries []cfEntry) []cfJSON {
	var out []cfJSON
	for _, e := range entries {
		f := fs.byID(e.FieldID)
		if f == nil || len(e.Values) == 0 {
			continue
		}
		j := cfJSON{FieldID: f.ID, FieldName: f.Name, FieldType: f.Type, FieldCode: nullString(f.Code)}
		for _, v := range e.Values {
			vj := cfValueJSON{Value: v.Value}
			if v.EnumID != 0 {
				vj.EnumID = &v.EnumID
			}
			if v.EnumCode != "" {
				code := v.EnumCode
				if v.docEnumKey {
					vj.Enum = &code
				} else {
					vj.EnumCode = &code
				}
			}
			j.Values = append(j.Values, vj)
		}
		out = append(out, j)
	}
	return out
}

// valueText is a value's text for query search and filter matching.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return "0"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fieldJSON is one entry of GET /api/v4/{entity}/custom_fields.
type fieldJSON struct {
	ID               int             `json:"id"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	AccountID        int             `json:"account_id"`
	Code             *string         `json:"code"`
	Sort             int             `json:"sort"`
	IsAPIOnly        bool            `json:"is_api_only"`
	Enums            []enumJSON      `json:"enums"`
	GroupID          *string         `json:"group_id"`
	RequiredStatuses []struct{}      `json:"required_statuses"`
	IsDeletable      bool            `json:"is_deletable"`
	IsPredefined     bool            `json:"is_predefined"`
	EntityType       string          `json:"entity_type"`
	Remind           *string         `json:"remind"`
	Settings         json.RawMessage `json:"settings"`
	Links            selfLinks       `json:"_links"`
}

type enumJSON struct {
	ID    int    `json:"id"`
	Value string `json:"value"`
	Sort  int    `json:"sort"`
	Code  string `json:"code,omitempty"`
}

func renderFieldDef(f *customField, entity, base string) fieldJSON {
	j := fieldJSON{
		ID: f.ID, Name: f.Name, Type: f.Type, AccountID: AccountID, Code: nullString(f.Code), Sort: f.Sort,
		RequiredStatuses: []struct{}{}, IsDeletable: !f.Predefined, IsPredefined: f.Predefined,
		EntityType: entity, Settings: json.RawMessage("null"),
		Links: selfLink(base + "/api/v4/" + entity + "/custom_fields/" + itoa(f.ID)),
	}
	for _, e := range f.Enums {
		j.Enums = append(j.Enums, enumJSON{ID: e.ID, Value: e.Value, Sort: e.Sort, Code: e.Code})
	}
	return j
}

// sortFields orders a registry as upstream's list does: by sort, then id.
func sortFields(list []*customField) []*customField {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b *customField) int {
		return cmp.Or(cmp.Compare(a.Sort, b.Sort), cmp.Compare(a.ID, b.ID))
	})
	return out
}
