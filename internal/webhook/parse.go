// Package webhook takes amoCRM's webhooks: it parses their PHP-style nested
// form into changes.Change values (Parse, ParseBody), serves the
// destination amoCRM POSTs them to (NewHandler), and keeps that destination
// subscribed with amoCRM (Registrar).
//
// A webhook is a hint that may be late, repeated or lost, so nothing here
// depends on it arriving once: handing the same change to the cache and the
// hub twice is harmless.
//
// amoCRM docs: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format
// and https://developers.kommo.com/docs/webhooks-general
package webhook

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amogql/amogql/internal/changes"
)

// Bounds on a delivery's keys. amoCRM's deepest key is a legacy custom
// field value, contacts[update][0][custom_fields][1][values][0][value]:
// seven brackets.
const (
	maxDepth       = 10 // brackets after the entity name
	maxIndexDigits = 5  // an entity's index within a delivery: 0–99999
	maxIDDigits    = 18 // fits an int64
	maxTimeDigits  = 11 // Unix seconds until the year 5138
)

// ErrMalformed is matched (errors.Is) by every error Parse and ParseBody
// return.
var ErrMalformed = errors.New("webhook: malformed delivery")

// ParseError says which key of a delivery is malformed and why.
type ParseError struct {
	// Key is the form key, shortened to 100 bytes.
	Key    string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("webhook: malformed delivery: key %q: %s", e.Key, e.Reason)
}

// Is makes a *ParseError match ErrMalformed.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

func malformed(key, reason string) *ParseError {
	if len(key) > 100 {
		key = key[:100] + "…"
	}
	return &ParseError{Key: key, Reason: reason}
}

// entities are the top-level keys whose changes the gateway follows; any
// other (account[...], tasks, talks, notes of other kinds) is ignored.
var entities = map[string]changes.Entity{
	"contacts":  changes.Contacts, // companies too, with [type]=company
	"leads":     changes.Leads,
	"companies": changes.Companies,
	"customers": changes.Customers,
}

// actions maps amoCRM's webhook actions to change actions; a lead's status
// and an entity's responsible user are changes like any other update. Any
// other action (e.g. note) is ignored.
var actions = map[string]changes.Action{
	"add":         changes.Added,
	"update":      changes.Updated,
	"delete":      changes.Deleted,
	"restore":     changes.Restored,
	"status":      changes.Updated,
	"responsible": changes.Updated,
}

// Parse reads the changes of a delivery already decoded as a form, e.g.
// contacts[update][0][id]=1&leads[status][0][id]=2. Changes come in a
// stable order (entity key, action, index). At is the entity's updated_at
// (or last_modified, created_at, date_create), the time of parsing when it
// has none; Received is the time of parsing. A malformed delivery returns
// an error matching ErrMalformed and no changes.
func Parse(form url.Values) ([]changes.Change, error) {
	p := newParser(time.Now())
	for k, vs := range form {
		for _, v := range vs {
			slot, err := p.slot(k)
			if err != nil {
				return nil, err
			}
			if slot != nil {
				*slot = v
			}
		}
	}
	return p.changes()
}

// ParseBody is Parse on a raw application/x-www-form-urlencoded body, with
// Received (and the fallback At) set to received. Unlike url.ParseQuery it
// has no limit on the number of pairs (bound the body's size instead), and
// it decodes only the values it needs.
func ParseBody(body []byte, received time.Time) ([]changes.Change, error) {
	p := newParser(received)
	for rest := string(body); rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return nil, malformed(pair, "a semicolon separator")
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, malformed(rawKey, "bad escape in key")
		}
		slot, err := p.slot(key)
		if err != nil || slot == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		v, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, malformed(key, "bad escape in value")
		}
		*slot = v
	}
	return p.changes()
}

// recordKey names one entity of a delivery: contacts[update][3].
type recordKey struct {
	top, action, index string
}

func (k recordKey) String() string { return k.top + "[" + k.action + "][" + k.index + "]" }

// record holds the fields of one entity that a change needs.
type record struct {
	key                                                     recordKey
	id, typ, updatedAt, lastModified, createdAt, dateCreate string
}

