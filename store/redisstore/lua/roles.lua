-- roles.lua: copy a user's new roles onto each of their sessions.
-- ARGV: P, uid, roles (JSON).
for _, sid in ipairs(redis.call('ZRANGE', ikey(ARGV[2]), 0, -1)) do
  if redis.call('EXISTS', skey(ARGV[2], sid)) == 1 then
    redis.call('HSET', skey(ARGV[2], sid), 'r', ARGV[3])
  end
end
return 'ok'
