package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/loadtest"
	"github.com/amogql/amogql/internal/sandbox"
)

// TeamOptions configure TeamLoad: a team of people with a contacts screen
// open, against an amoCRM that allows RPS requests per second, while
// someone else edits contacts in amoCRM itself.
type TeamOptions struct {
	Clients  int           // people, each with a front-end open
	Every    time.Duration // how often each reloads: the list, then Screens contact screens
	Screens  int           // contact screens opened per reload
	Duration time.Duration
	// ChangeEvery is how often a contact of the list is renamed straight
	// in amoCRM (the sandbox), which sends its webhook to the gateway.
	ChangeEvery time.Duration
	Latency     time.Duration // the sandbox adds it to every call
	RPS         float64       // the sandbox refuses more with 429; the gateway is configured with the same
	Cache       bool          // CACHE_TTL 5m when set, 0 otherwise
}

// DefaultTeamOptions is the workload the read cache is measured by.
func DefaultTeamOptions() TeamOptions {
	return TeamOptions{Clients: 30, Every: 2 * time.Second, Screens: 3, Duration: 40 * time.Second,
		ChangeEvery: 10 * time.Second, Latency: 100 * time.Millisecond, RPS: 7, Cache: true}
}

// The team's queries: a 20-contact list with leads and companies, and a
// contact screen.
const (
	teamListQuery   = `{ contacts(first: 20) { nodes { id name leads { name } companies { name } } } }`
	teamScreenQuery = `{ contact(id: %d) { id name phones emails tags { name } companies { name } leads { name price } customers { name } chats { chatId } } }`
	// teamWriter is the token of the amoCRM user whose edits the team
	// sees: another user, so not the gateway's rate budget.
	teamWriter = "team-load-writer"
	teamAPIKey = "team-load-key"
)

// TeamReport is what TeamLoad measured.
type TeamReport struct {
	Opts        TeamOptions
	Result      *loadtest.PacedResult
	RateLimited int // answers with a RATE_LIMITED error
	OtherErrors int
	// Stale counts reads that started after the gateway acknowledged the
	// webhook of a change and still returned the name before it; Checked
	// counts contact names checked.
	Stale, Checked int
	Changes        int // contacts renamed upstream
	Contacts       int // in the list, each with a screen
	// Calls is what the gateway spent at the sandbox during the run, 429s
	// included; Minimum is what the same queries cost without a cache,
	// each the fewest the v4 API allows (the cost table's figure, measured
	// per query against the sandbox before the run).
	Calls, Minimum int
	Upstream429    int
	// ByRoute splits the sandbox's calls (the writer's PATCHes included)
	// by route.
	ByRoute map[string]int
	// WarmUpCalls were spent in WarmUp, before the measured run, reading
	// the list and every screen once; they are not in Calls.
	WarmUpCalls int
	WarmUp      time.Duration
}

