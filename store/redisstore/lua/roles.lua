-- roles.lua: copy a user's new roles onto each of their sessions.
-- ARGV: P, uid, roles (JSON).
for _, s in ipairs(userSessions(ARGV[2])) do save(update(s, {r = ARGV[3]})) end
return 'ok'
