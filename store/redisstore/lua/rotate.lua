-- rotate.lua: Sessions.RotateRefresh, decided by decideRotation.
-- ARGV: P, uid, sid, gen, presented, successor, now, grace, idle,
-- refreshExpiry (now + refresh TTL), jkt (the proof's key, '' without),
-- requireBound ('1': --dpop required). Reply: {action, prevRotatedAt,
-- session}; on reuse {'need', sid} until the revocation is in the log,
-- then {action, prevRotatedAt, ended}.
local uid, sid, now, idle = ARGV[2], ARGV[3], num(ARGV[7]), num(ARGV[9])
local s = load(uid, sid)
if not s then return {'unknown'} end
local act = decideRotation(s, {now = now, idle = idle, gen = num(ARGV[4]), grace = num(ARGV[8]),
  presented = ARGV[5], successor = ARGV[6], jkt = ARGV[11], requireBound = ARGV[12] == '1'})
if act == 'reuse-after-grace' or act == 'reuse-stale' then
  if not REVOKED[sid] then return {'need', sid} end
  return {act, s.t, finish(s, 'reuse')}
end
if REVOKED[sid] then
  -- revoked for a reuse that no longer shows (cannot happen: generations
  -- only grow); a revoked session does not stay alive
  return {'reuse-stale', s.t, finish(s, 'reuse')}
end
if act == 'rotate' then
  local x = ARGV[10]
  if num(s.e) < num(x) then x = s.e end
  local prev = s.t
  s = update(s, {g = string.format('%d', num(s.g) + 1), h = ARGV[6], t = ARGV[7], l = ARGV[7], x = x})
  save(s)
  expire(ttlOf(s, now, idle))
  return {act, prev, reply(s)}
elseif act == 'replay' then
  return {act, s.t, reply(s)}
end
return {act}
