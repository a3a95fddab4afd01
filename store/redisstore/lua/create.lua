-- create.lua: Sessions.CreateSession as one script on the user's key.
-- ARGV: P, uid, sid, credVersion, now, idle, replace (0/1), device, max,
-- overflow, n, n ids to end, then the session's field/value pairs.
-- Reply: {'cred'} | {'limit'} | {'overflow'} | {'need', sid...} (nothing
-- written: Go appends those revocations and runs it again) |
-- {'ok', ended...}.
local uid, sid, cred = ARGV[2], ARGV[3], ARGV[4]
local now, idle = num(ARGV[5]), num(ARGV[6])

-- The password must not have changed since the caller checked it. Redis
-- holds the version only around a change (SetPassword, DeleteUser); no
-- field means none is in progress or recent.
local v = credVersion()
if v and v ~= cred then return {'cred'} end

local n = num(ARGV[11])
local resolve = {}
for i = 12, 11 + n do resolve[ARGV[i]] = true end
local p = {now = now, idle = idle, device = ARGV[8], replace = ARGV[7] == '1',
  max = num(ARGV[9]), overflow = ARGV[10], resolve = resolve}
local dead, ending, err = planCreate(userSessions(uid), p)
if err then return {err} end -- nothing written
local missing = need(ending)
if #missing > 0 then return {'need', unpack(missing)} end

for _, d in ipairs(dead) do if not REVOKED[d.id] then drop(d) end end
local out, done = {'ok'}, {}
for _, e in ipairs(ending) do out[#out + 1] = finish(e[1], e[2]); done[e[1].id] = true end
finishRevoked(uid, out, done, 'revoked')

local f = {'u', uid}
for i = 12 + n, #ARGV do f[#f + 1] = ARGV[i] end
local s = fields(sid, f)
save(s)
expire(ttlOf(s, now, idle))
return out
