package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/sandbox"
	"github.com/amogql/amogql/internal/webhook"
)

// liveBench is the gateway wired as `go run .` wires it (read cache, the
// webhook route, registered with the sandbox) for benchmarks as well as
// tests, which startLive's *testing.T helpers cannot serve.
type liveBench struct {
	sb    *sandbox.Sandbox
	hub   *changes.Hub
	url   string // the gateway
	upURL string // the sandbox
}

func startLiveBench(b testing.TB, opts ...sandbox.Option) *liveBench {
	b.Helper()
	sb := sandbox.New(append([]sandbox.Option{sandbox.WithNonAdminToken(benchWriter)}, opts...)...)
	up := httptest.NewServer(sb)
	hub := changes.NewHub(0)
	cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, CacheTTL: 5 * time.Minute,
		WebhookSecret: liveSecret, Changes: hub}
	u, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
	b.Cleanup(func() { hub.Close(); gw.Close(); up.Close(); sb.Close() })
	lb := &liveBench{sb: sb, hub: hub, url: gw.URL, upURL: up.URL}
	dest, err := webhook.Destination(gw.URL, liveSecret)
	if err != nil {
		b.Fatal(err)
	}
	lb.upstream(b, http.MethodPost, "/api/v4/webhooks", sandbox.DefaultToken,
		map[string]any{"destination": dest, "settings": webhook.Settings()})
	return lb
}

// benchWriter is another amoCRM user, who edits contacts in amoCRM itself.
const benchWriter = "bench-writer"

func (lb *liveBench) upstream(b testing.TB, method, path, token string, body any) {
	b.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, lb.upURL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

// waitSubscribed waits until the hub holds n subscriptions.
func (lb *liveBench) waitSubscribed(b testing.TB, n int) {
	b.Helper()
	for deadline := time.Now().Add(60 * time.Second); lb.hub.Len() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d subscriptions open", lb.hub.Len(), n)
		}
	}
}

// wsSubscribe opens a graphql-transport-ws socket carrying n subscriptions
// of query; every "next" payload received is sent on events.
func wsSubscribe(b testing.TB, ctx context.Context, base, query string, n int, events chan<- time.Time) *coderws.Conn {
	b.Helper()
	conn, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/query",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		b.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	if err := conn.Write(ctx, coderws.MessageText, []byte(`{"type":"connection_init"}`)); err != nil {
		b.Fatal(err)
	}
	if _, _, err := conn.Read(ctx); err != nil {
		b.Fatal(err)
	}
	q, _ := json.Marshal(query)
	for i := range n {
		msg := fmt.Sprintf(`{"type":"subscribe","id":"%d","payload":{"query":%s}}`, i, q)
		if err := conn.Write(ctx, coderws.MessageText, []byte(msg)); err != nil {
			b.Fatal(err)
		}
	}
	if events != nil {
		go func() {
			for {
				_, msg, err := conn.Read(ctx)
				if err != nil {
					return
				}
				if bytes.Contains(msg, []byte(`"type":"next"`)) {
					events <- time.Now()
				}
			}
		}()
	}
	return conn
}

// sseSubscribe opens a GraphQL over SSE stream of query; every event
// received is sent on events.
func sseSubscribe(b testing.TB, ctx context.Context, base, query string, events chan<- time.Time) {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("subscribe: %d", resp.StatusCode)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && data != "" {
				events <- time.Now()
			}
		}
	}()
}

// contactUpdate is amoCRM's webhook of contact id renamed at unix time at.
func contactUpdate(id int, at int64) string {
	v := url.Values{}
	v.Set("contacts[update][0][id]", fmt.Sprint(id))
	v.Set("contacts[update][0][name]", fmt.Sprintf("Renamed at %d", at))
	v.Set("contacts[update][0][type]", "contact")
	v.Set("contacts[update][0][updated_at]", fmt.Sprint(at))
	v.Set("account[id]", "29085955")
	v.Set("account[subdomain]", "test")
	return v.Encode()
}