type parser struct {
	received time.Time
	records  map[recordKey]*record
}

func newParser(received time.Time) *parser {
	return &parser{received: received, records: map[recordKey]*record{}}
}

// slot checks key and returns where its value goes: nil for a key the
// changes do not need.
func (p *parser) slot(key string) (*string, error) {
	top, rest, nested := strings.Cut(key, "[")
	if _, ok := entities[top]; !ok {
		return nil, nil
	}
	if !nested {
		return nil, malformed(key, "an entity key without [action][index][field]")
	}
	segs, n, err := segments("[" + rest)
	if err != nil {
		return nil, malformed(key, err.Error())
	}
	if n < 3 {
		return nil, malformed(key, "want entity[action][index][field]")
	}
	if _, ok := actions[segs[0]]; !ok {
		return nil, nil
	}
	if !isIndex(segs[1]) {
		return nil, malformed(key, fmt.Sprintf("index %q is not a number below 100000", segs[1]))
	}
	rk := recordKey{top: top, action: segs[0], index: segs[1]}
	r := p.records[rk]
	if r == nil {
		r = &record{key: rk}
		p.records[rk] = r
	}
	if n > 3 { // a nested field: custom fields, tags, _embedded
		return nil, nil
	}
	switch segs[2] {
	case "id":
		return &r.id, nil
	case "type":
		return &r.typ, nil
	case "updated_at":
		return &r.updatedAt, nil
	case "last_modified":
		return &r.lastModified, nil
	case "created_at":
		return &r.createdAt, nil
	case "date_create":
		return &r.dateCreate, nil
	}
	return nil, nil
}

// segments splits "[a][b][c]..." and returns its first three segments and
// how many there are, refusing more than maxDepth.
func segments(s string) (segs [3]string, n int, err error) {
	for s != "" {
		if s[0] != '[' {
			return segs, n, errors.New("text after a closing bracket")
		}
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return segs, n, errors.New("an unclosed bracket")
		}
		if n == maxDepth {
			return segs, n, fmt.Errorf("nested deeper than %d brackets", maxDepth)
		}
		if n < len(segs) {
			segs[n] = s[1:end]
		}
		n++
		s = s[end+1:]
	}
	return segs, n, nil
}

// isIndex reports whether s is a decimal index without leading zeros.
func isIndex(s string) bool {
	return isDigits(s, maxIndexDigits) && (s == "0" || s[0] != '0')
}

func isDigits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// changes turns the records into changes, refusing one without a valid id.
func (p *parser) changes() ([]changes.Change, error) {
	recs := make([]*record, 0, len(p.records))
	for _, r := range p.records {
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b *record) int {
		return cmp.Or(
			strings.Compare(a.key.top, b.key.top),
			strings.Compare(a.key.action, b.key.action),
			cmp.Compare(len(a.key.index), len(b.key.index)), // numeric order: no leading zeros
			strings.Compare(a.key.index, b.key.index),
		)
	})
	out := make([]changes.Change, 0, len(recs))
	seen := make(map[changes.Change]bool, len(recs))
	for _, r := range recs {
		if r.id == "" {
			return nil, malformed(r.key.String(), "no [id]")
		}
		id, err := strconv.Atoi(r.id)
		if !isDigits(r.id, maxIDDigits) || err != nil || id <= 0 {
			return nil, malformed(r.key.String()+"[id]", fmt.Sprintf("id %q is not a positive integer", shorten(r.id)))
		}
		c := changes.Change{
			Entity:   entities[r.key.top],
			Action:   actions[r.key.action],
			ID:       id,
			At:       p.at(r),
			Received: p.received,
		}
		if c.Entity == changes.Contacts && r.typ == "company" {
			c.Entity = changes.Companies
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// at is when amoCRM says the change happened: the first Unix time among the
// record's timestamps, newest kind first; the time received when none is.
func (p *parser) at(r *record) time.Time {
	for _, s := range []string{r.updatedAt, r.lastModified, r.createdAt, r.dateCreate} {
		if !isDigits(s, maxTimeDigits) {
			continue
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return time.Unix(n, 0)
		}
	}
	return p.received
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
