package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func grepLines(s, pattern string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, p := range strings.Split(pattern, "|") {
			if strings.Contains(line, p) && !strings.HasPrefix(line, "#") {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
