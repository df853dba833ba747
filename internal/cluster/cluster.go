// Package cluster is what the replicas of one gateway share: a Redis
// connection, whether it is usable now, and how many replicas are alive.
//
// One amoCRM account allows about 7 requests per second in total and its
// refresh tokens work once (https://www.amocrm.ru/developers/content/oauth/step-by-step),
// so replicas behind a load balancer must agree on both. They do through
// Redis. The components that keep shared state there (the rate budget, the
// OAuth token pair, the read cache, persisted queries, change events) ask a
// Cluster whether Redis is up before they call it, and tell it when a call
// failed: one component's failed call sends every component to its
// degraded mode at once, instead of each paying a timeout per request.
// A monitor brings the Cluster back up when Redis answers again.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Connection defaults for a REDIS_URL that does not set them. Redis sits
// beside the gateway and answers in well under a millisecond; go-redis's
// own defaults (a 5 s dial, 3 s reads, three retries) would make every
// request wait seconds for a Redis that is gone before the gateway notices.
var urlDefaults = map[string]string{
	"dial_timeout":  "1s",
	"read_timeout":  "500ms",
	"write_timeout": "500ms",
	"pool_timeout":  "500ms",
	"max_retries":   "1",
}

// Defaults of the monitor.
const (
	// DefaultPingInterval is how often the monitor checks Redis and
	// refreshes this replica's heartbeat.
	DefaultPingInterval = 500 * time.Millisecond
	// replicaTTL is how long a replica that stopped beating still counts.
	replicaTTL = 5 * time.Second
	// heartbeatEvery: the replica count need not be fresher than this.
	heartbeatEvery = time.Second
)

// Cluster is a Redis connection shared by the replicas of one gateway,
// with its health. Build it with Open; it is safe for concurrent use.
type Cluster struct {
	rdb    *redis.Client
	prefix string
	id     string
	every  time.Duration
	onTurn func(up bool, err error)

	up       atomic.Bool
	outages  atomic.Uint64 // times up turned false
	replicas atomic.Int64  // last count seen, 0 before the first
	lastBeat atomic.Int64  // unix nanos of the last heartbeat sent

	mu      sync.Mutex
	since   time.Time // when up last changed
	lastErr error     // why it went down
	kick    chan struct{}

	stop chan struct{}
	done chan struct{}
}

// Options configure Open.
type Options struct {
	// Prefix starts every key the gateway keeps in Redis, so one Redis can
	// serve several gateways (of different amoCRM accounts) and other
	// programs. Default "amogql:".
	Prefix string
	// ReplicaID names this process among the replicas; default: host name
	// and a random suffix.
	ReplicaID string
	// PingInterval: default DefaultPingInterval.
	PingInterval time.Duration
	// OnTurn, if set, is called each time Redis becomes usable (up) or
	// stops being so (with the error that showed it), for logs and metrics.
	OnTurn func(up bool, err error)
}

