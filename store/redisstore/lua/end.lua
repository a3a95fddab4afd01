-- end.lua: end sessions of one user, with a revocation each.
-- ARGV: P, uid, reason, now, revokeUntil, mode, then
--   mode 'list': the ids to end (others' and unknown ids are ignored)
--   mode 'all':  keep (may be '')
--   mode 'password': keep, credVersion, credTTL ms: also sets the user's
--     credential version and drops their login challenges (SetPassword)
-- Reply: {ended...}.
local uid, reason, now, untl, mode = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local out = {}
if mode == 'list' then
  local seen = {}
  for i = 7, #ARGV do
    local sid = ARGV[i]
    if not seen[sid] then
      seen[sid] = true
      local s = load(uid, sid)
      if s then out[#out + 1] = finish(s, reason, now, untl) end
    end
  end
  return out
end
local keep = ARGV[7]
if mode == 'password' then
  -- The version only grows (two changes at once: the later one wins).
  local cur = num(redis.call('GET', ukey(uid) .. ':cred'))
  local ver = ARGV[8]
  if cur > num(ver) then ver = string.format('%d', cur) end
  redis.call('SET', ukey(uid) .. ':cred', ver, 'PX', ARGV[9])
  for _, h in ipairs(redis.call('SMEMBERS', ukey(uid) .. ':chs')) do
    redis.call('DEL', ukey(uid) .. ':ch:' .. h, P .. 'chal:' .. h)
  end
  redis.call('DEL', ukey(uid) .. ':chs')
end
-- Oldest first, as the SQL backends write the revocations.
for _, sid in ipairs(redis.call('ZRANGE', ikey(uid), 0, -1)) do
  local s = load(uid, sid)
  if not s then
    redis.call('ZREM', ikey(uid), sid)
  elseif sid ~= keep then
    out[#out + 1] = finish(s, reason, now, untl)
  end
end
return out
