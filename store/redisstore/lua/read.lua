-- read.lua (read-only): one session, by id or by cookie hash.
-- ARGV: P, 'id' or 'cookie', sid or cookie hash. Reply: session or nil.
local sid, uid = ARGV[3], nil
if ARGV[2] == 'cookie' then
  sid = redis.call('GET', P .. 'cookie:' .. hex(ARGV[3]))
  if not sid then return false end
end
uid = owner(sid)
local s = uid and load(uid, sid)
if not s then return false end
if ARGV[2] == 'cookie' and s.k ~= ARGV[3] then return false end
return reply(s)
