// Package fleet runs the gateway as several replica processes beside one
// Redis, as production does behind a load balancer: for the integration
// tests of shared state and for `amogql loadtest -replicas`.
//
// Every replica is a real process running the gateway's own main, with its
// configuration in the environment; Redis is a real redis-server on a
// loopback port, which the fleet can kill and start again to show what the
// replicas do without it.
package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Spec says how to start the replicas.
type Spec struct {
	// Exe and Args start one gateway process (its main, serving).
	Exe  string
	Args []string
	// Env is every replica's environment on top of this process's; ADDR is
	// set by the fleet. PerReplica, if set, adds replica i's own.
	Env        []string
	PerReplica func(i int) []string
	// N is how many replicas. Default 3.
	N int
	// Addr, if set, is replica i's listen address; default a free
	// loopback port.
	Addr func(i int) string
	// StartTimeout bounds each replica's start. Default 30 s.
	StartTimeout time.Duration
}

// Replica is one gateway process.
type Replica struct {
	// URL is its base URL, http://127.0.0.1:port.
	URL string
	cmd *exec.Cmd
	log *tail
	end chan struct{}
	err error // of Wait, once end is closed
}

// Fleet is the running replicas.
type Fleet struct {
	Replicas []*Replica
}

// Start starts spec.N replicas and waits until each answers /healthz. On
// error it stops those it started.
func Start(ctx context.Context, spec Spec) (*Fleet, error) {
	if spec.N == 0 {
		spec.N = 3
	}
	if spec.StartTimeout == 0 {
		spec.StartTimeout = 30 * time.Second
	}
	f := &Fleet{}
	for i := range spec.N {
		r, err := startReplica(spec, i)
		if err != nil {
			f.Stop()
			return nil, err
		}
		f.Replicas = append(f.Replicas, r)
	}
	for i, r := range f.Replicas {
		if err := r.waitHealthy(ctx, spec.StartTimeout); err != nil {
			f.Stop()
			return nil, fmt.Errorf("fleet: replica %d: %w\n%s", i+1, err, r.log.String())
		}
	}
	return f, nil
}

func startReplica(spec Spec, i int) (*Replica, error) {
	var addr string
	if spec.Addr != nil {
		addr = spec.Addr(i)
	} else {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	cmd := exec.Command(spec.Exe, spec.Args...)
	cmd.Env = append(append(os.Environ(), spec.Env...), "ADDR="+addr)
	if spec.PerReplica != nil {
		cmd.Env = append(cmd.Env, spec.PerReplica(i)...)
	}
	r := &Replica{URL: "http://" + addr, cmd: cmd, log: newTail(64 << 10), end: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("fleet: start replica %d: %w", i+1, err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.end)
	}()
	return r, nil
}

// waitHealthy polls /healthz until it answers 200, the process exits or
// the timeout passes.
func (r *Replica) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-r.end:
			return fmt.Errorf("exited before it served: %v", r.err)
		case <-ctx.Done():
			return fmt.Errorf("not healthy within %s: %w", timeout, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Log returns the end of the replica's output.
func (r *Replica) Log() string { return r.log.String() }

// Stop ends the replica: SIGTERM, its graceful drain, SIGKILL after 30 s.
func (r *Replica) Stop() error {
	if r.cmd.Process == nil {
		return nil
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.end:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.end
	}
	var ee *exec.ExitError
	if r.err != nil && !errors.As(r.err, &ee) {
		return r.err
	}
	return nil
}

// Stop stops every replica.
func (f *Fleet) Stop() {
	var wg sync.WaitGroup
	for _, r := range f.Replicas {
		wg.Go(func() { _ = r.Stop() })
	}
	wg.Wait()
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("fleet: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

var _ io.Writer = (*tail)(nil)
