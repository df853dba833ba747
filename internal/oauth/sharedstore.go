package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Health says whether the shared Redis is usable now. Report tells it that a
// Redis call failed (a connection error or timeout, never redis.Nil), so every
// component goes degraded at once instead of each paying a timeout.
type Health interface {
	Up() bool
	Report(err error)
}

var (
	// ErrRefreshLost is returned (and passed to Config.OnError) when the
	// current refresh token was handed to the token endpoint by a refresh
	// whose answer never reached Redis: a replica died or stalled mid-way,
	// or its exchange timed out. Spending that refresh token again could
	// revoke a pair the stalled refresh may still write, so no replica
	// tries; a pair written later is still adopted. If none comes, the
	// integration must be re-authorised: give the gateway a new refresh
	// token and delete the pair from Redis (and StorePath).
	ErrRefreshLost = errors.New("oauth: the refresh token was spent by a refresh whose answer was lost (a replica died or timed out mid-refresh); re-authorise the integration")

	// ErrStoreUnavailable is matched, together with ErrUnavailable, by the
	// errors of a refresh needed while the shared Redis is down: replicas
	// cannot then agree on who spends the single-use refresh token, so none
	// does.
	ErrStoreUnavailable = errors.New("oauth: shared token store (Redis) unavailable; not refreshing until it is back")
)

const (
	// lockTTL outlives the exchange (bounded by defaultHTTPTimeout), so a
	// live holder keeps its lock until it has written the new pair.
	lockTTL = defaultHTTPTimeout + 5*time.Second
	// pollInterval: how often a replica waiting for another's refresh
	// looks at Redis again.
	pollInterval = 25 * time.Millisecond
)

// Results of acquireScript other than a fence (> 0).
const (
	acqBusy    = 0  // another replica holds the lock
	acqDiffers = -1 // the stored version is not the expected one
	acqLost    = -2 // the stored refresh token is being spent, and nobody holds the lock
	acqAbsent  = -3 // no pair stored
)

// The pair is a hash {access, refresh, exp, iss, ver[, spending]}: exp and
// iss in Unix milliseconds (iss 0 when unknown), ver counting rotations,
// spending the fence of the refresh that handed ver's refresh token to the
// endpoint. All keys of one integration share a hash tag.

// syncScript seeds an absent pair, or replaces a stored one older than the
// caller's (Redis restarted empty or restored from an older copy), then
// returns the stored pair. A pair seeded or pushed with a version of 1 or
// more once came from Redis, so a refresh of it may still be in flight whose
// lock was lost with the data: the lock is then taken for lockTTL (the
// "delayed restart" of a lock service), letting that refresh write its
// answer before anyone spends the same token. A first seed (version 0) is
// stored as version 1. ARGV[7], if set, is the fence of a mark to clear that
// an earlier call could not (an exchange that never left).
const syncScript = `
local ver = redis.call('HGET', KEYS[1], 'ver')
local mine = tonumber(ARGV[5])
if ARGV[2] ~= '' and ((not ver) or tonumber(ver) < mine) then
  local v = ARGV[5]
  if mine < 1 then v = '1' end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'access', ARGV[1], 'refresh', ARGV[2], 'exp', ARGV[3], 'iss', ARGV[4], 'ver', v)
  if mine >= 1 then redis.call('SET', KEYS[2], 'resync', 'NX', 'PX', ARGV[6]) end
elseif ver and ARGV[7] ~= '' and redis.call('HGET', KEYS[1], 'spending') == ARGV[7] then
  redis.call('HDEL', KEYS[1], 'spending')
end
return redis.call('HGETALL', KEYS[1])
`

// acquireScript takes the refresh lock for stored version ARGV[1] and, in
// the same step, marks that version's refresh token as being spent: a
// fresh fence from the counter goes into the lock (PX ARGV[2]) and into the
// pair's spending field. It returns {fence or an acq code, the pair}.
const acquireScript = `
local p = redis.call('HGETALL', KEYS[1])
if #p == 0 then return {-3, p} end
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return {-1, p} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, p} end
if redis.call('HEXISTS', KEYS[1], 'spending') == 1 then return {-2, p} end
local f = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], f, 'PX', ARGV[2])
redis.call('HSET', KEYS[1], 'spending', f)
return {f, p}
`

// finishScript writes the new pair unless the stored version is already as
// new (it is not when the lock merely expired while the exchange was slow:
// nobody else may spend a marked token), then releases the lock if it
// still holds the caller's fence. It returns {1 if written, the pair}.
const finishScript = `
local ver = tonumber(redis.call('HGET', KEYS[1], 'ver') or '-1')
local wrote = 0
if ver < tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'access', ARGV[1], 'refresh', ARGV[2], 'exp', ARGV[3], 'iss', ARGV[4], 'ver', ARGV[5])
  wrote = 1
end
if redis.call('GET', KEYS[2]) == ARGV[6] then redis.call('DEL', KEYS[2]) end
return {wrote, redis.call('HGETALL', KEYS[1])}
`

// releaseScript releases the lock if it holds fence ARGV[1], and when
// ARGV[2] is '1' clears the spending mark that fence set.
const releaseScript = `
if ARGV[2] == '1' and redis.call('HGET', KEYS[1], 'spending') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'spending')
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`

var (
	syncLua    = redis.NewScript(syncScript)
	acquireLua = redis.NewScript(acquireScript)
	finishLua  = redis.NewScript(finishScript)
	releaseLua = redis.NewScript(releaseScript)
)

