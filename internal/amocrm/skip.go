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

func skipFrom(ctx context.Context) Skip {
	s, _ := ctx.Value(skipKey{}).(Skip)
	return s
}

// skipOptions holds the decoder options of every combination of Skip bits,
// built once: a type-specific unmarshaler that skips the value is how the
// JSON v2 decoder is told to leave a part alone.
var skipOptions = func() [skipAll + 1]jsonv2.Options {
	var out [skipAll + 1]jsonv2.Options
	for s := range out {
		var fns []*jsonv2.Unmarshalers
		if Skip(s)&SkipLinks != 0 {
			fns = append(fns, jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ **Links) error {
				return dec.SkipValue()
			}))
		}
		if Skip(s)&SkipCustomFields != 0 {
			fns = append(fns, jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *[]CustomFieldValues) error {
				return dec.SkipValue()
			}))
		}
		out[s] = decodeOptions
		if len(fns) > 0 {
			out[s] = jsonv2.JoinOptions(decodeOptions, jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(fns...)))
		}
	}
	return out
}()
