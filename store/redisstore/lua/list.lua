-- list.lua (read-only): a user's sessions, newest first. ARGV: P, uid.
local out = {}
for _, sid in ipairs(redis.call('ZREVRANGE', ikey(ARGV[2]), 0, -1)) do
  local s = load(ARGV[2], sid)
  if s then out[#out + 1] = reply(s) end
end
return out
