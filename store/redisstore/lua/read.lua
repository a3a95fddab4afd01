-- read.lua (read-only): one session of a user, by id, or by id and
-- cookie hash. ARGV: P, uid, sid[, cookie hash]. Reply: session or nil.
local s = load(ARGV[2], ARGV[3])
if not s then return false end
if ARGV[4] and s.k ~= ARGV[4] then return false end
return reply(s)
