-- sweep.lua: Sessions.Sweep and CountSessions on one user's key.
-- ARGV: P, what, now, idle.
--   'sweep': removes sessions not live at now, challenges expired at now
--            (and an expired credential version). Reply: how many.
--   'count': Reply: how many sessions the key holds.
local what, now, idle = ARGV[2], num(ARGV[3]), num(ARGV[4])
local n = 0
if what == 'count' then
  for _, f in ipairs(redis.call('HKEYS', K)) do
    if not special(f) then n = n + 1 end
  end
  return n
end
local all = redis.call('HGETALL', K)
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 2) == '!c' then
    local c = cmsgpack.unpack(all[i + 1])
    if num(c[4]) <= now then redis.call('HDEL', K, f); n = n + 1 end
  elseif f == '!v' then
    credVersion()
  else
    local s = decode('', f, all[i + 1])
    if not isLive(s, now, idle) then drop(s); n = n + 1 end
  end
end
return n
