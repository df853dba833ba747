package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func urlEscape(s string) string { return url.QueryEscape(s) }
