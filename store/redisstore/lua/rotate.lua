-- rotate.lua: Sessions.RotateRefresh, decided by decideRotation.
-- ARGV: P, sid, gen, presented, successor, now, grace, idle, revokeUntil,
-- refreshExpiry (now + refresh TTL), jkt (the proof's key, '' without),
-- requireBound ('1': --dpop required). Reply: {action, prevRotatedAt,
-- session} or, on reuse, {action, prevRotatedAt, ended}.
local sid, now, idle = ARGV[2], num(ARGV[6]), num(ARGV[8])
local uid = owner(sid)
if not uid then return {'unknown'} end
local s = load(uid, sid)
if not s then return {'unknown'} end
local act = decideRotation(s, {now = now, idle = idle, gen = num(ARGV[3]), grace = num(ARGV[7]),
  presented = ARGV[4], successor = ARGV[5], jkt = ARGV[11], requireBound = ARGV[12] == '1'})
if act == 'rotate' then
  local x = ARGV[10]
  if num(s.e) < num(x) then x = s.e end
  s = update(s, {g = string.format('%d', num(s.g) + 1), h = ARGV[5], t = ARGV[6], l = ARGV[6], x = x})
  save(s)
  expire(s, ttlOf(s, now, idle))
  return {act, s.t, reply(s)}
elseif act == 'replay' then
  return {act, s.t, reply(s)}
elseif act == 'reuse-after-grace' or act == 'reuse-stale' then
  local prev = s.t
  return {act, prev, finish(s, 'reuse', ARGV[6], ARGV[9])}
end
return {act}
