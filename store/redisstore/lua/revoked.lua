-- revoked.lua, after common.lua and rules.lua in every script Store.exec
-- runs: ARGV[2] is the number n of sessions whose revocations Go appended
-- first, ARGV[3..2+n] their ids. They fill REVOKED and are removed, so the
-- script proper reads its own arguments from ARGV[2] on.
do
  local n = tonumber(ARGV[2]) or 0
  for i = 1, n do REVOKED[ARGV[2 + i]] = true end
  for _ = 1, n + 1 do table.remove(ARGV, 2) end
end
