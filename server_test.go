package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/fleet"
	"github.com/amogql/amogql/internal/sandbox"
)

// binary is the gateway built once for the tests that run it as a process.
var binary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildBinary builds the real gateway (without the race detector: the
// processes it runs are measured, not inspected) once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "amogql-bin-*")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "amogql")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

// secrets are the values of the secret settings in the tests' environment.
var secrets = map[string]string{
	"AMOCRM_ACCESS_TOKEN":  "s3cr3t-access",
	"AMOCRM_CLIENT_SECRET": "s3cr3t-client",
	"AMOCRM_REFRESH_TOKEN": "s3cr3t-refresh",
	"GATEWAY_API_KEYS":     "s3cr3t-key1,s3cr3t-key2",
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestUsageHidesSecrets: usage, printed for -h and for every flag mistake,
// shows each flag's default, and defaults come from the environment: a
// secret's value must not be among them.
func TestUsageHidesSecrets(t *testing.T) {
	t.Parallel()
	e := map[string]string{"AMOCRM_BASE_URL": "https://example.amocrm.ru", "AMOCRM_RPS": "5"}
	for k, v := range secrets {
		e[k] = v
	}
	for _, args := range [][]string{
		{"-h"},
		{"--help"},
		{"-no-such-flag"},
		{"-amocrm-rps"},        // a flag without its value
		{"-max-body-bytes=x1"}, // a bad value is reported after parsing, not with usage
		{"-amocrm-access-token"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			_, _, err := loadConfig(append([]string{"amogql"}, args...), env(e), &stderr)
			out := stderr.String()
			if err != nil {
				out += err.Error()
			}
			if strings.Contains(out, "s3cr3t") {
				t.Errorf("a secret is shown:\n%s", out)
			}
			if strings.HasPrefix(args[0], "-h") && !strings.Contains(out, `(default "https://example.amocrm.ru")`) {
				t.Errorf("usage no longer shows a setting taken from the environment:\n%s", out)
			}
			if strings.HasPrefix(args[0], "-h") && !strings.Contains(out, "(AMOCRM_ACCESS_TOKEN); set in the environment") {
				t.Errorf("usage does not say the token is set:\n%s", out)
			}
		})
	}
}

// TestSecretSettings: secrets still come from the environment, and a flag
// still wins over it.
func TestSecretSettings(t *testing.T) {
	t.Parallel()
	cfg, _, err := loadConfig([]string{"amogql"}, env(secrets), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AccessToken != secrets["AMOCRM_ACCESS_TOKEN"] || strings.Join(cfg.APIKeys, ",") != secrets["GATEWAY_API_KEYS"] {
		t.Errorf("from the environment: token %q, keys %q", cfg.AccessToken, cfg.APIKeys)
	}
	cfg, _, err = loadConfig([]string{"amogql", "-amocrm-access-token", "flag-token", "-gateway-api-keys", "a, b"}, env(secrets), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AccessToken != "flag-token" || strings.Join(cfg.APIKeys, ",") != "a,b" {
		t.Errorf("from flags: token %q, keys %q", cfg.AccessToken, cfg.APIKeys)
	}
}

// TestOnSignals: the first signal starts the drain, the second forces the
// exit.
func TestOnSignals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		signals                int
		wantCancel, wantForced bool
	}{
		{"None", 0, false, false},
		{"One", 1, true, false},
		{"Two", 2, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sigs := make(chan os.Signal, 2)
			for range tc.signals {
				sigs <- os.Interrupt
			}
			close(sigs)
			var cancelled, forced bool
			onSignals(sigs, func() { cancelled = true }, func() { forced = true })
			if cancelled != tc.wantCancel || forced != tc.wantForced {
				t.Errorf("cancelled %v, forced %v; want %v, %v", cancelled, forced, tc.wantCancel, tc.wantForced)
			}
		})
	}
}