// BenchmarkWebhookToSubscriber measures, on loopback, the time from the
// gateway receiving a webhook (its POST being sent) to each subscriber
// receiving the event, with the changed contact read upstream (once for
// all of them; the sandbox answers at once) or with its id only. It
// reports p50 and p99 over every subscriber of every delivery.
func BenchmarkWebhookToSubscriber(b *testing.B) {
	const subscribers = 20
	for _, tr := range []string{"ws", "sse"} {
		for _, sel := range []struct{ name, fields string }{
			{"IDOnly", "action id"},
			{"WithContact", "action id contact { name phones }"},
		} {
			b.Run(tr+"/"+sel.name, func(b *testing.B) {
				lb := startLiveBench(b)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				query := "subscription { contactChanged(ids: [3]) { " + sel.fields + " } }"
				events := make(chan time.Time, subscribers)
				if tr == "ws" {
					// Spread over sockets, as separate front-ends are.
					for range subscribers {
						conn := wsSubscribe(b, ctx, lb.url, query, 1, events)
						defer conn.CloseNow()
					}
				} else {
					for range subscribers {
						sseSubscribe(b, ctx, lb.url, query, events)
					}
				}
				lb.waitSubscribed(b, subscribers)
				hook := lb.url + webhook.Path + liveSecret
				var lat []time.Duration
				at := time.Now().Unix()
				for b.Loop() {
					at++ // a new time: the same one again is a repeated delivery
					sent := time.Now()
					resp, err := http.Post(hook, "application/x-www-form-urlencoded", strings.NewReader(contactUpdate(3, at)))
					if err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("webhook: %d", resp.StatusCode)
					}
					for range subscribers {
						select {
						case got := <-events:
							lat = append(lat, got.Sub(sent))
						case <-time.After(10 * time.Second):
							b.Fatal("a subscriber got nothing")
						}
					}
				}
				slices.Sort(lat)
				b.ReportMetric(ms(lat[len(lat)*50/100]), "p50-ms")
				b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
				b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
			})
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkSubscriptions_Idle10k reports what 10 000 idle subscriptions
// hold in one gateway process (100 to a graphql-transport-ws socket; the
// client side of each socket shares the process and is counted), then
// renames, straight in amoCRM, a contact 1 000 of them watch, and reports
// the upstream reads that one change cost once every watcher has it.
func BenchmarkSubscriptions_Idle10k(b *testing.B) {
	const (
		n         = 10000
		watchers  = 1000
		perSocket = 100
	)
	for b.Loop() {
		func() {
			lb := startLiveBench(b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			g0 := runtime.NumGoroutine()
			events := make(chan time.Time, watchers)
			var conns []*coderws.Conn
			for i := range n / perSocket {
				query := "subscription { contactChanged { id contact { name } } }"
				var ch chan<- time.Time
				if i < watchers/perSocket {
					query, ch = "subscription { contactChanged(ids: [3]) { id contact { name } } }", events
				} else {
					// Watch other contacts, so the change reaches only the
					// 1 000 watchers.
					query = fmt.Sprintf("subscription { contactChanged(ids: [%d]) { id contact { name } } }", 900000+i)
				}
				conns = append(conns, wsSubscribe(b, ctx, lb.url, query, perSocket, ch))
			}
			lb.waitSubscribed(b, n)
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-B/sub")
			b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-B/sub")
			b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/sub")

			b.ReportMetric(float64(lb.readsOfOneChange(b, events, watchers)), "upstream-reads/change")
			var wg sync.WaitGroup
			for _, c := range conns {
				wg.Go(func() { _ = c.CloseNow() })
			}
			wg.Wait()
		}()
	}
}

// readsOfOneChange renames contact 3 straight in amoCRM, waits until each
// of its watchers has the event and returns the upstream reads it cost.
func (lb *liveBench) readsOfOneChange(tb testing.TB, events <-chan time.Time, watchers int) int {
	tb.Helper()
	lb.sb.ResetCalls()
	lb.upstream(tb, http.MethodPatch, "/api/v4/contacts/3", benchWriter, map[string]any{"name": "Watched by a thousand"})
	for range watchers {
		select {
		case <-events:
		case <-time.After(30 * time.Second):
			tb.Fatal("a watcher got nothing")
		}
	}
	reads := 0
	for _, r := range lb.sb.Requests() {
		if r.Method == http.MethodGet {
			reads++
		}
	}
	return reads
}

// A change to a contact that 1 000 subscriptions watch, made straight in
// amoCRM, reaches all of them for one upstream read.
func TestLive_ThousandWatchersOneRead(t *testing.T) {
	t.Parallel()
	const watchers, perSocket = 1000, 100
	lb := startLiveBench(t)
	events := make(chan time.Time, watchers)
	for range watchers / perSocket {
		conn := wsSubscribe(t, t.Context(), lb.url, "subscription { contactChanged(ids: [3]) { action contact { name } } }", perSocket, events)
		defer conn.CloseNow()
	}
	lb.waitSubscribed(t, watchers)
	if reads := lb.readsOfOneChange(t, events, watchers); reads != 1 {
		t.Errorf("one change watched by %d cost %d upstream reads, want 1: %+v", watchers, reads, lb.sb.Requests())
	}
}
