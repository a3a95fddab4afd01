-- change.lua: the small changes of one live session, selected by ARGV[3].
-- ARGV: P, sid, op, now, then per op:
--   touch:  -                      last seen = now
--   slide:  refreshExpiry          last seen = now, refresh expiry slides
--   reauth: gen, hash, refreshExpiry, idle
-- Reply: {'ok', session} | {'notfound'} | {'conflict'}.
local sid, op, now = ARGV[2], ARGV[3], num(ARGV[4])
local uid = owner(sid)
local s = uid and load(uid, sid)
if not s then return {'notfound'} end

-- capped returns x, or the session's absolute expiry if that is earlier.
local function capped(x)
  if num(s.e) < num(x) then return s.e end
  return x
end

local idle = 0
if op == 'touch' then
  s = update(s, {l = ARGV[4]})
elseif op == 'slide' then
  s = update(s, {l = ARGV[4], x = capped(ARGV[5])})
elseif op == 'reauth' then
  idle = num(ARGV[8])
  if expiredAt(s, now, idle) then return {'notfound'} end
  if num(ARGV[5]) ~= num(s.g) + 1 then return {'conflict'} end
  s = update(s, {g = ARGV[5], h = ARGV[6], t = ARGV[4], l = ARGV[4], a = ARGV[4], x = capped(ARGV[7])})
else
  return redis.error_reply('unknown op ' .. op)
end
save(s)
-- touch and slide know no idle timeout: 0 gives a later (safe) bound.
expire(s, ttlOf(s, now, idle))
return {'ok', reply(s)}
