//go:build tools

// Package tools pins the code generators the build uses, so `go run` finds
// the same version on every machine.
package tools

import (
	_ "github.com/99designs/gqlgen"
)
