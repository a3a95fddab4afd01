-- renew.lua: Sessions.RenewSession: the session moves to a new id with a
-- new cookie and a fresh generation-1 chain; the old id is revoked.
-- ARGV: P, oldID, newID, cookieHash, refreshHash, now, idle, revokeUntil.
-- Reply: {'ok', session, ended} | {'notfound'}.
local old, new, now, idle = ARGV[2], ARGV[3], num(ARGV[6]), num(ARGV[7])
local uid = owner(old)
local s = uid and load(uid, old)
if not s or expiredAt(s, now, idle) then return {'notfound'} end
local ended = finish(s, 'renewed', ARGV[6], ARGV[8])
local n = update(s, {k = ARGV[4], g = '1', h = ARGV[5], t = ARGV[6], a = ARGV[6], l = ARGV[6]})
n.id = new
save(n)
redis.call('ZADD', ikey(uid), n.c, new)
expire(n, ttlOf(n, now, idle))
return {'ok', reply(n), ended}
