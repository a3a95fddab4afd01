-- bucket.lua: Limits.Take and Limits.Refund over token buckets, all
-- buckets in one script (all or nothing). A missing bucket is full.
-- KEYS: the buckets' keys (P{rl}:<key>: one slot of a Cluster, so one
-- script can take from several); ARGV: P, 'take' or 'refund', now (us),
-- then per bucket: rate (tokens/s), burst. Reply for take: {1} or {0,
-- wait ns as a string}.
local op, now = ARGV[2], num(ARGV[3])
local bs = {}
for i = 4, #ARGV, 2 do
  local b = {key = KEYS[(i - 2) / 2], rate = num(ARGV[i]), burst = num(ARGV[i + 1])}
  local st = redis.call('HMGET', b.key, 'tokens', 'at')
  b.tokens, b.at = b.burst, now
  if st[1] then b.tokens, b.at = num(st[1]), num(st[2]) end
  -- refill (time never runs backwards for a bucket)
  if now > b.at then
    b.tokens = math.min(b.burst, b.tokens + (now - b.at) / 1e6 * b.rate)
    b.at = now
  end
  bs[#bs + 1] = b
end

-- save writes b, expiring when it is full again (a full bucket is a
-- missing one); a bucket that never refills is kept.
local function save(b)
  if b.tokens >= b.burst then redis.call('DEL', b.key); return end
  redis.call('HSET', b.key, 'tokens', string.format('%.17g', b.tokens), 'at', string.format('%d', b.at))
  if b.rate > 0 then
    redis.call('PEXPIRE', b.key, ms((b.burst - b.tokens) / b.rate * 1000 + SLACK_MS))
  else
    redis.call('PERSIST', b.key)
  end
end

if op == 'refund' then
  for _, b in ipairs(bs) do
    b.tokens = math.min(b.burst, b.tokens + 1)
    save(b)
  end
  return {1}
end
local wait, ok = 0, true
for _, b in ipairs(bs) do
  if b.tokens < 1 then
    ok = false
    if b.rate <= 0 then wait = math.huge
    else wait = math.max(wait, math.ceil((1 - b.tokens) / b.rate * 1e9)) end
  end
end
if not ok then
  if wait == math.huge then return {0, 'inf'} end
  return {0, string.format('%.17g', wait)}
end
for _, b in ipairs(bs) do b.tokens = b.tokens - 1; save(b) end
return {1}
