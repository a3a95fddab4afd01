-- common.lua: key names and session helpers shared by every script.
-- ARGV[1] is always the key prefix P. A user's keys share the hash tag
-- {u:<id>} (one slot); the pointers sid:, cookie:, chal:, the revocation
-- log and its counter are global keys (see doc.go for the Cluster plan).
-- Times are unix microseconds passed as decimal strings from Go; they are
-- compared with tonumber and written back only as strings that came from
-- Go, never formatted from a Lua double (tostring would round them).
local P = ARGV[1]
local SLACK_MS = 60000 -- keys outlive the rules' deadline by this much

local function num(v) return tonumber(v) or 0 end
local function ukey(uid) return P .. '{u:' .. uid .. '}' end
local function skey(uid, sid) return ukey(uid) .. ':s:' .. sid end
local function ikey(uid) return ukey(uid) .. ':idx' end
local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local function ms(x) return string.format('%d', math.floor(x)) end

-- fields turns a field/value list into a table; sid is kept as .id.
local function fields(sid, f)
  local s = {id = sid, raw = f}
  for i = 1, #f, 2 do s[f[i]] = f[i + 1] end
  return s
end

-- A session is one string: its values in the order of FIELDS, packed
-- with msgpack, times and the generation as integers (9 bytes, not 17). A
-- hash would be smaller only while every value fits a listpack (64 bytes
-- by default; a user agent does not), and then costs ~1.3 KB.
-- j (the DPoP key thumbprint of a bound session) came last, so a session
-- packed before it has 15 values and loads with j = ''.
local FIELDS = {'u', 'd', 'n', 'r', 'c', 'l', 'a', 'e', 'x', 'g', 't', 'i', 'ua', 'h', 'k', 'j'}
local INTEGER = {c = true, l = true, a = true, e = true, x = true, g = true, t = true}

-- load returns uid's session sid, or nil. Integers come back as the
-- decimal strings the rest of the scripts (and Go) use.
local function load(uid, sid)
  local b = redis.call('GET', skey(uid, sid))
  if not b then return nil end
  local v, f = cmsgpack.unpack(b), {}
  for i, name in ipairs(FIELDS) do
    local x = v[i]
    if x == nil then x = '' end
    if INTEGER[name] then x = string.format('%d', x) end
    f[#f + 1] = name
    f[#f + 1] = x
  end
  return fields(sid, f)
end

-- save writes session s (its TTL is set by expire).
local function save(s)
  local v = {}
  for i, name in ipairs(FIELDS) do
    local x = s[name] or ''
    if INTEGER[name] then x = num(x) end
    v[i] = x
  end
  redis.call('SET', skey(s.u, s.id), cmsgpack.pack(v), 'KEEPTTL')
end

-- update returns s with the fields in ch replaced (or added), unsaved.
local function update(s, ch)
  local f = {}
  for i = 1, #s.raw, 2 do
    local name = s.raw[i]
    f[#f + 1] = name
    if ch[name] ~= nil then f[#f + 1] = ch[name]; ch[name] = nil else f[#f + 1] = s.raw[i + 1] end
  end
  for name, v in pairs(ch) do f[#f + 1] = name; f[#f + 1] = v end
  return fields(s.id, f)
end

-- owner returns the user id of session sid (from its global pointer).
local function owner(sid)
  return redis.call('GET', P .. 'sid:' .. sid)
end

-- reply is a session as the Go side decodes it: {id, field, value, ...}.
local function reply(s)
  local out = {s.id}
  for i = 1, #s.raw do out[#out + 1] = s.raw[i] end
  return out
end

-- expire gives session s's keys (hash, pointers, index) a TTL of ttl ms.
local function expire(s, ttl)
  local t = ms(ttl)
  redis.call('PEXPIRE', skey(s.u, s.id), t)
  redis.call('SET', P .. 'sid:' .. s.id, s.u, 'PX', t)
  if s.k and s.k ~= '' then
    redis.call('SET', P .. 'cookie:' .. hex(s.k), s.id, 'PX', t)
  end
  local cur = redis.call('PTTL', ikey(s.u))
  if cur < ttl then redis.call('PEXPIRE', ikey(s.u), t) end
end

-- drop deletes session s and its pointers, without a revocation.
local function drop(s)
  redis.call('DEL', skey(s.u, s.id), P .. 'sid:' .. s.id)
  if s.k and s.k ~= '' then redis.call('DEL', P .. 'cookie:' .. hex(s.k)) end
  redis.call('ZREM', ikey(s.u), s.id)
end

-- revoke appends a revocation to the log and returns its id. The id comes
-- from a counter incremented in the same script as the XADD, so ids follow
-- commit order (scripts run one at a time) and never go back after a trim.
-- A missing counter (first use, or a Redis that lost its data) starts at
-- Redis' clock in microseconds: above every id handed out before, so the
-- nodes' cursors never skip the new entries (ids grow by one per
-- revocation, far slower than the clock).
local function revoke(sid, uid, nb, untl, now)
  local id = redis.call('INCR', P .. 'revseq')
  if id == 1 then
    local t = redis.call('TIME')
    id = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', P .. 'revseq', string.format('%d', id))
  end
  redis.call('XADD', P .. 'revlog', string.format('%d-0', id),
    's', sid, 'u', uid, 'nb', nb, 'un', untl, 'at', now)
  return id
end

-- finish ends session s: a revocation written, then the session deleted.
-- It returns the Ended entry {reason, revocation id, session}. Revocation
-- first: Redis does not roll a script back, so if the append fails (the
-- script stops there) the session is still whole rather than gone without
-- its revocation: a failure fails closed.
local function finish(s, reason, now, untl)
  local id = revoke(s.id, s.u, '0', untl, now)
  drop(s)
  return {reason, id, reply(s)}
end

-- userSessions lists uid's sessions newest first (created desc, id desc,
-- as the SQL backends order them); members whose hash expired are skipped.
local function userSessions(uid)
  local out = {}
  for _, sid in ipairs(redis.call('ZREVRANGE', ikey(uid), 0, -1)) do
    local s = load(uid, sid)
    if s then out[#out + 1] = s else redis.call('ZREM', ikey(uid), sid) end
  end
  return out
end
