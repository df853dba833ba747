//go:build !unix

package gateway

import "os/exec"

// ownProcessGroup does nothing here: the child stops when its stdin closes.
func ownProcessGroup(*exec.Cmd) {}