// teamWarmUp opens the list and every contact screen once, the screens
// side by side.
func teamWarmUp(ctx context.Context, gwURL string, ids []int) error {
	client := &http.Client{Timeout: time.Minute}
	post := func(query string) error {
		body, _ := json.Marshal(map[string]string{"query": query})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, gwURL+"/query", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Api-Key", teamAPIKey)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := post(teamListQuery); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Go(func() { errs[i] = post(fmt.Sprintf(teamScreenQuery, id)) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// TeamLoad runs the team workload against a gateway wired as `go run .`
// wires it for a real account (webhooks registered with the sandbox, rate
// limit RPS, the read cache per opts.Cache) and prints a report to out.
func TeamLoad(ctx context.Context, opts TeamOptions, out io.Writer) (*TeamReport, error) {
	acks := make(chan time.Time, 16)
	sb := sandbox.New(sandbox.WithNonAdminToken(teamWriter), sandbox.WithRequestLog(1<<16), sandbox.WithWebhookObserver(func(d sandbox.WebhookDelivery) {
		if d.Err == nil {
			select {
			case acks <- time.Now():
			default:
			}
		}
	}))
	upURL, stopSandbox, err := StartSandbox(sb)
	if err != nil {
		return nil, err
	}
	defer stopSandbox()
	ids, listCost, screenCost, err := teamCosts(ctx, upURL, sb)
	if err != nil {
		return nil, err
	}
	sb.SetFaults(sandbox.Faults{Latency: opts.Latency, EnforceRPS: opts.RPS})

	gwURL, stopGateway, err := serveTeamGateway(ctx, upURL, sb, opts)
	if err != nil {
		return nil, err
	}
	defer stopGateway()

	fmt.Fprintf(out, "amogql team load: %d clients, each every %v a 20-contact list with leads and companies then %d contact screens, for %v; "+
		"upstream %v latency, %.0f requests/s enforced; a contact renamed upstream every %v; read cache %v\n",
		opts.Clients, opts.Every, opts.Screens, opts.Duration, opts.Latency, opts.RPS, opts.ChangeEvery, onOff(opts.Cache))
	rep := &TeamReport{Opts: opts, Contacts: len(ids)}
	// Measured from a warm gateway, as a team finds it after its first
	// minutes: at 7 requests/s a cold cache takes seconds to fill whatever
	// the gateway does, and that is not what the team sees all day.
	sb.ResetCalls()
	warm := time.Now()
	if err := teamWarmUp(ctx, gwURL, ids); err != nil {
		return nil, err
	}
	rep.WarmUpCalls, rep.WarmUp = sb.TotalCalls(), time.Since(warm)
	forgetWindow(opts.RPS) // the warm-up's calls are not the run's
	sb.ResetCalls()
	st := loadtest.NewStaleness()
	var issuedMu sync.Mutex
	minimum := 0
	issue := func(cost int) {
		issuedMu.Lock()
		minimum += cost
		issuedMu.Unlock()
	}

	writeCtx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan int)
	go func() { writerDone <- renameContacts(writeCtx, upURL, ids, opts.ChangeEvery, acks, st) }()

	res, runErr := loadtest.RunPaced(ctx, loadtest.PacedConfig{
		URL: gwURL + "/query", Header: http.Header{"X-Api-Key": {teamAPIKey}},
		Clients: opts.Clients, Every: opts.Every, Duration: opts.Duration,
		Round: func(ctx context.Context, c *loadtest.Caller, client, round int) {
			r := rand.New(rand.NewPCG(uint64(client), uint64(round)))
			issue(listCost)
			if a, err := c.Query(ctx, "list", teamListQuery, nil); err == nil {
				var d struct{ Contacts struct{ Nodes []teamContact } }
				if json.Unmarshal(a.Data, &d) == nil {
					check(st, a.Started, d.Contacts.Nodes...)
				}
			}
			for range opts.Screens {
				id := ids[r.IntN(len(ids))]
				issue(screenCost[id])
				if a, err := c.Query(ctx, "contact screen", fmt.Sprintf(teamScreenQuery, id), nil); err == nil {
					var d struct{ Contact *teamContact }
					if json.Unmarshal(a.Data, &d) == nil && d.Contact != nil {
						check(st, a.Started, *d.Contact)
					}
				}
			}
		},
	})
	stopWriter()
	writes := <-writerDone
	if res == nil {
		return nil, runErr
	}
	rep.Result = res
	rep.Changes = writes
	// The writer's own calls reached the sandbox too; they are not the
	// gateway's.
	rep.Calls = sb.TotalCalls() - writes
	rep.Upstream429 = sb.Count429()
	rep.ByRoute = map[string]int{}
	for _, r := range sb.Requests() {
		rep.ByRoute[r.Route]++
	}
	rep.Minimum = minimum
	rep.RateLimited = res.All.ErrorCount("RATE_LIMITED")
	rep.OtherErrors = res.All.ErrorCount("") - rep.RateLimited
	rep.Stale, rep.Checked = st.Counts()
	rep.write(out)
	return rep, runErr
}

func onOff(b bool) string {
	if b {
		return "on (CACHE_TTL 5m)"
	}
	return "off (CACHE_TTL 0)"
}

// serveTeamGateway runs Serve, as `go run .` does, in front of the sandbox
// at upURL, and returns once its webhook is registered there.
func serveTeamGateway(ctx context.Context, upURL string, sb *sandbox.Sandbox, opts TeamOptions) (url string, stop func(), err error) {
	// PublicURL names the gateway's port before Serve listens on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cfg := Config{
		Addr: addr, BaseURL: upURL, AccessToken: sandbox.DefaultToken, APIKeys: []string{teamAPIKey},
		RPS: opts.RPS, WebhookSecret: newWebhookSecret(), PublicURL: "http://" + addr,
	}
	if opts.Cache {
		cfg.CacheTTL = 5 * time.Minute
	}
	sctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- Serve(sctx, cfg, zerolog.Nop(), func(string) { close(ready) }) }()
	stop = func() { cancel(); <-done }
	select {
	case <-ready:
	case err := <-done:
		cancel()
		return "", nil, fmt.Errorf("gateway: %w", err)
	}
	// Registration runs beside the server: wait for its POST, then for the
	// sandbox's one-second window to forget its calls.
	for deadline := time.Now().Add(30 * time.Second); sb.Calls("POST /api/v4/webhooks") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return "", nil, errors.New("gateway: its webhook was not registered with the sandbox within 30s")
		}
	}
	forgetWindow(opts.RPS)
	return "http://" + addr, stop, nil
}

