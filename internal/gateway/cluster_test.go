package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/amogql/amogql/internal/cluster"
	"github.com/amogql/amogql/internal/sandbox"
)

// replicas starts n gateways sharing one miniredis and one sandbox, as
// replicas behind a load balancer.
func replicas(t *testing.T, n int) (*miniredis.Miniredis, *sandbox.Sandbox, []*testGateway) {
	t.Helper()
	mr := miniredis.RunT(t)
	sb := sandbox.New()
	// One upstream address for all, as AMOCRM_BASE_URL is.
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	var gws []*testGateway
	for range n {
		cl, err := cluster.Open("redis://"+mr.Addr()+"/0", cluster.Options{PingInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		waitFor(t, "redis up", cl.Up)
		gws = append(gws, startGateway(t, sb, withConfig(func(c *Config) {
			c.Cluster, c.CacheTTL, c.RPS, c.BaseURL = cl, time.Minute, 7, up.URL
		})))
	}
	return mr, sb, gws
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readyzBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestReplicas_ShareCacheAndPersistedQueries(t *testing.T) {
	t.Parallel()
	_, sb, gws := replicas(t, 2)
	a, b := gws[0], gws[1]
	const q = `{ contact(id: 3) { id name } }`

	if r := a.do(q, nil); len(r.Errors) != 0 {
		t.Fatalf("%+v", r.Errors)
	}
	calls := sb.TotalCalls()
	if r := b.do(q, nil); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "Иван") {
		t.Fatalf("%s %+v", r.Data, r.Errors)
	}
	if sb.TotalCalls() != calls {
		t.Errorf("replica B called amoCRM %d times for what replica A had read", sb.TotalCalls()-calls)
	}

	// A persisted query registered through A is known to B.
	sum := sha256.Sum256([]byte(q))
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	post := func(g *testGateway, body string) string {
		resp, err := http.Post(g.url+"/query", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}
	if got := post(a, `{"query":`+jsonString(q)+`,"extensions":`+ext+`}`); !strings.Contains(got, "Иван") {
		t.Fatalf("registering: %s", got)
	}
	if got := post(b, `{"extensions":`+ext+`}`); !strings.Contains(got, "Иван") {
		t.Fatalf("the hash alone on the other replica: %s", got)
	}
}

func TestReplicas_RedisDownIsDegradedNotDown(t *testing.T) {
	t.Parallel()
	mr, sb, gws := replicas(t, 2)
	for _, g := range gws {
		if code, body := readyzBody(t, g.url); code != http.StatusOK || !strings.Contains(body, `"ready"`) {
			t.Fatalf("readyz %d %s", code, body)
		}
	}
	const q = `{ contact(id: 3) { id name } }`
	gws[0].do(q, nil)

	mr.Close()
	for _, g := range gws {
		waitFor(t, "degraded", func() bool {
			code, body := readyzBody(t, g.url)
			return code == http.StatusOK && strings.Contains(body, `"degraded"`)
		})
	}
	// Still serving, from amoCRM: the cache is bypassed.
	calls := sb.TotalCalls()
	for _, g := range gws {
		if r := g.do(q, nil); len(r.Errors) != 0 {
			t.Fatalf("while Redis is down: %+v", r.Errors)
		}
	}
	if got := sb.TotalCalls() - calls; got != 2 {
		t.Errorf("%d upstream calls for two reads while Redis is down, want 2 (no cached answer)", got)
	}

	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, g := range gws {
		waitFor(t, "ready again", func() bool {
			_, body := readyzBody(t, g.url)
			return strings.Contains(body, `"ready"`)
		})
	}
	if r := gws[1].do(q, nil); len(r.Errors) != 0 {
		t.Fatalf("after recovery: %+v", r.Errors)
	}
}

func jsonString(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
