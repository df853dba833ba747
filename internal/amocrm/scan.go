package amocrm

import (
	"bytes"
	"errors"
)

// The scanner walks amoCRM's answers over their raw bytes, for Members:
// reading a list of entities token by token through the JSON v2 decoder
// costs more in the decoder's bookkeeping per token than in the bytes, and
// most of every entity is members a query does not read.
//
// What it walks (the body, its _embedded, each entity object) it checks to
// the JSON grammar. A value it only passes over it checks for structure:
// brackets that match, strings that end, a scalar that starts like a JSON
// literal. A broken answer is refused whatever part of it is broken, except
// for a malformed scalar inside a part the query does not read, which
// changes nothing the answer holds. Members decoded are decoded by hand
// where plain, else by the JSON v2 decoder over their bytes, so they are
// checked in full.

// errSyntax is a body the scanner cannot walk.
var errSyntax = errors.New("malformed JSON")

// maxScanDepth bounds the nesting of a value passed over, as the JSON v2
// decoder's default depth limit bounds the values it reads.
const maxScanDepth = 10000

type scanner struct {
	b     []byte
	i     int
	stack []byte // the open brackets of the value being passed over
}

func (s *scanner) skipSpace() {
	if s.i < len(s.b) && s.b[s.i] > ' ' { // amoCRM's answers are compact
		return
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next byte that is not white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect consumes c, the next byte that is not white space.
func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return errSyntax
	}
	s.i++
	return nil
}

// str consumes the string literal at s.i.
func (s *scanner) str() error {
	i := s.i + 1
	for {
		j := bytes.IndexByte(s.b[i:], '"')
		if j < 0 {
			return errSyntax
		}
		i += j
		// The quote closes the string unless an odd run of backslashes
		// escapes it.
		n := 0
		for k := i - 1; s.b[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			s.i = i
			return nil
		}
	}
}

// value consumes the next value and returns its bytes.
func (s *scanner) value() ([]byte, error) {
	start := s.i
	var err error
	switch s.peek() {
	case 0:
		return nil, errSyntax
	case '"':
		start = s.i
		err = s.str()
	case '{', '[':
		start = s.i
		err = s.container()
	default:
		start = s.i
		err = s.scalar()
	}
	if err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}

// scalar consumes a number, true, false or null.
func (s *scanner) scalar() error {
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	switch lit := s.b[start:s.i]; {
	case len(lit) == 0:
		return errSyntax
	case lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9':
		return nil
	case string(lit) == "true" || string(lit) == "false" || string(lit) == "null":
		return nil
	}
	return errSyntax
}

// structural marks the bytes container stops at; it passes over the rest
// (numbers, literals, commas, colons, white space) without looking further.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// container consumes an object or array, checking its brackets match and
// its strings end.
func (s *scanner) container() error {
	s.stack = s.stack[:0]
	b := s.b
	for s.i < len(b) {
		if !structural[b[s.i]] {
			s.i++
			continue
		}
		switch c := b[s.i]; c {
		case '"':
			if err := s.str(); err != nil {
				return err
			}
			continue
		case '{', '[':
			if len(s.stack) == maxScanDepth {
				return errSyntax
			}
			s.stack = append(s.stack, c+2) // '}' is '{'+2, ']' is '['+2
		case '}', ']':
			if n := len(s.stack); n == 0 || s.stack[n-1] != c {
				return errSyntax
			}
			s.stack = s.stack[:len(s.stack)-1]
			if len(s.stack) == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return errSyntax
}

// object walks the object at s.i. For each member it calls fn with the
// member's raw name and the scanner at the member's value, which fn must
// consume: walk into it, or pass over it with value.
func (s *scanner) object(fn func(name []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return errSyntax
		}
		start := s.i
		if err := s.str(); err != nil {
			return err
		}
		name := s.b[start:s.i]
		if err := s.expect(':'); err != nil {
			return err
		}
		if s.peek() == 0 {
			return errSyntax
		}
		if err := fn(name); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// array walks the array at s.i, calling fn with the scanner at each
// element, which fn must consume.
func (s *scanner) array(fn func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if s.peek() == 0 {
			return errSyntax
		}
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// end checks nothing but white space follows.
func (s *scanner) end() error {
	if s.peek() != 0 || s.i < len(s.b) {
		return errSyntax
	}
	return nil
}
