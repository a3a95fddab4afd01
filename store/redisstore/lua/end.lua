-- end.lua: end sessions of one user, each after its revocation.
-- ARGV: P, uid, reason, mode, then
--   mode 'list': the ids to end (others' and unknown ids are ignored)
--   mode 'all':  keep (may be '')
--   mode 'password': keep, credVersion, credTTL ms: also sets the user's
--     credential version and drops their login challenges (SetPassword)
-- Reply: {'need', sid...} (nothing written) | {'ok', ended...}.
local uid, reason, mode = ARGV[2], ARGV[3], ARGV[4]
local ending = {}
if mode == 'list' then
  local seen = {}
  for i = 5, #ARGV do
    local sid = ARGV[i]
    if not seen[sid] then
      seen[sid] = true
      local s = load(uid, sid)
      if s then ending[#ending + 1] = s end
    end
  end
else
  local keep = ARGV[5]
  for _, s in ipairs(userSessions(uid)) do
    if s.id ~= keep then ending[#ending + 1] = s end
  end
  -- Oldest first, as the SQL backends write the revocations.
  table.sort(ending, function(a, b) return before(a, b, false) end)
end
local missing = need(ending)
if #missing > 0 then return {'need', unpack(missing)} end

if mode == 'password' then
  -- The version only grows (two changes at once: the later one wins).
  local cur = credVersion()
  local ver = ARGV[6]
  if cur and num(cur) > num(ver) then ver = cur end
  setCred(ver, ARGV[7])
  local all = redis.call('HKEYS', K)
  for _, f in ipairs(all) do
    if string.sub(f, 1, 2) == '!c' then redis.call('HDEL', K, f) end
  end
end
local out, done = {'ok'}, {}
for _, s in ipairs(ending) do out[#out + 1] = finish(s, reason); done[s.id] = true end
finishRevoked(uid, out, done, reason)
return out
