package graph

import (
	"errors"
	"testing"
)

// FuzzDecodeCursor feeds arbitrary strings to decodeCursor, which reads the
// after argument clients send. It must never panic; it must accept only what
// encodeCursor can have made for this fingerprint, refusing everything else
// with an input error (BAD_USER_INPUT), never an internal one; and every
// offset it can encode must come back unchanged.
//
// The seed corpus (testdata/fuzz/FuzzDecodeCursor) holds a real end cursor,
// the foreign and garbage cursors of the gateway's tests, and edge cases:
// negative and out-of-range offsets, a colon in the fingerprint, padding and
// a sign.
func FuzzDecodeCursor(f *testing.F) {
	f.Fuzz(func(t *testing.T, s, fp string, offset int) {
		got, err := decodeCursor(s, fp)
		if err != nil {
			var in *inputError
			if !errors.As(err, &in) {
				t.Fatalf("decodeCursor(%q, %q): %T %v, want an input error", s, fp, err, err)
			}
		} else {
			if got < 0 || got > maxOffset {
				t.Fatalf("decodeCursor(%q, %q) = %d, outside [0, %d]", s, fp, got, maxOffset)
			}
			// What was accepted is what encodeCursor would write.
			if again, err := decodeCursor(encodeCursor(got, fp), fp); err != nil || again != got {
				t.Fatalf("re-encoded cursor of %d decodes to %d, %v", got, again, err)
			}
		}

		// Round trip: every offset in range survives, and only with its own
		// fingerprint.
		if offset < 0 || offset > maxOffset {
			if _, err := decodeCursor(encodeCursor(offset, fp), fp); err == nil {
				t.Fatalf("offset %d out of range was accepted", offset)
			}
			return
		}
		c := encodeCursor(offset, fp)
		if back, err := decodeCursor(c, fp); err != nil || back != offset {
			t.Fatalf("decodeCursor(encodeCursor(%d, %q)) = %d, %v", offset, fp, back, err)
		}
		if _, err := decodeCursor(c, fp+"x"); err == nil {
			t.Fatalf("a cursor for fingerprint %q was accepted for %q", fp, fp+"x")
		}
	})
}
