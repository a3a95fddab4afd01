-- change.lua: the small changes of one live session, selected by ARGV[4].
-- ARGV: P, uid, sid, op, now, then per op:
--   touch:  -                      last seen = now
--   slide:  refreshExpiry          last seen = now, refresh expiry slides
--   reauth: gen, hash, refreshExpiry, idle
-- Reply: {'ok', session} | {'notfound'} | {'conflict'}.
local uid, sid, op, now = ARGV[2], ARGV[3], ARGV[4], num(ARGV[5])
local s = load(uid, sid)
if not s then return {'notfound'} end

-- capped returns x, or the session's absolute expiry if that is earlier.
local function capped(x)
  if num(s.e) < num(x) then return s.e end
  return x
end

local idle = 0
if op == 'touch' then
  s = update(s, {l = ARGV[5]})
elseif op == 'slide' then
  s = update(s, {l = ARGV[5], x = capped(ARGV[6])})
elseif op == 'reauth' then
  idle = num(ARGV[9])
  if expiredAt(s, now, idle) then return {'notfound'} end
  if num(ARGV[6]) ~= num(s.g) + 1 then return {'conflict'} end
  s = update(s, {g = ARGV[6], h = ARGV[7], t = ARGV[5], l = ARGV[5], a = ARGV[5], x = capped(ARGV[8])})
else
  return redis.error_reply('unknown op ' .. op)
end
save(s)
-- touch and slide know no idle timeout: 0 gives a later (safe) bound.
expire(ttlOf(s, now, idle))
return {'ok', reply(s)}
