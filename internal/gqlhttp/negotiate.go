package gqlhttp

import (
	"strconv"
	"strings"
)

// mediaType is a response media type; the zero value is none.
type mediaType uint8

const (
	mediaNone mediaType = iota
	mediaJSON
	mediaGraphQLResponse
)

func (m mediaType) contentType() string {
	if m == mediaGraphQLResponse {
		return MediaTypeGraphQLResponse + "; charset=utf-8"
	}
	return MediaTypeJSON + "; charset=utf-8"
}

// negotiate picks the response media type from the values of the Accept
// header. A client that names application/graphql-response+json gets it
// unless it gives application/json a higher q; wildcards and a missing header
// get application/json, which every client before the watershed understands
// (the specification asks for exactly that). ok is false when the client
// accepts neither, which the server answers with 406.
//
// It is written out by hand, without mime.ParseMediaType, because it runs on
// every request and must not allocate.
func negotiate(accept []string) (mt mediaType, ok bool) {
	var plain, gr rank
	given := false
	for _, v := range accept {
		for v != "" {
			var elem string
			elem, v, _ = strings.Cut(v, ",")
			typ, params, _ := strings.Cut(elem, ";")
			typ = strings.TrimSpace(typ)
			if typ == "" {
				continue
			}
			given = true
			q, valid := qValue(params)
			if !valid {
				continue
			}
			switch {
			case strings.EqualFold(typ, MediaTypeJSON):
				plain.see(specExact, q)
			case strings.EqualFold(typ, MediaTypeGraphQLResponse):
				gr.see(specExact, q)
			case strings.EqualFold(typ, "application/*"):
				plain.see(specSubtype, q)
				gr.see(specSubtype, q)
			case typ == "*/*":
				plain.see(specAny, q)
				gr.see(specAny, q)
			}
		}
	}
	switch {
	case !given:
		return mediaJSON, true
	case gr.spec == specExact && gr.q > 0 && gr.q >= plain.q:
		return mediaGraphQLResponse, true
	case plain.q > 0:
		return mediaJSON, true
	case gr.q > 0:
		return mediaGraphQLResponse, true
	}
	return mediaNone, false
}

// How specific the media range that set a rank's q is: the most specific
// range matching a type decides its q (RFC 9110, section 12.5.1).
const (
	specNone = iota
	specAny
	specSubtype
	specExact
)

type rank struct {
	spec int
	q    float64
}

func (r *rank) see(spec int, q float64) {
	switch {
	case spec > r.spec:
		r.spec, r.q = spec, q
	case spec == r.spec && q > r.q:
		r.q = q
	}
}

// qValue reads the q parameter of one Accept element: 1 when absent, and
// valid false when it is not a number between 0 and 1 (the element is then
// ignored, as RFC 9110 lets a recipient do with an invalid one).
func qValue(params string) (q float64, valid bool) {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}

// isJSON reports whether a Content-Type header names application/json,
// whatever its parameters.
func isJSON(contentType string) bool {
	typ, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(typ), MediaTypeJSON)
}

// utf8Charset reports whether a Content-Type header's charset, if any, is
// UTF-8: the only encoding the specification lets a JSON body have.
func utf8Charset(contentType string) bool {
	_, params, _ := strings.Cut(contentType, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "charset") {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if !strings.EqualFold(value, "utf-8") && !strings.EqualFold(value, "utf8") {
			return false
		}
	}
	return true
}