// forgetWindow waits out the sandbox's one-second rate window, when it
// enforces one.
func forgetWindow(rps float64) {
	if rps > 0 {
		time.Sleep(1100 * time.Millisecond)
	}
}

// teamCosts reads the list's contact ids and what the list and each
// contact's screen cost upstream without a cache, through a gateway of
// its own with the cache off and no latency.
func teamCosts(ctx context.Context, upURL string, sb *sandbox.Sandbox) (ids []int, list int, screen map[int]int, err error) {
	cfg := Config{BaseURL: upURL, AccessToken: sandbox.DefaultToken}
	up, err := NewUpstream(cfg, zerolog.Nop())
	if err != nil {
		return nil, 0, nil, err
	}
	h := New(zerolog.Nop(), cfg, up)
	run := func(query string, into any) (int, error) {
		sb.ResetCalls()
		body, _ := json.Marshal(map[string]string{"query": query})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/query", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		w := &answer{header: http.Header{}}
		h.ServeHTTP(w, req)
		var env struct {
			Data   json.RawMessage
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(w.body.Bytes(), &env); err != nil || len(env.Errors) > 0 {
			return 0, fmt.Errorf("cost of %s: %s", query, w.body.String())
		}
		return sb.TotalCalls(), json.Unmarshal(env.Data, into)
	}
	var d struct{ Contacts struct{ Nodes []teamContact } }
	if list, err = run(teamListQuery, &d); err != nil {
		return nil, 0, nil, err
	}
	screen = map[int]int{}
	for _, c := range d.Contacts.Nodes {
		id, err := strconv.Atoi(c.ID)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("contact id %q: %w", c.ID, err)
		}
		ids = append(ids, id)
		if screen[id], err = run(fmt.Sprintf(teamScreenQuery, id), &struct{}{}); err != nil {
			return nil, 0, nil, err
		}
	}
	if len(ids) == 0 {
		return nil, 0, nil, errors.New("the sandbox lists no contacts")
	}
	return ids, list, screen, nil
}

// answer is an in-memory http.ResponseWriter for teamCosts.
type answer struct {
	header http.Header
	body   bytes.Buffer
}

func (a *answer) Header() http.Header         { return a.header }
func (a *answer) Write(b []byte) (int, error) { return a.body.Write(b) }
func (a *answer) WriteHeader(int)             {}

