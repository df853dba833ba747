package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"os"
)

var osHostname = os.Hostname

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
