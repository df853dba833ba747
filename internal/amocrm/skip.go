package amocrm

import (
	"context"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Skip names parts of amoCRM's answers a caller will not read. amoCRM has no
// field selection: every entity arrives with its HAL links and all its
// custom field values. A skipped part is still scanned, but not decoded into
// memory; in a list of leads or contacts those parts are most of the
// allocations of decoding.
type Skip uint8

const (
	// SkipLinks leaves Links nil on entities and embedded references. The
	// list's own next link, which Response.NextPage comes from, is kept.
	SkipLinks Skip = 1 << iota
	// SkipCustomFields leaves CustomFieldsValues nil on every entity.
	SkipCustomFields

	skipAll = SkipLinks | SkipCustomFields
)

type skipKey struct{}

// WithSkip returns a context under which the client's calls leave the parts
// named by s undecoded in the answers they read. Only decoding changes: the
// requests sent are the same.
func WithSkip(ctx context.Context, s Skip) context.Context {
	return context.WithValue(ctx, skipKey{}, s&skipAll)
}

// decoding is what a call's context asks of decoding its answer.
type decoding struct {
	skip    Skip
	members *Members
}

func skipFrom(ctx context.Context) decoding {
	s, _ := ctx.Value(skipKey{}).(Skip)
	return decoding{skip: s, members: membersFrom(ctx)}
}

// skipOptions holds the decoder options of every combination of Skip bits,
// built once: a type-specific unmarshaler that skips the value is how the
// JSON v2 decoder is told to leave a part alone.
var skipOptions = func() [skipAll + 1]jsonv2.Options {
	var out [skipAll + 1]jsonv2.Options
	for s := range out {
		out[s] = decodeOptions
		if fns := skipUnmarshalers(Skip(s)); len(fns) > 0 {
			out[s] = jsonv2.JoinOptions(decodeOptions, jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(fns...)))
		}
	}
	return out
}()

// skipUnmarshalers are the unmarshalers that leave the parts s names alone.
// A decoder takes one set of unmarshalers (a later WithUnmarshalers
// replaces an earlier one), so others must be joined with these.
func skipUnmarshalers(s Skip) []*jsonv2.Unmarshalers {
	var fns []*jsonv2.Unmarshalers
	if s&SkipLinks != 0 {
		fns = append(fns, jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ **Links) error {
			return skipValue(dec)
		}))
	}
	if s&SkipCustomFields != 0 {
		fns = append(fns, jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *[]CustomFieldValues) error {
			return skipValue(dec)
		}))
	}
	return fns
}

// skipValue passes over the next value. The decoder's own SkipValue walks
// an object or array token by token through its state machine; ReadValue
// scans the same bytes in one pass (validating them just as well) and is
// several times faster on the large custom-field arrays amoCRM sends.
func skipValue(dec *jsontext.Decoder) error {
	_, err := dec.ReadValue()
	return err
}
