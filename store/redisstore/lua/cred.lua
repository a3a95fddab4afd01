-- cred.lua: the user's credential version kept around a change ('!v').
-- ARGV: P, uid, op, value, ttl ms.
--   raise:   version = max(version, value)            (after the users store)
--   restore: version = value if it is value+1 now     (users store failed)
--   delete:  version = 'deleted'                      (DeleteUser)
--   undelete: drop the 'deleted' mark                 (DeleteUser failed)
local cur = credVersion()
local op, val, ttl = ARGV[3], ARGV[4], ARGV[5]
if op == 'raise' then
  if cur == 'deleted' or (cur and num(cur) >= num(val)) then return 'ok' end
  setCred(val, ttl)
elseif op == 'restore' then
  if cur and cur ~= 'deleted' and num(cur) == num(val) + 1 then setCred(val, ttl) end
elseif op == 'delete' then
  setCred('deleted', ttl)
elseif op == 'undelete' then
  if cur == 'deleted' then redis.call('HDEL', K, '!v') end
end
return 'ok'
