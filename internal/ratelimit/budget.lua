-- The upstream budget of one amoCRM credential, shared by every replica of
-- the gateway. One script, so every decision is atomic and is taken with
-- Redis's clock: the replicas' clocks are never compared.
--
-- KEYS[1] slots: requests whose arrival at amoCRM is bounded; a sorted set,
--         member = request id, score = when its slot frees (arrival bound
--         + the one-second window), in microseconds of Redis's clock.
-- KEYS[2] busy: requests let through whose arrival is not bounded yet;
--         score = when the slot is given up anyway (the sender died).
-- KEYS[3] state: a hash; "next" = earliest time the next request may go
--         (requests are spaced, not burst), "paused" = end of the pause
--         after amoCRM answered 429.
--
-- ARGV[1] is the operation:
--   take id n interval hold ttl
--     -> {1, 0, 0}          the request may go now; it holds a busy slot
--     -> {0, wait, busy}    not yet: try again in wait µs; busy > 0 when
--                           unbounded requests fill the window, whose slots
--                           may free sooner than wait (or wait is 0)
--   settle id remaining window ttl
--     the request arrived by the caller's now + remaining µs (negative
--     when the bound is already past): its slot frees a window later
--   abandon id       the request never left: its busy slot frees at once
--   pause d ttl      no request goes for d µs from now (a shorter pause
--                    never shortens a longer one)
-- ttl (ms) keeps an idle credential from staying in Redis for ever.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]

local function keep(ttl)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end

if op == 'take' then
  local id, n, interval, hold, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local at = now
  local paused = tonumber(redis.call('HGET', KEYS[3], 'paused') or 0)
  local nxt = tonumber(redis.call('HGET', KEYS[3], 'next') or 0)
  if paused > at then at = paused end
  if nxt > at then at = nxt end
  local settled = redis.call('ZCARD', KEYS[1])
  local busy = redis.call('ZCARD', KEYS[2])
  if settled + busy >= n then
    if settled > 0 then
      local first = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
      if first > at then at = first end
    end
    return {0, at - now, busy}
  end
  if at > now then
    return {0, at - now, 0}
  end
  redis.call('ZADD', KEYS[2], now + hold, id)
  redis.call('HSET', KEYS[3], 'next', now + interval)
  keep(ttl)
  return {1, 0, 0}
elseif op == 'settle' then
  local id, remaining, window, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], now + remaining + window, id)
  keep(ttl)
  return 1
elseif op == 'abandon' then
  return redis.call('ZREM', KEYS[2], ARGV[2])
elseif op == 'pause' then
  local d, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
  local paused = tonumber(redis.call('HGET', KEYS[3], 'paused') or 0)
  if now + d > paused then
    redis.call('HSET', KEYS[3], 'paused', now + d)
  end
  keep(ttl)
  return 1
end
return redis.error_reply('budget.lua: unknown operation ' .. tostring(op))
