package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

// SandboxReady is the first line a sandbox process writes to its standard
// output, as JSON: where it serves. It is the contract between
// ServeSandboxProcess, in the child, and StartSandboxProcess, in the parent.
type SandboxReady struct {
	URL string `json:"url"`
}

// ServeSandboxProcess serves sb's Standalone handler on addr, writes a
// SandboxReady line to stdout once it accepts connections, and serves until
// ctx is done or, when stdin is not nil, stdin reaches its end: a parent
// holding the other end of that pipe stops the sandbox by closing it, and
// the kernel closes it when the parent dies, however it dies.
func ServeSandboxProcess(ctx context.Context, addr string, sb *sandbox.Sandbox, stdin io.Reader, stdout io.Writer) error {
	defer sb.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: sb.Standalone(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	line, err := json.Marshal(SandboxReady{URL: "http://" + displayAddr(ln.Addr())})
	if err != nil {
		_ = srv.Close()
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		_ = srv.Close()
		return fmt.Errorf("sandbox: announce the URL: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if stdin != nil {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			cancel()
		}()
	}
	select {
	case err := <-served:
		return fmt.Errorf("sandbox serve: %w", err)
	case <-ctx.Done():
	}
	// Calls held by the injected latency get their answers; a long
	// latency is cut after a few seconds rather than waited out.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	return nil
}

// SandboxProcess is a sandbox running in a child process, so that what the
// parent measures of itself excludes the emulator's work.
type SandboxProcess struct {
	// URL is where the child serves, as its SandboxReady line said.
	URL string

	cmd    *exec.Cmd
	stop   context.CancelFunc
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

// sandboxStartTimeout bounds how long a child may take to announce its URL
// (it seeds its demo data first).
const sandboxStartTimeout = 30 * time.Second

// StartSandboxProcess runs name with args, a command that serves a sandbox
// through ServeSandboxProcess with stdin watched, and waits for its
// SandboxReady line. The child's stderr goes to stderr. Stop ends it; so
// does the parent's death, since the child's stdin then closes. The child
// lives in a process group of its own where the platform has them, so a
// Ctrl-C at the terminal reaches only the parent, which can still read the
// child's counters before it stops it. Cancelling ctx stops the child as
// well, so give it a context that outlives the measurement.
func StartSandboxProcess(ctx context.Context, name string, args []string, stderr io.Writer) (*SandboxProcess, error) {
	cctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(cctx, name, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sandbox process: %w", err)
	}
	// Closing stdin is the portable graceful stop; Wait kills the child
	// if it has not exited WaitDelay later.
	cmd.Cancel = stdin.Close
	cmd.WaitDelay = 10 * time.Second
	first := &firstLine{ch: make(chan []byte, 1)}
	cmd.Stdout, cmd.Stderr = first, stderr
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("sandbox process: %w", err)
	}
	p := &SandboxProcess{cmd: cmd, stop: cancel, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(sandboxStartTimeout)
	defer timer.Stop()
	var line []byte
	select {
	case line = <-first.ch:
	case <-p.exited:
		cancel()
		return nil, fmt.Errorf("sandbox process exited before it served: %v", p.err)
	case <-ctx.Done():
		_ = p.Stop()
		return nil, fmt.Errorf("sandbox process: %w", ctx.Err())
	case <-timer.C:
		_ = p.Stop()
		return nil, fmt.Errorf("sandbox process: no URL within %v", sandboxStartTimeout)
	}
	var ready SandboxReady
	if err := json.Unmarshal(line, &ready); err != nil || ready.URL == "" {
		_ = p.Stop()
		return nil, fmt.Errorf("sandbox process: first line %q is not {\"url\": ...}", line)
	}
	p.URL = ready.URL
	return p, nil
}

// Stop ends the child and waits for it. A child that exits cleanly when
// asked returns nil.
func (p *SandboxProcess) Stop() error {
	p.stop()
	<-p.exited
	// os/exec reports a child that exited 0 after Cancel as the context's
	// error, and one that failed, or was killed at WaitDelay, as its exit.
	if p.err == nil || errors.Is(p.err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("sandbox process: %w", p.err)
}

// firstLine is a child's stdout: it hands over the first line once and
// discards the rest, so a chatty child never blocks on a full pipe.
type firstLine struct {
	buf  []byte
	done bool
	ch   chan []byte
}

// maxFirstLine bounds what is buffered while no newline has come.
const maxFirstLine = 64 << 10

// Write is called by one goroutine of os/exec at a time.
func (f *firstLine) Write(b []byte) (int, error) {
	if f.done {
		return len(b), nil
	}
	f.buf = append(f.buf, b...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 || len(f.buf) > maxFirstLine {
		if i < 0 {
			i = len(f.buf)
		}
		f.done = true
		f.ch <- bytes.TrimSpace(f.buf[:i])
		f.buf = nil
	}
	return len(b), nil
}
