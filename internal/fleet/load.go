package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amogql/amogql/internal/loadtest"
	"github.com/amogql/amogql/internal/sandbox"
)

// LoadOptions describe a load on the replicas: clients each reading one
// contact of its own over and over, every request sent to the next
// replica in turn, as a round-robin load balancer would.
type LoadOptions struct {
	Clients  int           // default 60
	Duration time.Duration // default 30 s
	// Timeout of one query; default 25 s.
	Timeout time.Duration
	// RenameEvery, if set, renames one of the clients' contacts straight
	// in the sandbox this often; reads are checked against the renames
	// whose webhooks the gateway had acknowledged when they started.
	RenameEvery time.Duration
	// KillRedisAt, if set, kills Redis this far into the run and starts it
	// again (empty) KillRedisFor later.
	KillRedisAt, KillRedisFor time.Duration
}

// FirstContact is the first generated contact of the sandbox's demo data;
// client i reads FirstContact+i.
const FirstContact = 10000001

// LoadReport is what a load measured.
type LoadReport struct {
	Queries       int
	Elapsed       time.Duration
	QPS           float64
	P50, P95, P99 time.Duration
	Errors        map[string]int // by code
	// Upstream counts the sandbox's API calls from the gateway, Upstream429
	// those it answered 429, MaxPerSecond the most that arrived within any
	// one second.
	Upstream, Upstream429, MaxPerSecond int
	Renames, Stale, Checked             int
	// RedisKilled is when Redis was killed into the run, RedisBack when it
	// answered again, Recovered how long after that every replica's
	// /readyz said ready and not degraded (0 when no kill).
	RedisKilled, RedisBack, Recovered time.Duration
	// ErrorsAfterRecovery counts failed queries that started after every
	// replica had recovered.
	ErrorsAfterRecovery int
}

const contactQuery = `query Contact($id: ID!) { contact(id: $id) { id name } }`

