-- cred.lua: the user's credential version kept in Redis around a change.
-- ARGV: P, uid, op, value, ttl ms.
--   raise:   version = max(version, value)            (after the users store)
--   restore: version = value if it is value+1 now     (users store failed)
--   delete:  version = 'deleted'                      (DeleteUser)
--   undelete: drop the 'deleted' mark                 (DeleteUser failed)
local k = ukey(ARGV[2]) .. ':cred'
local cur = redis.call('GET', k)
local op, val = ARGV[3], ARGV[4]
if op == 'raise' then
  if cur == 'deleted' or (cur and num(cur) >= num(val)) then return 'ok' end
  redis.call('SET', k, val, 'PX', ARGV[5])
elseif op == 'restore' then
  if cur and num(cur) == num(val) + 1 then redis.call('SET', k, val, 'PX', ARGV[5]) end
elseif op == 'delete' then
  redis.call('SET', k, 'deleted', 'PX', ARGV[5])
elseif op == 'undelete' then
  if cur == 'deleted' then redis.call('DEL', k) end
end
return 'ok'