// sharedStore is one integration's token pair and refresh lock in Redis.
type sharedStore struct {
	rdb                        redis.UniversalClient
	health                     Health
	pairKey, lockKey, fenceKey string
}

// newSharedStore names the keys after a hash of the token endpoint and
// client ID: one per integration and account, and no secret in a key.
func newSharedStore(cfg Config) *sharedStore {
	sum := sha256.Sum256([]byte(cfg.TokenURL + "\x00" + cfg.ClientID))
	base := cfg.RedisPrefix + "oauth:{" + hex.EncodeToString(sum[:8]) + "}:"
	return &sharedStore{rdb: cfg.Redis, health: cfg.Health,
		pairKey: base + "pair", lockKey: base + "lock", fenceKey: base + "fence"}
}

// up reports whether Redis may be called; a nil Health is always up.
func (s *sharedStore) up() bool { return s.health == nil || s.health.Up() }

// failed tells Health about a failed call and wraps err for the caller.
func (s *sharedStore) failed(op string, err error) error {
	if s.health != nil && !errors.Is(err, redis.Nil) {
		s.health.Report(err)
	}
	return fmt.Errorf("oauth: %s: %w: %w: %w", op, ErrStoreUnavailable, ErrUnavailable, err)
}

// pairArgs are a pair's fields as script arguments.
func pairArgs(t tokens) []any {
	return []any{t.access, t.refresh, unixMilli(t.expiresAt), unixMilli(t.issuedAt), strconv.FormatInt(t.version, 10)}
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromUnixMilli reverses unixMilli.
func fromUnixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// sync seeds or pushes local as syncScript does and returns the stored pair
// (present false if there is none: local had no refresh token).
func (s *sharedStore) sync(ctx context.Context, local tokens, unmark int64) (tokens, bool, error) {
	um := ""
	if unmark > 0 {
		um = strconv.FormatInt(unmark, 10)
	}
	args := append(pairArgs(local), lockTTL.Milliseconds(), um)
	v, err := syncLua.Run(ctx, s.rdb, []string{s.pairKey, s.lockKey}, args...).Result()
	if err != nil {
		return tokens{}, false, s.failed("sync token pair", err)
	}
	t, present, _, err := parsePair(v)
	return t, present, err
}

// acquire runs acquireScript for stored version ver; code is a fence (> 0)
// or one of the acq codes.
func (s *sharedStore) acquire(ctx context.Context, ver int64) (code int64, stored tokens, present bool, err error) {
	v, err := acquireLua.Run(ctx, s.rdb, []string{s.pairKey, s.lockKey, s.fenceKey},
		strconv.FormatInt(ver, 10), lockTTL.Milliseconds()).Result()
	if err != nil {
		return 0, tokens{}, false, s.failed("take refresh lock", err)
	}
	code, pair, err := splitReply(v)
	if err != nil {
		return 0, tokens{}, false, err
	}
	stored, present, _, err = parsePair(pair)
	return code, stored, present, err
}

// finish runs finishScript for next, the pair bought with fence's lock.
func (s *sharedStore) finish(ctx context.Context, next tokens, fence int64) (wrote bool, stored tokens, present bool, err error) {
	args := append(pairArgs(next), strconv.FormatInt(fence, 10))
	v, err := finishLua.Run(ctx, s.rdb, []string{s.pairKey, s.lockKey}, args...).Result()
	if err != nil {
		return false, tokens{}, false, s.failed("write refreshed pair", err)
	}
	code, pair, err := splitReply(v)
	if err != nil {
		return false, tokens{}, false, err
	}
	stored, present, _, err = parsePair(pair)
	return code == 1, stored, present, err
}

// release runs releaseScript for fence.
func (s *sharedStore) release(ctx context.Context, fence int64, unmark bool) error {
	um := "0"
	if unmark {
		um = "1"
	}
	if err := releaseLua.Run(ctx, s.rdb, []string{s.pairKey, s.lockKey}, strconv.FormatInt(fence, 10), um).Err(); err != nil {
		return s.failed("release refresh lock", err)
	}
	return nil
}

// splitReply splits a {number, pair} script reply.
func splitReply(v any) (int64, any, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return 0, nil, fmt.Errorf("oauth: unexpected reply from the token store: %T", v)
	}
	n, ok := a[0].(int64)
	if !ok {
		return 0, nil, fmt.Errorf("oauth: unexpected reply from the token store: %T", a[0])
	}
	return n, a[1], nil
}

// parsePair decodes an HGETALL reply; present is false for an empty one.
func parsePair(v any) (t tokens, present, spending bool, err error) {
	a, ok := v.([]any)
	if !ok || len(a)%2 != 0 {
		return tokens{}, false, false, fmt.Errorf("oauth: unexpected token pair in the store: %T", v)
	}
	if len(a) == 0 {
		return tokens{}, false, false, nil
	}
	f := make(map[string]string, len(a)/2)
	for i := 0; i < len(a); i += 2 {
		k, _ := a[i].(string)
		val, _ := a[i+1].(string)
		f[k] = val
	}
	exp, err1 := strconv.ParseInt(f["exp"], 10, 64)
	iss, err2 := strconv.ParseInt(f["iss"], 10, 64)
	ver, err3 := strconv.ParseInt(f["ver"], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || f["refresh"] == "" {
		return tokens{}, false, false, errors.New("oauth: malformed token pair in the store")
	}
	t = tokens{access: f["access"], refresh: f["refresh"], expiresAt: fromUnixMilli(exp), issuedAt: fromUnixMilli(iss), version: ver}
	return t, true, f["spending"] != "", nil
}
