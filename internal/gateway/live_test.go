package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/sandbox"
	"github.com/amogql/amogql/internal/webhook"
)

const liveSecret = "live-test-secret"

// startLive is the gateway with its read cache on and the sandbox sending
// it amoCRM-format webhooks for every write, as `go run .` wires them.
func startLive(t *testing.T) (*testGateway, *changes.Hub) {
	t.Helper()
	sb := sandbox.New()
	hub := changes.NewHub(0)
	g := startGateway(t, sb, withConfig(func(c *Config) {
		c.CacheTTL = 5 * time.Minute
		c.WebhookSecret = liveSecret
		c.Changes = hub
	}))
	t.Cleanup(sb.Close)
	dest, err := webhook.Destination(g.url, liveSecret)
	if err != nil {
		t.Fatal(err)
	}
	g.upstream(http.MethodPost, "/api/v4/webhooks", map[string]any{"destination": dest, "settings": webhook.Settings()})
	g.sb.ResetCalls()
	return g, hub
}

// upstream calls the sandbox directly, as another amoCRM user or
// integration would, and fails the test on a non-2xx answer.
func (g *testGateway) upstream(method, path string, body any) {
	g.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(g.t.Context(), method, g.upURL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+sandbox.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		g.t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

// renameUpstream renames a contact behind the gateway's back and waits
// until the gateway has acknowledged the webhook amoCRM sends about it.
func (g *testGateway) renameUpstream(id int, name string) {
	g.t.Helper()
	g.upstream(http.MethodPatch, fmt.Sprintf("/api/v4/contacts/%d", id), map[string]any{"name": name})
	ctx, cancel := context.WithTimeout(g.t.Context(), 5*time.Second)
	defer cancel()
	if err := g.sb.WaitDeliveries(ctx); err != nil {
		g.t.Fatalf("webhook not delivered: %v", err)
	}
}

func (g *testGateway) contactName(id int) string {
	g.t.Helper()
	var data struct{ Contact struct{ Name string } }
	g.data(fmt.Sprintf(`{ contact(id: %d) { name leads { name } } }`, id), nil, &data)
	return data.Contact.Name
}

// Reads already made are served again without an upstream call until a
// webhook says they changed; no read after the webhook's 2xx is stale.
func TestLive_CachedUntilWebhook(t *testing.T) {
	t.Parallel()
	g, _ := startLive(t)
	first := g.contactName(3)
	calls := g.sb.TotalCalls()
	if calls == 0 {
		t.Fatal("the first read made no upstream call")
	}
	for range 3 {
		if got := g.contactName(3); got != first {
			t.Fatalf("cached read = %q, want %q", got, first)
		}
	}
	if n := g.sb.TotalCalls(); n != calls {
		t.Errorf("repeated reads made %d more upstream calls, want 0", n-calls)
	}
	for i := range 5 {
		name := fmt.Sprintf("Renamed upstream %d", i)
		g.renameUpstream(3, name)
		if got := g.contactName(3); got != name {
			t.Fatalf("read after the webhook = %q, want %q: stale", got, name)
		}
	}
}

// Thirty screens reloading after one invalidation spend one upstream call.
func TestLive_ConcurrentMissesShareOneCall(t *testing.T) {
	t.Parallel()
	g, _ := startLive(t)
	g.contactName(3)
	g.renameUpstream(3, "Shared")
	g.sb.ResetCalls()
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if got := g.contactName(3); got != "Shared" {
				t.Errorf("read %q, want Shared", got)
			}
		})
	}
	wg.Wait()
	if n := g.calls("GET /api/v4/contacts/{id}"); n != 1 {
		t.Errorf("30 concurrent reads made %d contact calls, want 1", n)
	}
}

// A read right after the gateway's own mutation sees it, before any webhook.
func TestLive_ReadYourWrites(t *testing.T) {
	t.Parallel()
	g, _ := startLive(t)
	g.contactName(3)
	for i := range 3 {
		name := fmt.Sprintf("Written %d", i)
		r := g.do(fmt.Sprintf(`mutation { updateContact(input: {id: 3, name: %q}) { contact { id } userErrors { code } } }`, name), nil)
		if len(r.Errors) > 0 || strings.Contains(string(r.Data), `"code"`) {
			t.Fatalf("update: %s %+v", r.Data, r.Errors)
		}
		if got := g.contactName(3); got != name {
			t.Errorf("read after the write = %q, want %q", got, name)
		}
	}
}

// sse subscribes over GraphQL over SSE and returns the payloads as they come.
func (g *testGateway) sse(ctx context.Context, query string) <-chan string {
	g.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("subscribe: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		g.t.Fatalf("subscribe: status %d", resp.StatusCode)
	}
	out := make(chan string, 16)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && data != "" {
				out <- data
			}
		}
	}()
	return out
}

// A change made directly upstream reaches subscribers with the changed
// contact; however many subscribe, the contact is read upstream once.
func TestLive_SubscribersSeeUpstreamChange(t *testing.T) {
	t.Parallel()
	g, hub := startLive(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	const n = 50
	streams := make([]<-chan string, n)
	for i := range streams {
		streams[i] = g.sse(ctx, `subscription { contactChanged(ids: [3]) { action id contact { name } } }`)
	}
	// A subscription is live once the gateway holds it.
	for deadline := time.Now().Add(5 * time.Second); hub.Len() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d subscriptions open", hub.Len(), n)
		}
	}
	g.sb.ResetCalls()
	g.renameUpstream(3, "Seen by all")
	want := `{"data":{"contactChanged":{"action":"UPDATED","id":"3","contact":{"name":"Seen by all"}}}}`
	for i, s := range streams {
		select {
		case got := <-s:
			if got != want {
				t.Errorf("subscriber %d got %s, want %s", i, got, want)
			}
		case <-ctx.Done():
			t.Fatalf("subscriber %d got nothing", i)
		}
	}
	if c := g.calls("GET /api/v4/contacts/{id}") + g.calls("GET /api/v4/contacts"); c != 1 {
		t.Errorf("%d subscribers cost %d contact reads upstream, want 1: %+v", n, c, g.sb.Requests())
	}
}