// TestProcess_SecondSignalExitsAtOnce runs the real binary: SIGINT starts a
// drain that waits for a slow in-flight query, and a second SIGINT ends the
// process without waiting for it.
func TestProcess_SecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	cmd := exec.Command(bin)
	// The embedded sandbox holds every call for 30 s: the drain would wait
	// out the shutdown timeout or more, far longer than this test.
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "LOG_FORMAT=json", "SANDBOX_LATENCY=30s",
		"UPSTREAM_TIMEOUT=40s", "SHUTDOWN_TIMEOUT=20s", "AMOCRM_BASE_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	var addr string
	for addr == "" {
		select {
		case l := <-lines:
			var entry struct {
				Message, Addr string
			}
			if json.Unmarshal([]byte(l), &entry) == nil && entry.Message == "amogql listening" {
				addr = entry.Addr
			}
		case err := <-exited:
			t.Fatalf("the process exited: %v\n%s", err, stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatal("no start-up line")
		}
	}
	client := &http.Client{Timeout: time.Minute}
	go func() {
		resp, err := client.Post("http://"+addr+"/query", "application/json", strings.NewReader(`{"query":"{ contact(id: 3) { name } }"}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(300 * time.Millisecond) // the query reaches the sandbox and waits there
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		t.Fatalf("the first signal ended the process (%v) with a query in flight\n%s", err, stderr.String())
	case <-time.After(500 * time.Millisecond):
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
		if !strings.Contains(stderr.String(), "second signal") {
			t.Errorf("stderr does not say why it exited: %s", stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second SIGINT did not end the process")
	}
}

// TestReplicas runs what production runs: three gateway processes behind a
// round-robin balancer, one redis-server, and a sandbox that answers 429
// above amoCRM's 7 requests per second, its access tokens expiring every
// few seconds, its contacts renamed behind the gateway's back. It needs
// redis-server on PATH (CI installs it; elsewhere the test is skipped
// unless AMOGQL_REQUIRE_REDIS is set).
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes for half a minute")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("AMOGQL_REQUIRE_REDIS") != "" {
			t.Fatal("redis-server is not installed and AMOGQL_REQUIRE_REDIS is set")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	t.Parallel()
	ctx := context.Background()
	const tokenTTL = 20 * time.Second // refreshed at half its life, never within a Redis outage below
	bed, err := fleet.Up(ctx, fleet.Setup{Exe: buildBinary(t), Cache: true, AccessTokenTTL: tokenTTL, Latency: 20 * time.Millisecond,
		// The sandbox, in this busy test process, counts a call when its
		// handler runs, which can be later than amoCRM's network arrival
		// the production bound of 50 ms is about.
		Env: []string{"UPSTREAM_TRANSIT_BOUND=300ms"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	logs := func() {
		for i, r := range bed.Fleet.Replicas {
			t.Logf("replica %d:\n%s", i+1, r.Log())
		}
	}

	t.Run("one budget, one token, one cache", func(t *testing.T) {
		refreshesBefore := bed.Refreshes()
		r, err := bed.Load(ctx, fleet.LoadOptions{Clients: 20, Duration: 10 * time.Second, RenameEvery: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		r.Write(&out)
		refreshes := bed.Refreshes() - refreshesBefore
		t.Logf("3 replicas, 20 clients, cache on:\n%s  refresh calls: %d", out.String(), refreshes)
		if r.Upstream429 != 0 || r.MaxPerSecond > 7 {
			logs()
			t.Errorf("%d × 429 and %d calls in one second at the sandbox: the replicas overspent the budget", r.Upstream429, r.MaxPerSecond)
		}
		if len(r.Errors) != 0 {
			logs()
			t.Errorf("clients saw errors %v", r.Errors)
		}
		if r.Stale != 0 || r.Checked == 0 {
			t.Errorf("%d stale reads of %d checked", r.Stale, r.Checked)
		}
		// One refresh per token lifetime half, whichever replica needs it:
		// three replicas refreshing on their own would make three.
		if most := int(r.Elapsed/(tokenTTL/2)) + 1; refreshes > most {
			t.Errorf("%d refresh calls in %s with tokens refreshed every %s: want at most %d", refreshes, r.Elapsed, tokenTTL/2, most)
		}
		if n := bed.RefreshFailures(); n != 0 {
			t.Errorf("the token endpoint refused %d refreshes: a refresh token was spent twice", n)
		}
		if r.Queries < 5*r.Upstream {
			t.Errorf("%d queries for %d upstream calls: the replicas do not share the cache", r.Queries, r.Upstream)
		}
	})

	t.Run("a webhook into one replica reaches subscribers on another", func(t *testing.T) {
		r, err := bed.Webhooks(ctx, 0, 2, 30, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		r.Write(&out)
		t.Log(out.String())
		if r.Received != r.Sent {
			logs()
			t.Fatalf("%d of %d changes reached replica 3", r.Received, r.Sent)
		}
	})

	t.Run("Redis killed and restarted under load", func(t *testing.T) {
		r, err := bed.Load(ctx, fleet.LoadOptions{Clients: 20, Duration: 12 * time.Second, RenameEvery: 300 * time.Millisecond,
			KillRedisAt: 2 * time.Second, KillRedisFor: 4 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		r.Write(&out)
		t.Logf("Redis killed for 4 s:\n%s", out.String())
		if r.Upstream429 != 0 || r.MaxPerSecond > 7 {
			logs()
			t.Errorf("%d × 429 and %d calls in one second: the fallback overspent the budget", r.Upstream429, r.MaxPerSecond)
		}
		if r.Stale != 0 {
			t.Errorf("%d stale reads of %d checked", r.Stale, r.Checked)
		}
		if r.Recovered == 0 {
			logs()
			t.Fatal("the replicas did not all report ready after Redis returned")
		}
		if r.ErrorsAfterRecovery != 0 {
			logs()
			t.Errorf("%d queries failed after every replica recovered", r.ErrorsAfterRecovery)
		}
		for i, rep := range bed.Fleet.Replicas {
			if strings.Contains(rep.Log(), "panic") {
				t.Errorf("replica %d panicked:\n%s", i+1, rep.Log())
			}
		}
	})
}

// `amogql sandbox` is the emulator alone: it announces its URL as the first
// line, serves the API with the sandbox token and its call count beside it,
// and exits cleanly when signalled or, for the load command that runs it,
// when its stdin closes.
func TestSandboxCommand(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	tests := []struct {
		name     string
		stdinEOF bool
		stop     func(cmd *exec.Cmd, stdin interface{ Close() error }) error
	}{
		{name: "SIGTERM", stop: func(cmd *exec.Cmd, _ interface{ Close() error }) error {
			return cmd.Process.Signal(syscall.SIGTERM)
		}},
		{name: "SIGINT", stop: func(cmd *exec.Cmd, _ interface{ Close() error }) error {
			return cmd.Process.Signal(os.Interrupt)
		}},
		{name: "stdin closed, as when its parent dies", stdinEOF: true, stop: func(_ *exec.Cmd, stdin interface{ Close() error }) error {
			return stdin.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"sandbox", "-addr", "127.0.0.1:0", "-latency", "1ms", "-contacts", "10"}
			if tt.stdinEOF {
				args = append(args, "-exit-on-stdin-eof")
			}
			cmd := exec.Command(bin, args...)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			first := make(chan string, 1)
			exited := make(chan error, 1)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					select {
					case first <- sc.Text():
					default:
					}
				}
				exited <- cmd.Wait()
			}()
			var ready struct{ URL string }
			select {
			case line := <-first:
				if err := json.Unmarshal([]byte(line), &ready); err != nil || !strings.HasPrefix(ready.URL, "http://127.0.0.1:") {
					t.Fatalf("first line %q: want {\"url\":\"http://127.0.0.1:PORT\"} (%v)", line, err)
				}
			case err := <-exited:
				t.Fatalf("exited before it served: %v\n%s", err, stderr.String())
			case <-time.After(30 * time.Second):
				t.Fatalf("no URL within 30 s\n%s", stderr.String())
			}
			get := func(path, token string, v any) int {
				t.Helper()
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ready.URL+path, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				return resp.StatusCode
			}
			var account struct{ ID int }
			if code := get("/api/v4/account", sandbox.DefaultToken, &account); code != http.StatusOK || account.ID != sandbox.AccountID {
				t.Errorf("GET /api/v4/account: %d, id %d", code, account.ID)
			}
			var calls sandbox.CallsReport
			if code := get(sandbox.CallsPath, "", &calls); code != http.StatusOK || calls.Total != 1 {
				t.Errorf("GET %s: %d, %+v, want 1 call", sandbox.CallsPath, code, calls)
			}
			if err := tt.stop(cmd, stdin); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("exit: %v\n%s", err, stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("still running 15 s after %s\n%s", tt.name, stderr.String())
			}
		})
	}
}

// The load command runs the sandbox as its child: a short run reports the
// upstream calls the child counted and the CPU of the gateway's process
// alone, and leaves no child behind, whether it ends or is interrupted by
// Ctrl-C (which the terminal sends to the command's process group only).
func TestLoadCommand_SandboxProcess(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	tests := []struct {
		name, latency string // the latency tells this row's child apart
		duration      string
		interrupt     bool
	}{
		{name: "a short run", latency: "3ms", duration: "1s"},
		{name: "Ctrl-C", latency: "4ms", duration: "60s", interrupt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "loadtest", "-duration", tt.duration, "-query", "ContactByID", "-concurrency", "2", "-latency", tt.latency)
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tt.interrupt {
				for !strings.Contains(out.String(), "amogql load:") {
					if ctx.Err() != nil {
						t.Fatalf("the load never started:\n%s", out.String())
					}
					time.Sleep(50 * time.Millisecond)
				}
				time.Sleep(time.Second)
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
			}
			err := cmd.Wait()
			if interrupted := err != nil && strings.Contains(out.String(), "run interrupted"); err != nil && !(tt.interrupt && interrupted) {
				t.Fatalf("loadtest: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				`upstream calls\s+[1-9]\d* \(1\.\d\d per query\)`,
				`cpu per query\s+\d.* \(this process: gateway and load generator; the sandbox runs in its own\)`,
			} {
				if !regexp.MustCompile(want).MatchString(out.String()) {
					t.Errorf("report lacks %s:\n%s", want, out.String())
				}
			}
			if left := sandboxChildren(t, bin, tt.latency); len(left) > 0 {
				t.Errorf("sandbox processes left behind: %v", left)
			}
		})
	}
}

// sandboxChildren lists the live processes running bin's sandbox with this
// latency, from /proc where there is one.
func sandboxChildren(t *testing.T, bin, latency string) []string {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil || len(dirs) == 0 {
		t.Log("no /proc: not checking for a sandbox left behind")
		return nil
	}
	var left []string
	for _, d := range dirs {
		raw, err := os.ReadFile(d)
		if err != nil {
			continue // gone since the glob
		}
		argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if len(argv) > 2 && argv[0] == bin && argv[1] == "sandbox" && slices.Contains(argv, latency) {
			left = append(left, d)
		}
	}
	return left
}

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
