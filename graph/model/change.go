package model

// Change is one change of an entity as a subscription reports it: the Go
// side of ContactChange, LeadChange and CompanyChange, whose entity fields
// are resolved per change.
type Change struct {
	Action ChangeAction
	ID     int
	At     int64 // Unix seconds, as the Time scalar takes them
}
