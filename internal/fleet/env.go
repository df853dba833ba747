package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amogql/amogql/internal/sandbox"
)

// Setup describes a whole test bed: a sandbox enforcing amoCRM's budget,
// one Redis and the replicas.
type Setup struct {
	// Exe and Args run one gateway (see Spec).
	Exe  string
	Args []string
	// Replicas: default 3.
	Replicas int
	// Cache turns the read cache on (CACHE_TTL 5m) or off.
	Cache bool
	// RPS is what the sandbox enforces (429 above it) and what the
	// gateway is told; default 7, amoCRM's budget.
	RPS float64
	// Latency the sandbox adds to each call; default 50 ms.
	Latency time.Duration
	// AccessTokenTTL is the lifetime of the access tokens the sandbox
	// mints; default amoCRM's 24 h.
	AccessTokenTTL time.Duration
	// Contacts generated besides the documentation's; default 100.
	Contacts int
	// Env adds to every replica's environment (e.g. LOG_LEVEL=debug).
	Env []string
}

// APIKey is the key the replicas accept.
const APIKey = "fleet-api-key"

// Bed is a running Setup.
type Bed struct {
	Sandbox    *sandbox.Sandbox
	SandboxURL string
	Redis      *Redis
	Fleet      *Fleet
	// Secret is the replicas' WEBHOOK_SECRET.
	Secret string

	dir      string
	stopSand func()
}

// Up starts the sandbox, Redis and the replicas. Every replica holds the
// same OAuth integration (and refreshes through Redis), takes webhooks,
// and registers replica 1's URL with the sandbox, as they would register
// the load balancer's.
func Up(ctx context.Context, s Setup) (*Bed, error) {
	if s.Replicas == 0 {
		s.Replicas = 3
	}
	if s.RPS == 0 {
		s.RPS = 7
	}
	if s.Latency == 0 {
		s.Latency = 50 * time.Millisecond
	}
	if s.Contacts == 0 {
		s.Contacts = 100
	}
	b := &Bed{Secret: "fleet-webhook-secret"}
	var err error
	if b.dir, err = os.MkdirTemp("", "amogql-fleet-*"); err != nil {
		return nil, err
	}
	opts := []sandbox.Option{sandbox.WithContacts(s.Contacts), sandbox.WithLatency(s.Latency), sandbox.WithRequestLog(1 << 20)}
	if s.AccessTokenTTL > 0 {
		opts = append(opts, sandbox.WithAccessTokenTTL(s.AccessTokenTTL))
	}
	b.Sandbox = sandbox.New(opts...)
	b.Sandbox.SetFaults(sandbox.Faults{EnforceRPS: s.RPS, Latency: s.Latency})
	if b.SandboxURL, b.stopSand, err = serve(b.Sandbox); err != nil {
		b.Close()
		return nil, err
	}
	if b.Redis, err = StartRedis(ctx); err != nil {
		b.Close()
		return nil, err
	}
	addrs := make([]string, s.Replicas)
	for i := range addrs {
		port, err := FreePort()
		if err != nil {
			b.Close()
			return nil, err
		}
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
	}
	cacheTTL := "0"
	if s.Cache {
		cacheTTL = "5m"
	}
	env := append([]string{
		"AMOCRM_BASE_URL=" + b.SandboxURL,
		"AMOCRM_CLIENT_ID=" + sandbox.DefaultClientID,
		"AMOCRM_CLIENT_SECRET=" + sandbox.DefaultClientSecret,
		"AMOCRM_REDIRECT_URI=" + sandbox.DefaultRedirectURI,
		"AMOCRM_REFRESH_TOKEN=" + b.Sandbox.IssueRefreshToken(),
		"AMOCRM_RPS=" + fmt.Sprint(s.RPS),
		"GATEWAY_API_KEYS=" + APIKey,
		"REDIS_URL=" + b.Redis.URL,
		"WEBHOOK_SECRET=" + b.Secret,
		"PUBLIC_URL=http://" + addrs[0],
		"CACHE_TTL=" + cacheTTL,
		"LOG_LEVEL=warn",
	}, s.Env...)
	b.Fleet, err = Start(ctx, Spec{
		Exe: s.Exe, Args: s.Args, Env: env, N: s.Replicas,
		Addr: func(i int) string { return addrs[i] },
		PerReplica: func(i int) []string {
			return []string{"AMOCRM_TOKEN_STORE=" + filepath.Join(b.dir, fmt.Sprintf("tokens-%d.json", i+1))}
		},
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	// The replicas register their webhook once they serve: a change made
	// before that would reach none of them.
	if err := b.awaitWebhook(ctx, "http://"+addrs[0]+"/webhooks/amocrm/"+b.Secret); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// awaitWebhook waits until the sandbox has a subscription for dest.
func (b *Bed) awaitWebhook(ctx context.Context, dest string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.SandboxURL+"/api/v4/webhooks", nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.DefaultToken)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), dest) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fleet: no replica registered its webhook %s within 30 s", dest)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops everything.
func (b *Bed) Close() {
	if b.Fleet != nil {
		b.Fleet.Stop()
	}
	if b.Redis != nil {
		b.Redis.Stop()
	}
	if b.stopSand != nil {
		b.stopSand()
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// serve serves the sandbox on a loopback port.
func serve(sb *sandbox.Sandbox) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("fleet: sandbox listen: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "fleet: sandbox:", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close(); sb.Close() }, nil
}
