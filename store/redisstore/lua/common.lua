-- common.lua: the user's key and session helpers shared by every script.
-- ARGV[1] is always the key prefix P; KEYS[1] is the one key a user script
-- touches: the user's hash P{u:<uid>}, so a script stays in one slot of a
-- Redis Cluster and moves with it through a resharding (see doc.go).
-- Ids (uid, sid) arrive encoded by Go (ids.go: order-preserving base64 of
-- a UUID, or '=' and the id), so a session field sorts like its id.
-- Times are unix microseconds passed as decimal strings from Go; they are
-- compared with tonumber and written back only as strings that came from
-- Go, never formatted from a Lua double (tostring would round them).
local P = ARGV[1]
local K = KEYS[1]
local SLACK_MS = 60000 -- keys outlive the rules' deadline by this much

-- REVOKED holds the sessions whose revocations Go has appended to the log
-- already (revoked.lua fills it): a script ends a session only once its
-- revocation is in the log, and asks ({'need', sid...}) for the others.
local REVOKED = {}

local function num(v) return tonumber(v) or 0 end
local function ms(x) return string.format('%d', math.floor(x)) end

-- The user's hash holds one field per session (its encoded id), and the
-- special fields '!v' (credential version around a change: "version
-- deadline-ms") and '!c<hex>' (a login challenge). A session field never
-- starts with '!'.
local function special(f) return string.sub(f, 1, 1) == '!' end

-- fields turns a field/value list into a table; sid is kept as .id.
local function fields(sid, f)
  local s = {id = sid, raw = f}
  for i = 1, #f, 2 do s[f[i]] = f[i + 1] end
  return s
end

-- A session is one hash field: its values in the order of FIELDS, packed
-- as a msgpack array, times and the generation as integers (9 bytes, not
-- 17); the user and session ids are the key and the field, not repeated.
-- A new field is appended to FIELDS (a record written before it reads it
-- as ''), so the codec grows without a migration: j (the DPoP key
-- thumbprint of a bound session) came last.
local FIELDS = {'d', 'n', 'r', 'c', 'l', 'a', 'e', 'x', 'g', 't', 'i', 'ua', 'h', 'k', 'j'}
local INTEGER = {c = true, l = true, a = true, e = true, x = true, g = true, t = true}

-- decode reads a packed session of uid with id sid. Integers come back as
-- the decimal strings the rest of the scripts (and Go) use.
local function decode(uid, sid, b)
  local v, f = cmsgpack.unpack(b), {'u', uid}
  for i, name in ipairs(FIELDS) do
    local x = v[i]
    if INTEGER[name] then x = string.format('%d', tonumber(x) or 0)
    elseif x == nil then x = '' end
    f[#f + 1] = name
    f[#f + 1] = x
  end
  return fields(sid, f)
end

-- load returns uid's session sid, or nil.
local function load(uid, sid)
  if special(sid) then return nil end
  local b = redis.call('HGET', K, sid)
  if not b then return nil end
  return decode(uid, sid, b)
end

-- save writes session s (the key's TTL is raised by expire).
local function save(s)
  local v = {}
  for i, name in ipairs(FIELDS) do
    local x = s[name] or ''
    if INTEGER[name] then x = num(x) end
    v[i] = x
  end
  redis.call('HSET', K, s.id, cmsgpack.pack(v))
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

-- reply is a session as the Go side decodes it: {id, field, value, ...}.
local function reply(s)
  local out = {s.id}
  for i = 1, #s.raw do out[#out + 1] = s.raw[i] end
  return out
end

-- expire makes the user's key live at least ttl ms more. It never
-- shortens it: other sessions, challenges or the credential version may
-- need longer; what is dead inside is removed by the scripts that meet it
-- and by Sweep.
local function expire(ttl)
  local cur = redis.call('PTTL', K)
  if cur >= 0 and cur >= ttl then return end
  redis.call('PEXPIRE', K, ms(ttl))
end

-- drop deletes session s, without a revocation.
local function drop(s)
  redis.call('HDEL', K, s.id)
end

-- finish ends session s, whose revocation is in the log already (Go
-- appended it before this script ran: if the append failed, the session
-- is still whole; if this script never runs, the session is revoked but
-- alive, which fails closed). It returns the Ended entry {reason, session}.
local function finish(s, reason)
  drop(s)
  return {reason, reply(s)}
end

-- need returns the ids among ss (sessions, or {session, reason} pairs)
-- whose revocation is not in the log yet.
local function need(ss)
  local out = {}
  for _, x in ipairs(ss) do
    local s = x.id and x or x[1]
    if not REVOKED[s.id] then out[#out + 1] = s.id end
  end
  return out
end

-- finishRevoked ends, with reason, every session of uid in REVOKED that
-- is still there and not in done (the plan moved between Go's append and
-- this script: a revoked session does not stay alive), appending to out.
local function finishRevoked(uid, out, done, reason)
  for sid in pairs(REVOKED) do
    if not done[sid] then
      local s = load(uid, sid)
      if s then out[#out + 1] = finish(s, reason) end
    end
  end
end

-- userSessions lists uid's sessions newest first (created desc, id desc,
-- as the SQL backends order them; encoded ids sort as the ids do).
local function userSessions(uid)
  local out = {}
  local all = redis.call('HGETALL', K)
  for i = 1, #all, 2 do
    if not special(all[i]) then out[#out + 1] = decode(uid, all[i], all[i + 1]) end
  end
  table.sort(out, function(a, b)
    if num(a.c) ~= num(b.c) then return num(a.c) > num(b.c) end
    return a.id > b.id
  end)
  return out
end

-- credVersion is the user's credential version kept around a change, or
-- nil; an expired one is removed.
local function credVersion()
  local v = redis.call('HGET', K, '!v')
  if not v then return nil end
  local ver, dl = string.match(v, '^(%S+) (%d+)$')
  local t = redis.call('TIME')
  if not dl or num(dl) <= num(t[1]) * 1000 + math.floor(num(t[2]) / 1000) then
    redis.call('HDEL', K, '!v')
    return nil
  end
  return ver
end

-- setCred keeps version ver for ttl ms (by Redis' clock).
local function setCred(ver, ttl)
  local t = redis.call('TIME')
  redis.call('HSET', K, '!v', ver .. ' ' .. ms(num(t[1]) * 1000 + math.floor(num(t[2]) / 1000) + num(ttl)))
  expire(num(ttl))
end
