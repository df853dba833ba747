package loader

import (
	"context"

	"github.com/amogql/amogql/internal/amocrm"
)

// Reads names optional parts of an entity's answers that an operation reads.
type Reads uint8

// ReadsCustomFields: the operation reads custom_fields_values of the entity
// somewhere (customFieldsValues, phones, emails).
const ReadsCustomFields Reads = 1 << iota

// reads is what the operation reads of each entity. Until planned is set,
// nothing is known and fetches decode everything the gateway might read.
type reads struct {
	planned bool
	by      map[Entity]Reads
	members map[Entity]*amocrm.Members
}

// Read records that the operation reads r of e.
func (l *Loaders) Read(e Entity, r Reads) {
	l.needs.mu.Lock()
	defer l.needs.mu.Unlock()
	if l.reads.by == nil {
		l.reads.by = make(map[Entity]Reads)
	}
	l.reads.by[e] |= r
}

// Keep records the only members of e's objects the operation reads, as
// amoCRM names them; fetches of e decode those and scan past the rest once
// the operation is Planned. m must name what every field of the operation
// reads of e, on every path that may answer it. Without Keep, every member
// is decoded.
func (l *Loaders) Keep(e Entity, m *amocrm.Members) {
	l.needs.mu.Lock()
	defer l.needs.mu.Unlock()
	if l.reads.members == nil {
		l.reads.members = make(map[Entity]*amocrm.Members)
	}
	l.reads.members[e] = m
}

// Planned declares that every Read of the operation has been recorded, so
// fetches may leave undecoded what no field reads. Call it only after
// walking the whole operation: a part skipped for one field would be missing
// for every other field served from the same cache.
func (l *Loaders) Planned() {
	l.needs.mu.Lock()
	l.reads.planned = true
	l.needs.mu.Unlock()
}

// Decoding returns ctx set up to decode e's answers as the operation needs:
// HAL links are never read by the gateway, custom field values only when a
// field selected somewhere in the operation reads them, and only the
// members Keep named when it named them.
func (l *Loaders) Decoding(ctx context.Context, e Entity) context.Context {
	s, m := l.skip(e)
	if m != nil {
		ctx = amocrm.WithMembers(ctx, m)
	}
	return amocrm.WithSkip(ctx, s)
}

func (l *Loaders) skip(e Entity) (amocrm.Skip, *amocrm.Members) {
	l.needs.mu.Lock()
	defer l.needs.mu.Unlock()
	s := amocrm.SkipLinks
	if !l.reads.planned {
		return s, nil
	}
	if l.reads.by[e]&ReadsCustomFields == 0 && e != entityCatalogElement {
		s |= amocrm.SkipCustomFields
	}
	return s, l.reads.members[e]
}
