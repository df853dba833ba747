//go:build unix

package gateway

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the child in a process group of its own: the
// terminal's Ctrl-C signals the foreground group, and the parent, not the
// terminal, decides when the child stops.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