// renameContacts renames ids in turn every period straight in the sandbox,
// as another amoCRM user would, noting when the gateway acknowledged each
// rename's webhook. It returns how many renames it made.
func renameContacts(ctx context.Context, upURL string, ids []int, every time.Duration, acks <-chan time.Time, st *loadtest.Staleness) int {
	client := &http.Client{Timeout: 10 * time.Second}
	n := 0
	for ; loadtest.SleepUntil(ctx, time.Now().Add(every)); n++ {
		id := ids[n%len(ids)]
		name := fmt.Sprintf("Team edit %d", n+1)
		seq := st.Begin(strconv.Itoa(id), name)
		for len(acks) > 0 {
			<-acks
		}
		body, _ := json.Marshal(map[string]string{"name": name})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, fmt.Sprintf("%s/api/v4/contacts/%d", upURL, id), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+teamWriter)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return n
		}
		resp.Body.Close()
		select {
		case at := <-acks:
			st.Acked(strconv.Itoa(id), seq, at)
		case <-time.After(5 * time.Second):
			// Never acknowledged: no read is held to it.
		case <-ctx.Done():
			return n + 1
		}
	}
	return n
}

// teamContact is a contact as the team's queries read it.
type teamContact struct{ ID, Name string }

// check judges the names of contacts read by a request sent at started.
func check(st *loadtest.Staleness, started time.Time, cs ...teamContact) {
	for _, c := range cs {
		st.Check(started, c.ID, c.Name)
	}
}

// write prints the report with the targets it is held to.
func (r *TeamReport) write(out io.Writer) {
	all := r.Result.All
	scheduled := r.Opts.Clients * int((r.Opts.Duration+r.Opts.Every-1)/r.Opts.Every)
	fmt.Fprintf(out, "rounds %d of %d scheduled, requests %d in %v\n", r.Result.Rounds, scheduled, all.Requests, r.Result.Elapsed.Round(time.Millisecond))
	for _, name := range []string{"list", "contact screen"} {
		s := r.Result.PerQuery[name]
		fmt.Fprintf(out, "  %-15s %5d requests, %d errors %v: p50 %s  p95 %s  p99 %s  max %s\n", name, s.Requests, s.ErrorCount(""), s.Errors,
			loadtest.Short(s.P50), loadtest.Short(s.P95), loadtest.Short(s.P99), loadtest.Short(s.Max))
	}
	fewer := ratio(r.Minimum, r.Calls)
	fmt.Fprintf(out, "RATE_LIMITED    %d (target 0)\n", r.RateLimited)
	fmt.Fprintf(out, "other errors    %d\n", r.OtherErrors)
	fmt.Fprintf(out, "stale reads     %d of %d contact names checked, %d renames upstream (target 0)\n", r.Stale, r.Checked, r.Changes)
	fmt.Fprintf(out, "warm-up         %d calls in %v before the run: the list and each of the %d screens once (not measured)\n",
		r.WarmUpCalls, r.WarmUp.Round(time.Millisecond), r.Contacts)
	fmt.Fprintf(out, "upstream calls  %d (%d answered 429) vs %d minimum without a cache: %s (target ≥ 20×); with the warm-up's: %s\n",
		r.Calls, r.Upstream429, r.Minimum, fewer, ratio(r.Minimum, r.Calls+r.WarmUpCalls))
	routes := slices.Sorted(maps.Keys(r.ByRoute))
	for _, route := range routes {
		fmt.Fprintf(out, "  %-40s %d\n", route, r.ByRoute[route])
	}
	fmt.Fprintf(out, "latency         p50 %s  p95 %s  p99 %s  max %s (target p95 ≤ 600ms)\n",
		loadtest.Short(all.P50), loadtest.Short(all.P95), loadtest.Short(all.P99), loadtest.Short(all.Max))
}

// ratio says how many times fewer calls than minimum calls were.
func ratio(minimum, calls int) string {
	if calls == 0 {
		return "no calls"
	}
	return fmt.Sprintf("%.1f× fewer", float64(minimum)/float64(calls))
}
