package gateway

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/amogql/amogql/internal/sandbox"
)

// childArg, after the test flags, makes this test binary play the sandbox
// child of StartSandboxProcess, in the way the next argument names.
const childArg = "sandbox-child"

// TestSandboxChild is not a test: StartSandboxProcess runs this binary
// with childArg, and it plays a well- or ill-behaved sandbox process.
func TestSandboxChild(t *testing.T) {
	mode := ""
	if args := flag.Args(); len(args) == 2 && args[0] == childArg {
		mode = args[1]
	}
	switch mode {
	case "":
		t.Skip("only run as StartSandboxProcess's child")
	case "serve":
		err := ServeSandboxProcess(context.Background(), "127.0.0.1:0", sandbox.New(sandbox.WithContacts(5)), os.Stdin, os.Stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "garbage":
		fmt.Println("listening on 127.0.0.1:80")
		_, _ = os.Stdin.Read(make([]byte, 1)) // until the parent closes it
		os.Exit(0)
	case "crash":
		os.Exit(3)
	}
}

func TestStartSandboxProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode    string
		wantErr string // "" = serves, and stops cleanly when asked
	}{
		{mode: "serve"},
		{mode: "garbage", wantErr: `is not {"url": ...}`},
		{mode: "crash", wantErr: "exited before it served"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			p, err := StartSandboxProcess(t.Context(), exe, []string{"-test.run=^TestSandboxChild$", childArg, tt.mode}, os.Stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sandboxCalls(t.Context(), p.URL); err != nil {
				t.Errorf("the child does not serve its call count: %v", err)
			}
			if err := p.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if resp, err := http.Get(p.URL + sandbox.CallsPath); err == nil {
				resp.Body.Close()
				t.Error("the child still serves after Stop")
			}
		})
	}
}
