-- roles.lua: copy a user's new roles onto each of their sessions.
-- ARGV: P, uid, roles (JSON).
for _, sid in ipairs(redis.call('ZRANGE', ikey(ARGV[2]), 0, -1)) do
  local s = load(ARGV[2], sid)
  if s then save(update(s, {r = ARGV[3]})) end
end
return 'ok'
