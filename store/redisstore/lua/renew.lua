-- renew.lua: Sessions.RenewSession: the session moves to a new id with a
-- new cookie and a fresh generation-1 chain; the old id is revoked first.
-- ARGV: P, uid, oldID, newID, cookieHash, refreshHash, now, idle.
-- Reply: {'ok', session, ended} | {'need', oldID} | {'notfound'}.
local uid, old, new, now, idle = ARGV[2], ARGV[3], ARGV[4], num(ARGV[7]), num(ARGV[8])
local s = load(uid, old)
if not s or expiredAt(s, now, idle) then return {'notfound'} end
if not REVOKED[old] then return {'need', old} end
local ended = finish(s, 'renewed')
local n = update(s, {k = ARGV[5], g = '1', h = ARGV[6], t = ARGV[7], a = ARGV[7], l = ARGV[7]})
n.id = new
save(n)
expire(ttlOf(n, now, idle))
return {'ok', reply(n), ended}
