package gqlhttp

import "context"

// An executor that writes its answer's data as final bytes — compact,
// valid JSON with HTML characters already escaped as encoding/json escapes
// them — says so with MarkFinal, and the transport sends the bytes as they
// are instead of checking and escaping them again (a pass over every byte
// of the answer, twice). Only the very slice marked is trusted: if an
// extension replaces the data afterwards, the replacement is checked as
// any other.

type finalKey struct{}

// final is the request's record of the data marked final.
type final struct{ data []byte }

// withFinal gives an operation's context somewhere to record its final data.
func withFinal(ctx context.Context) (context.Context, *final) {
	f := &final{}
	return context.WithValue(ctx, finalKey{}, f), f
}

// MarkFinal records data, the whole of an answer's data, as final bytes
// for the transport serving ctx. It does nothing outside a transport of
// this package.
func MarkFinal(ctx context.Context, data []byte) {
	if f, ok := ctx.Value(finalKey{}).(*final); ok {
		f.data = data
	}
}

// is reports whether data is the slice marked final.
func (f *final) is(data []byte) bool {
	return f != nil && len(data) > 0 && len(f.data) == len(data) && &f.data[0] == &data[0]
}