// Load runs o against the bed and measures it.
func (b *Bed) Load(ctx context.Context, o LoadOptions) (*LoadReport, error) {
	if o.Clients == 0 {
		o.Clients = 60
	}
	if o.Duration == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 25 * time.Second
	}
	sinceStart := len(b.Sandbox.Requests())
	base429 := b.Sandbox.Count429()
	hc := newHTTPClient(o.Clients)
	defer hc.CloseIdleConnections()

	st := loadtest.NewStaleness()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      = map[string]int{}
		afterRec  int
		recovered atomic.Int64 // unix nanos when every replica recovered
		rr        atomic.Uint64
		r         = &LoadReport{}
	)
	start := time.Now()
	end := start.Add(o.Duration)
	runCtx, cancel := context.WithDeadline(ctx, end)
	defer cancel()

	var bg sync.WaitGroup
	if o.RenameEvery > 0 {
		bg.Go(func() { r.Renames = b.rename(runCtx, o.Clients, o.RenameEvery, st) })
	}
	if o.KillRedisAt > 0 {
		bg.Go(func() {
			if !loadtest.SleepUntil(runCtx, start.Add(o.KillRedisAt)) {
				return
			}
			b.Redis.Kill()
			r.RedisKilled = time.Since(start)
			if !loadtest.SleepUntil(runCtx, time.Now().Add(o.KillRedisFor)) {
				_ = b.Redis.Start(context.Background())
				return
			}
			if err := b.Redis.Start(context.Background()); err != nil {
				return
			}
			back := time.Now()
			r.RedisBack = back.Sub(start)
			if b.waitReady(runCtx) {
				r.Recovered = time.Since(back)
				recovered.Store(time.Now().UnixNano())
			}
		})
	}

	var wg sync.WaitGroup
	for i := range o.Clients {
		id := fmt.Sprint(FirstContact + i)
		wg.Go(func() {
			for runCtx.Err() == nil {
				replica := b.Fleet.Replicas[int(rr.Add(1))%len(b.Fleet.Replicas)]
				qctx, qcancel := context.WithTimeout(ctx, o.Timeout)
				started := time.Now()
				a, code, err := post(qctx, hc, replica.URL, contactQuery, map[string]any{"id": id})
				qcancel()
				d := time.Since(started)
				if err == nil && code == "" {
					var data struct {
						Contact struct{ Name string } `json:"contact"`
					}
					if json.Unmarshal(a.Data, &data) == nil {
						st.Check(started, id, data.Contact.Name)
					}
				}
				mu.Lock()
				latencies = append(latencies, d)
				if code != "" {
					errs[code]++
					if rec := recovered.Load(); rec != 0 && started.UnixNano() > rec {
						afterRec++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cancel()
	bg.Wait()

	r.Elapsed = time.Since(start)
	r.Queries = len(latencies)
	r.QPS = float64(r.Queries) / r.Elapsed.Seconds()
	slices.Sort(latencies)
	r.P50, r.P95, r.P99 = pct(latencies, 50), pct(latencies, 95), pct(latencies, 99)
	r.Errors, r.ErrorsAfterRecovery = errs, afterRec
	r.Stale, r.Checked = st.Counts()
	r.Upstream429 = b.Sandbox.Count429() - base429
	var arrivals []time.Time
	for _, q := range b.Sandbox.Requests()[sinceStart:] {
		if strings.HasPrefix(q.Path, "/api/v4/") && q.Method != http.MethodPatch {
			arrivals = append(arrivals, q.At)
		}
	}
	r.Upstream = len(arrivals)
	r.MaxPerSecond = MaxPerSecond(arrivals)
	return r, nil
}

// rename renames the clients' contacts in turn, straight in the sandbox
// (as a user of amoCRM's web interface would), and notes when the gateway
// acknowledged each rename's webhook.
func (b *Bed) rename(ctx context.Context, clients int, every time.Duration, st *loadtest.Staleness) int {
	n := 0
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return n
		case <-t.C:
		}
		id := FirstContact + n%clients
		key := fmt.Sprint(id)
		name := fmt.Sprintf("Renamed %d", n+1)
		seq := st.Begin(key, name)
		body := fmt.Sprintf(`{"name":%q}`, name)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, fmt.Sprintf("%s/api/v4/contacts/%d", b.SandboxURL, id), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+sandbox.DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return n
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n++
		if resp.StatusCode != http.StatusOK {
			continue
		}
		// Acknowledged: the webhook reached the gateway and was answered.
		if err := b.Sandbox.WaitDeliveries(ctx); err == nil {
			st.Acked(key, seq, time.Now())
		}
	}
}

// waitReady waits until every replica's /readyz says ready, not degraded.
func (b *Bed) waitReady(ctx context.Context) bool {
	for _, r := range b.Fleet.Replicas {
		for {
			if ready(ctx, r.URL) {
				break
			}
			if !loadtest.SleepUntil(ctx, time.Now().Add(20*time.Millisecond)) {
				return false
			}
		}
	}
	return true
}

func ready(ctx context.Context, base string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"ready"`)
}

// MaxPerSecond is the most of at (in any order) within any one second.
func MaxPerSecond(at []time.Time) int {
	at = slices.Clone(at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most, j := 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= time.Second {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// Write prints the report.
func (r *LoadReport) Write(w io.Writer) {
	fmt.Fprintf(w, "queries          %d in %s: %.1f/s, p50 %s, p95 %s, p99 %s\n", r.Queries, r.Elapsed.Round(time.Millisecond), r.QPS, short(r.P50), short(r.P95), short(r.P99))
	fmt.Fprintf(w, "errors           %v\n", r.Errors)
	fmt.Fprintf(w, "upstream         %d calls, %d × 429, at most %d in any second\n", r.Upstream, r.Upstream429, r.MaxPerSecond)
	if r.Renames > 0 {
		fmt.Fprintf(w, "stale reads      %d of %d checked (%d renames upstream)\n", r.Stale, r.Checked, r.Renames)
	}
	if r.RedisKilled > 0 {
		fmt.Fprintf(w, "redis            killed at %s, back at %s, every replica ready %s later; %d failed queries started after that\n",
			short(r.RedisKilled), short(r.RedisBack), short(r.Recovered), r.ErrorsAfterRecovery)
	}
}

func short(d time.Duration) string { return loadtest.Short(d) }
