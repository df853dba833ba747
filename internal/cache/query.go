package cache

import (
	"net/url"
	"strings"
)

// readQuery returns the form of a raw query string that keys an answer, and
// its with= values joined by commas; false when the query is malformed.
//
// Queries that mean the same must share answers however their parameters
// are ordered, so an unsorted query is put in the canonical form
// (url.Values.Encode). A query whose keys are already in order, as the
// amoCRM client sends them, is kept as it is: that is as good a key (two
// queries that read the same keep one key each, never one key for two
// meanings) and spares a parse on every hit.
func readQuery(raw string) (canon, with string, ok bool) {
	if raw == "" {
		return "", "", true
	}
	if strings.Contains(raw, ";") { // url.ParseQuery refuses it
		return "", "", false
	}
	sorted, prev := true, ""
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if k < prev {
			sorted = false // by the raw keys: any fixed order makes a key
		}
		prev = k
		if !isWith(k) {
			continue
		}
		v, err := url.QueryUnescape(v)
		if err != nil {
			return "", "", false
		}
		if with != "" {
			v = with + "," + v
		}
		with = v
	}
	if sorted {
		return raw, with, true
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "", "", false
	}
	return q.Encode(), with, true
}

// isWith reports whether a raw query key is "with", escaped or not.
func isWith(raw string) bool {
	if raw == "with" {
		return true
	}
	if len(raw) > len("%77%69%74%68") || !strings.ContainsAny(raw, "%+") {
		return false
	}
	k, err := url.QueryUnescape(raw)
	return err == nil && k == "with"
}
