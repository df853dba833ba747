package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

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
	bin := filepath.Join(t.TempDir(), "amogql")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
