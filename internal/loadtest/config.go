package loadtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Bounds of a run. They are exported so the loadtest command can print them
// in its help text.
const (
	// DefaultConcurrency is enough workers to keep a local gateway busy
	// without starving it of the CPU it shares with the driver.
	DefaultConcurrency = 32
	// MaxConcurrency keeps a typo from opening thousands of sockets.
	MaxConcurrency = 1024
	// DefaultDuration is long enough for stable percentiles on a laptop.
	DefaultDuration = 10 * time.Second
	// MaxDuration bounds the measured window, and the warm-up, so a run
	// always ends and its latency record stays a reasonable size.
	MaxDuration = 10 * time.Minute
)

// ErrNotLoopback is returned, wrapped, when the target URL, or an address
// it resolves to at dial time, is not on this machine. Callers can test for
// it with errors.Is.
var ErrNotLoopback = errors.New("host is not loopback (127.0.0.0/8, ::1 or localhost): load must not leave the machine")

// plan is a checked Config with its request bodies encoded once, so workers
// only copy bytes.
type plan struct {
	url         string
	queries     []prepared
	names       []string // distinct query names; prepared.stat indexes them
	concurrency int
	workers     int // concurrency, or fewer when MaxRequests is smaller
	duration    time.Duration
	warmup      time.Duration
	maxRequests int
	header      http.Header
}

// prepared is one query ready to send.
type prepared struct {
	name string
	stat int
	body []byte
}

// newPlan checks cfg, fills in defaults and encodes the request bodies. It
// does no I/O.
func newPlan(cfg Config) (*plan, error) {
	u, err := checkURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	p := &plan{
		url:         u.String(),
		concurrency: cfg.Concurrency,
		duration:    cfg.Duration,
		warmup:      cfg.Warmup,
		maxRequests: cfg.MaxRequests,
		header:      cfg.Header.Clone(),
	}
	if err := p.applyBounds(); err != nil {
		return nil, err
	}
	if err := p.prepareQueries(cfg.Queries); err != nil {
		return nil, err
	}
	return p, nil
}

// applyBounds fills in the defaults and rejects values outside the bounds.
func (p *plan) applyBounds() error {
	switch {
	case p.concurrency == 0:
		p.concurrency = DefaultConcurrency
	case p.concurrency < 0 || p.concurrency > MaxConcurrency:
		return fmt.Errorf("loadtest: concurrency %d outside 1..%d", p.concurrency, MaxConcurrency)
	}
	switch {
	case p.duration == 0:
		p.duration = DefaultDuration
	case p.duration < 0 || p.duration > MaxDuration:
		return fmt.Errorf("loadtest: duration %s outside (0, %s]", p.duration, MaxDuration)
	}
	if p.warmup < 0 || p.warmup > MaxDuration {
		return fmt.Errorf("loadtest: warmup %s outside [0, %s]", p.warmup, MaxDuration)
	}
	if p.maxRequests < 0 {
		return fmt.Errorf("loadtest: max requests %d is negative", p.maxRequests)
	}
	p.workers = p.concurrency
	if p.maxRequests > 0 && p.maxRequests < p.workers {
		p.workers = p.maxRequests
	}
	return nil
}

// prepareQueries encodes each query as a GraphQL-over-HTTP POST body and
// indexes the distinct names.
func (p *plan) prepareQueries(queries []Query) error {
	if len(queries) == 0 {
		return errors.New("loadtest: no queries to send")
	}
	index := make(map[string]int, len(queries))
	for i, q := range queries {
		if strings.TrimSpace(q.Query) == "" {
			return fmt.Errorf("loadtest: query %d (%q): empty query text", i, q.Name)
		}
		name := q.Name
		if name == "" {
			name = fmt.Sprintf("query#%d", i+1)
		}
		body, err := json.Marshal(struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables,omitempty"`
		}{q.Query, q.Variables})
		if err != nil {
			return fmt.Errorf("loadtest: encode query %q: %w", name, err)
		}
		stat, ok := index[name]
		if !ok {
			stat = len(p.names)
			index[name] = stat
			p.names = append(p.names, name)
		}
		p.queries = append(p.queries, prepared{name: name, stat: stat, body: body})
	}
	return nil
}

// checkURL parses raw and accepts it only for http(s) on a loopback host.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("loadtest: parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("loadtest: url %q: scheme must be http or https", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("loadtest: url %q: %w", raw, ErrNotLoopback)
	}
	return u, nil
}

// isLoopbackHost reports whether host is the name localhost or a loopback IP
// literal. Other names are refused rather than resolved: what a name resolves
// to can change between this check and the dial.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}
