package graph

import (
	"encoding/base64"
	"encoding/json"

	"hash/fnv"
	"strconv"
	"strings"
)

// A cursor is an item's position in one query's ordered list, tied to that
// query's arguments by a fingerprint, so a cursor from another query (or a
// forged one) is refused instead of silently paging the wrong list.
const cursorPrefix = "c1:"

func fingerprint(args ...any) string {
	h := fnv.New32a()
	_ = json.NewEncoder(h).Encode(args)
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

func encodeCursor(offset int, fp string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset) + ":" + fp))
}

func decodeCursor(s, fp string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return 0, badInput("invalid cursor %s", quoteCursor(s))
	}
	pos, got, ok := strings.Cut(strings.TrimPrefix(string(raw), cursorPrefix), ":")
	offset, err := strconv.Atoi(pos)
	if !ok || err != nil || offset < 0 || offset > maxOffset {
		return 0, badInput("invalid cursor %s", quoteCursor(s))
	}
	if got != fp {
		return 0, badInput("cursor %s belongs to a query with other arguments", quoteCursor(s))
	}
	return offset, nil
}

// quoteCursor quotes a cursor for an error message, cut at 64 bytes: an
// answer must not grow with what a client sends.
func quoteCursor(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}

// maxOffset bounds how deep a cursor may point: amoCRM pages are 1-based ints.
const maxOffset = 1 << 30

// pageWindow finds one amoCRM page (limit ≤ maxLimit) that holds the items
// [offset, offset+n). It prefers the smallest limit, so the call transfers
// the fewest rows. ok is false when no single page holds them all.
func pageWindow(offset, n, maxLimit int) (page, limit, skip int, ok bool) {
	if n <= 0 {
		return 0, 0, 0, false
	}
	last := offset + n - 1
	for l := n; l <= maxLimit; l++ {
		if offset/l == last/l {
			return offset/l + 1, l, offset % l, true
		}
	}
	return 0, 0, 0, false
}
