package graph

// pageArgs are a connection's Relay arguments.
type pageArgs struct {
	first, last   *int
	after, before *string
}

// bounds turns the arguments into the items [offset, offset+n) of the list,
// following the Relay pagination algorithm: the cursors bound the list,
// then first keeps the head of what is left and last its tail. amoCRM lists
// carry no totals, so a tail needs a known end: before, or first.
func (a pageArgs) bounds(fp string) (offset, n int, err error) {
	for _, c := range []struct {
		name string
		v    *int
	}{{"first", a.first}, {"last", a.last}} {
		if c.v != nil && (*c.v < 0 || *c.v > maxFirst) {
			return 0, 0, badInput("%s must be between 0 and %d, got %d", c.name, maxFirst, *c.v)
		}
	}
	start, end, bounded := 0, 0, false
	if a.after != nil {
		pos, err := decodeCursor(*a.after, fp)
		if err != nil {
			return 0, 0, err
		}
		start = pos + 1
	}
	if a.before != nil {
		pos, err := decodeCursor(*a.before, fp)
		if err != nil {
			return 0, 0, err
		}
		end, bounded = max(pos, start), true
	}
	first := a.first
	if first == nil && a.last == nil {
		d := defaultFirst
		first = &d
	}
	if first != nil && (!bounded || start+*first < end) {
		end, bounded = start+*first, true
	}
	if a.last != nil {
		if !bounded {
			return 0, 0, badInput("last needs before (or first): amoCRM gives no totals, so the end of the list is unknown")
		}
		start = max(start, end-*a.last)
	}
	return start, end - start, nil
}
