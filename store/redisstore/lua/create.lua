-- create.lua: Sessions.CreateSession as one script.
-- ARGV: P, uid, sid, credVersion, now, idle, revokeUntil, replace (0/1),
-- device, max, overflow, n, n ids to end, then the session's field/value
-- pairs. Reply: {'cred'} | {'limit'} | {'overflow'} | {'ok', ended...}.
local uid, sid, cred = ARGV[2], ARGV[3], ARGV[4]
local now, idle, untl = num(ARGV[5]), num(ARGV[6]), ARGV[7]

-- The password must not have changed since the caller checked it. Redis
-- holds the version only around a change (SetPassword, DeleteUser); no key
-- means none is in progress or recent.
local v = redis.call('GET', ukey(uid) .. ':cred')
if v and v ~= cred then return {'cred'} end

local n = num(ARGV[12])
local resolve = {}
for i = 13, 12 + n do resolve[ARGV[i]] = true end
local p = {now = num(ARGV[5]), idle = idle, device = ARGV[9], replace = ARGV[8] == '1',
  max = num(ARGV[10]), overflow = ARGV[11], resolve = resolve}
local dead, ending, err = planCreate(userSessions(uid), p)
if err then return {err} end -- nothing written

for _, d in ipairs(dead) do drop(d) end
local out = {'ok'}
for _, e in ipairs(ending) do out[#out + 1] = finish(e[1], e[2], ARGV[5], untl) end

local f = {}
for i = 13 + n, #ARGV do f[#f + 1] = ARGV[i] end
local s = fields(sid, f)
save(s)
redis.call('ZADD', ikey(uid), s.c, sid)
expire(s, ttlOf(s, now, idle))
return out