// Open connects to the Redis at rawURL (redis://[user:password@]host:port/db,
// rediss:// for TLS, unix://; timeouts and pool from the query string as
// go-redis reads them, e.g. ?read_timeout=200ms&pool_size=20) and starts the
// monitor. It fails on a malformed URL, never because Redis is down: a
// gateway that starts while Redis is away serves degraded and recovers.
func Open(rawURL string, o Options) (*Cluster, error) {
	withDefaults, err := applyDefaults(rawURL)
	if err != nil {
		return nil, err
	}
	opts, err := redis.ParseURL(withDefaults)
	if err != nil {
		return nil, fmt.Errorf("cluster: REDIS_URL: %w", redactErr(err, rawURL))
	}
	if o.Prefix == "" {
		o.Prefix = "amogql:"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.ReplicaID == "" {
		o.ReplicaID = newReplicaID()
	}
	// RESP2 and no client-identity handshake: both work with every Redis
	// and Redis-compatible server, and cost nothing here.
	opts.Protocol = 2
	// One dial attempt: a Redis that refuses connections is reported at
	// once, and the monitor (not each request) finds out when it is back.
	opts.DialerRetries = 1
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	opts.DisableIdentity = true
	c := &Cluster{
		rdb: redis.NewClient(opts), prefix: o.Prefix, id: o.ReplicaID,
		every: o.PingInterval, onTurn: o.OnTurn,
		since: time.Now(), lastErr: errors.New("not checked yet"),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go c.monitor()
	return c, nil
}

// applyDefaults adds urlDefaults to rawURL's query where it sets none.
func applyDefaults(rawURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return "", errors.New("cluster: REDIS_URL is not a URL")
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return "", fmt.Errorf("cluster: REDIS_URL: scheme %q, want redis, rediss or unix", u.Scheme)
	}
	q := u.Query()
	for k, v := range urlDefaults {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redactErr keeps a password in the URL out of an error message.
func redactErr(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}

// Client is the Redis connection.
func (c *Cluster) Client() *redis.Client { return c.rdb }

// Prefix starts every key of this gateway.
func (c *Cluster) Prefix() string { return c.prefix }

// ReplicaID names this process among the replicas.
func (c *Cluster) ReplicaID() string { return c.id }

// Up reports whether Redis is usable now. While it is not, components use
// their degraded mode without calling Redis.
func (c *Cluster) Up() bool { return c.up.Load() }

// Report tells the Cluster that a Redis call failed. An answer that is not
// a failure of Redis (redis.Nil, the caller's own cancellation) is ignored;
// anything else sends the Cluster down until the monitor's next successful
// check.
func (c *Cluster) Report(err error) {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return
	}
	c.turn(false, err)
	select {
	case c.kick <- struct{}{}: // check again soon rather than a full interval later
	default:
	}
}

// Status is the Cluster's health for /readyz and logs.
type Status struct {
	Up       bool
	Since    time.Time // when Up last changed
	Err      string    // why Redis is not usable; empty when Up
	Replicas int       // replicas alive at the last check; 0 if never seen
}

// Status returns the Cluster's health.
func (c *Cluster) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{Up: c.up.Load(), Since: c.since, Replicas: int(c.replicas.Load())}
	if !s.Up && c.lastErr != nil {
		s.Err = c.lastErr.Error()
	}
	return s
}

// Outages counts the times Redis stopped being usable since Open. A
// component that kept state derived from Redis compares it across a
// moment to learn that an outage happened in between, even one it made no
// call during (the read cache drops what it kept then).
func (c *Cluster) Outages() uint64 { return c.outages.Load() }

// Replicas is how many replicas were alive at the last successful check,
// this one included, or 0 when Redis was never reached. The rate budget
// divides itself by it while Redis is down.
func (c *Cluster) Replicas() int { return int(c.replicas.Load()) }

// Close stops the monitor, removes this replica from the count and closes
// the connection.
func (c *Cluster) Close() error {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
	if c.Up() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c.rdb.ZRem(ctx, c.replicasKey(), c.id)
		cancel()
	}
	return c.rdb.Close()
}

// turn records a change of health.
func (c *Cluster) turn(up bool, err error) {
	c.mu.Lock()
	changed := c.up.Load() != up
	if changed {
		c.up.Store(up)
		c.since = time.Now()
		if !up {
			c.outages.Add(1)
		}
	}
	if !up {
		c.lastErr = err
	}
	c.mu.Unlock()
	if changed && c.onTurn != nil {
		c.onTurn(up, err)
	}
}

func (c *Cluster) replicasKey() string { return c.prefix + "replicas" }

// monitor checks Redis every interval, or at once after a Report.
func (c *Cluster) monitor() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		c.check()
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.kick:
			// A Report came: give Redis a moment before asking again,
			// so a flapping connection is not hammered.
			select {
			case <-c.stop:
				return
			case <-time.After(c.every / 4):
			}
		}
	}
}

// beat is the heartbeat: it records this replica as alive at Redis's time
// and counts the replicas that beat within replicaTTL, in one round trip.
var beat = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
`)

// check pings Redis (the heartbeat is the ping when one is due).
func (c *Cluster) check() {
	ctx, cancel := context.WithTimeout(context.Background(), max(c.every, time.Second))
	defer cancel()
	var err error
	if time.Since(time.Unix(0, c.lastBeat.Load())) >= heartbeatEvery || !c.Up() {
		var n int64
		n, err = beat.Run(ctx, c.rdb, []string{c.replicasKey()}, c.id, replicaTTL.Milliseconds()).Int64()
		if err == nil {
			c.replicas.Store(max(n, 1))
			c.lastBeat.Store(time.Now().UnixNano())
		}
	} else {
		err = c.rdb.Ping(ctx).Err()
	}
	if err != nil {
		c.turn(false, err)
		return
	}
	c.turn(true, nil)
}

// newReplicaID is the host name and random hex: unique among replicas
// even when containers share a host name.
func newReplicaID() string {
	host, _ := osHostname()
	if host == "" {
		host = "replica"
	}
	return host + "-" + randomHex(4)
}

// quietOnce silences go-redis's own logger, which is process-wide and
// would print a line per failed dial while Redis is away: the Cluster
// reports Redis's health itself, once per change, through OnTurn.
var quietOnce sync.Once

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
