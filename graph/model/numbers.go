package model

import (
	"io"
	"strconv"
)

// Ids and amounts are most of the scalars in a large answer. As named
// integers rather than closures over a digit buffer, each costs the one
// allocation of being held in an interface and writes its digits straight
// into the response buffer.

// quotedInt is written as a JSON string: GraphQL IDs are strings.
type quotedInt int

// MarshalGQL implements graphql.Marshaler.
func (v quotedInt) MarshalGQL(w io.Writer) { writeInt(w, int64(v), true) }

// plainInt is written as a JSON number.
type plainInt int

// MarshalGQL implements graphql.Marshaler.
func (v plainInt) MarshalGQL(w io.Writer) { writeInt(w, int64(v), false) }

// availableBuffer is implemented by *bytes.Buffer and *bufio.Writer, which
// is what gqlgen marshals a response into.
type availableBuffer interface {
	io.Writer
	AvailableBuffer() []byte
}

func writeInt(w io.Writer, v int64, quoted bool) {
	if ab, ok := w.(availableBuffer); ok {
		_, _ = ab.Write(appendInt(ab.AvailableBuffer(), v, quoted))
		return
	}
	writeIntCopy(w, v, quoted)
}

// writeIntCopy is the path for other writers; it is a function of its own
// so that its buffer, which escapes, is only allocated when it is taken.
func writeIntCopy(w io.Writer, v int64, quoted bool) {
	var buf [24]byte
	_, _ = w.Write(appendInt(buf[:0], v, quoted))
}

func appendInt(b []byte, v int64, quoted bool) []byte {
	if quoted {
		b = append(b, '"')
	}
	b = strconv.AppendInt(b, v, 10)
	if quoted {
		b = append(b, '"')
	}
	return b
}
