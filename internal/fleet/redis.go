package fleet

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoRedisServer means redis-server is not on PATH (Debian: apt-get
// install redis-server).
var ErrNoRedisServer = errors.New("fleet: redis-server is not installed")

// Redis is a redis-server process on a loopback port, keeping nothing on
// disk: a restart comes back empty, the harder case for the replicas.
type Redis struct {
	URL  string
	port int
	exe  string

	mu  sync.Mutex
	cmd *exec.Cmd
	end chan struct{}
	log *tail
}

// StartRedis starts redis-server on a free loopback port and waits until
// it answers.
func StartRedis(ctx context.Context) (*Redis, error) {
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoRedisServer
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r := &Redis{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), port: port, exe: exe}
	if err := r.Start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Start starts the server again on its port after Kill.
func (r *Redis) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return errors.New("fleet: redis-server is already running")
	}
	cmd := exec.Command(r.exe, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning")
	log := newTail(16 << 10)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("fleet: start redis-server: %w", err)
	}
	end := make(chan struct{})
	go func() { _ = cmd.Wait(); close(end) }()
	r.cmd, r.end, r.log = cmd, end, log

	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := rdb.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-end:
			r.cmd = nil
			return fmt.Errorf("fleet: redis-server exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("fleet: redis-server does not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills the server at once (SIGKILL), as a crash would.
func (r *Redis) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.end
	r.cmd = nil
}

// Stop is Kill, for cleanup.
func (r *Redis) Stop() { r.Kill() }
