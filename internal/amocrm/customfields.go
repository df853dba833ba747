package amocrm

import "encoding/json"

// CustomFieldValues is one custom field of an entity with its values, as read
// in custom_fields_values and as written in create/update bodies. On write,
// identify the field by FieldID or FieldCode and leave FieldType empty.
//
// In an update, only the fields listed are changed: a field left out of
// custom_fields_values keeps its values, and a field listed with nil Values
// is sent as "values": null, which empties it (the official PHP library's
// NullCustomFieldValueCollection, https://github.com/amocrm/amocrm-api-php).
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/custom-fields
type CustomFieldValues struct {
	FieldID int `json:"field_id,omitempty"`
	// FieldName is the field's name. amoCRM does not identify a field by it,
	// but its own update example sends it beside field_id, so it is sent
	// when set.
	FieldName string `json:"field_name,omitempty"`
	// FieldCode is e.g. "PHONE" or "EMAIL"; upstream sends null for fields
	// without a code, read as "".
	FieldCode string `json:"field_code,omitempty"`
	// FieldType is read-only, e.g. "text", "multitext", "select", "date".
	FieldType string `json:"field_type,omitempty"`
	// Values on write: nil sends null (empty the field), a non-nil slice
	// sends the field's new values.
	Values []CustomFieldValue `json:"values"`
}

// CustomFieldValue is one value of a custom field. Its shape depends on the
// field type: text-like fields carry only Value; select-like fields Value
// and/or EnumID/EnumCode; multitext (PHONE, EMAIL) Value and EnumCode (e.g.
// "WORK", "MOB"); chained_list CatalogID and CatalogElementID; legal_entity,
// items, file and similar an object in Value.
type CustomFieldValue struct {
	// Value is kept verbatim, whatever its JSON type (string, number, bool,
	// object, null). Write it with json.RawMessage(`"text"`) or json.Marshal.
	Value    json.RawMessage `json:"value,omitempty"`
	EnumID   *int            `json:"enum_id,omitempty"`
	EnumCode *string         `json:"enum_code,omitempty"`
	// Enum is a read-only key seen in amoCRM's doc examples (the enum code).
	// Never send it: multitext writes with "enum" fail with FieldNotExpected.
	Enum *string `json:"enum,omitempty"`
	// CatalogID and CatalogElementID are the value of a chained_list field.
	CatalogID        *int `json:"catalog_id,omitempty"`
	CatalogElementID *int `json:"catalog_element_id,omitempty"`
}
