-- list.lua (read-only): a user's sessions (Go orders them). ARGV: P, uid.
local out = {}
for _, s in ipairs(userSessions(ARGV[2])) do out[#out + 1] = reply(s) end
return out
