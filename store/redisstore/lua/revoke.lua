-- revoke.lua: the revocation log, on its own key group P{r}: (one slot of
-- a Cluster; KEYS: P{r}:log, P{r}:seq, P{r}:sids). Ids come from a counter incremented in
-- the same script as the XADD, so ids follow commit order (scripts run one
-- at a time) and never go back after a trim. A missing counter (first
-- use, or a Redis that lost its data) starts at Redis' clock in
-- microseconds: above every id handed out before, so the nodes' cursors
-- never skip the new entries (ids grow by one per revocation, far slower
-- than the clock).
-- ARGV: P, 'add' or 'end', createdAt, until, then per revocation: sid, uid,
--   notBefore. A session revocation (sid not '') already in the log and
--   still in force at createdAt is not written again: its id is returned
--   (two nodes ending one session race to append, one entry results; the
--   Until they compute differ by the race's milliseconds, which the
--   verification leeway covers).
--   Reply: the ids, in order. 'end' is Store.ending's append before a
--   script ends the session: its index entry also keeps the user id, so
--   Sweep can finish the end if the node died before it ('repair').
-- ARGV: P, 'repair', now: Reply: {sid, uid, ...} of 'end' entries still
--   in force (Sweep ends those sessions that still exist).
-- ARGV: P, 'trim', now: deletes entries past their Until. Reply: count.
local LOG, SEQ, SIDS = KEYS[1], KEYS[2], KEYS[3]
if ARGV[2] == 'trim' then
  -- Entries past Until cover no live access token any more. The counter
  -- stays, so ids never go back.
  local now, n = num(ARGV[3]), 0
  for _, e in ipairs(redis.call('XRANGE', LOG, '-', '+')) do
    local f, s, un = e[2], nil, nil
    for i = 1, #f, 2 do
      if f[i] == 'un' then un = num(f[i + 1]) elseif f[i] == 's' then s = f[i + 1] end
    end
    if un and un <= now then
      redis.call('XDEL', LOG, e[1]); n = n + 1
      if s and s ~= '' then
        local cur = redis.call('HGET', SIDS, s)
        if cur and string.match(cur, '^(%d+)') .. '-0' == e[1] then redis.call('HDEL', SIDS, s) end
      end
    end
  end
  return n
end
if ARGV[2] == 'repair' then
  local now, out = num(ARGV[3]), {}
  local all = redis.call('HGETALL', SIDS)
  for i = 1, #all, 2 do
    local _, un, uid = string.match(all[i + 1], '^(%d+) (%d+) (.+)$')
    if uid and num(un) > now then out[#out + 1] = all[i]; out[#out + 1] = uid end
  end
  return out
end
local at, untl = ARGV[3], ARGV[4]
local out = {}
for i = 5, #ARGV, 3 do
  local sid, uid, nb = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local id = nil
  if sid ~= '' then
    local cur = redis.call('HGET', SIDS, sid)
    if cur then
      local cid, cun = string.match(cur, '^(%d+) (%d+)')
      if cid and num(cun) > num(at) then id = cid end
    end
  end
  if not id then
    local n = redis.call('INCR', SEQ)
    if n == 1 then
      local t = redis.call('TIME')
      n = tonumber(t[1]) * 1000000 + tonumber(t[2])
      redis.call('SET', SEQ, string.format('%d', n))
    end
    id = string.format('%d', n)
    redis.call('XADD', LOG, id .. '-0', 's', sid, 'u', uid, 'nb', nb, 'un', untl, 'at', at)
    if sid ~= '' then
      local v = id .. ' ' .. untl
      if ARGV[2] == 'end' then v = v .. ' ' .. uid end
      redis.call('HSET', SIDS, sid, v)
    end
  end
  out[#out + 1] = id
end
return out
