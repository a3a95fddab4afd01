-- rules.lua: a line-by-line port of store.Session.Live/ExpiredAt,
-- store.PlanCreate and store.DecideRotation (store/rules.go, model.go).
-- TestRulesMatchGo runs one table of cases through both and requires the
-- same answers. Session fields: c created, l last seen, e expires, x refresh
-- expires (0: none), g generation, t rotated, d device, h refresh hash,
-- j DPoP key thumbprint ('' unbound).

local function effectiveExpiry(s, idle)
  local t = num(s.e)
  if idle > 0 and num(s.l) + idle < t then t = num(s.l) + idle end
  local x = num(s.x)
  if x ~= 0 and x < t then t = x end
  return t
end

local function isLive(s, now, idle) return now < effectiveExpiry(s, idle) end

local function expiredAt(s, now, idle)
  return now >= num(s.e) or (idle > 0 and now >= num(s.l) + idle)
end

-- before orders by last seen (if byIdle), then created, then id.
local function before(a, b, byIdle)
  if byIdle and num(a.l) ~= num(b.l) then return num(a.l) < num(b.l) end
  if num(a.c) ~= num(b.c) then return num(a.c) < num(b.c) end
  return a.id < b.id
end

-- planCreate: existing newest first; p = {now, idle, device, replace, max,
-- overflow, resolve (set of ids)}. Returns dead, endings ({s, reason}) and
-- an error word ('limit', 'overflow') or nil.
local function planCreate(existing, p)
  local dead, ending, live = {}, {}, {}
  for _, e in ipairs(existing) do
    if not isLive(e, p.now, p.idle) then
      dead[#dead + 1] = e
    elseif p.resolve[e.id] then
      ending[#ending + 1] = {e, 'resolved'}
    elseif p.replace and p.device ~= '' and e.d == p.device then
      ending[#ending + 1] = {e, 'device'}
    else
      live[#live + 1] = e
    end
  end
  if p.max <= 0 or #live < p.max then return dead, ending, nil end
  local excess = #live - p.max + 1
  if p.overflow == 'reject' then return nil, nil, 'limit' end
  if p.overflow == 'evict-oldest' then
    table.sort(live, function(a, b) return before(a, b, false) end)
  elseif p.overflow == 'evict-idle' then
    table.sort(live, function(a, b) return before(a, b, true) end)
  else
    return nil, nil, 'overflow'
  end
  for i = 1, excess do ending[#ending + 1] = {live[i], p.overflow} end
  return dead, ending, nil
end

-- decideRotation: r = {now, idle, gen, grace, presented, successor, jkt,
-- requireBound}. The DPoP key comes first (s.j: the session's; r.jkt: the
-- proof's), so a refresh without the key changes and reveals nothing.
-- Returns one of the store.RotateAction names. Hash comparison is plain
-- string equality: the values are SHA-256 digests of secrets the caller
-- cannot steer, so their timing tells nothing useful.
local function decideRotation(s, r)
  local g = num(s.g)
  local j = s.j or ''
  if j ~= '' and r.jkt ~= j then return 'key-mismatch' end
  if j == '' and r.requireBound then return 'unbound' end
  if expiredAt(s, r.now, r.idle) then return 'session-expired' end
  if r.gen > g then return 'unknown' end
  if r.gen == g then
    if r.presented ~= s.h then return 'unknown' end
    local x = num(s.x)
    if x ~= 0 and r.now >= x then return 'refresh-expired' end
    return 'rotate'
  end
  if r.gen == g - 1 and r.grace > 0 and r.now - num(s.t) <= r.grace then
    if r.successor ~= s.h then return 'unknown' end
    return 'replay'
  end
  if r.gen == g - 1 then return 'reuse-after-grace' end
  return 'reuse-stale'
end

-- ttlOf is how long (ms, from now) session s's keys must live: until its
-- effective expiry under idle (0: ignore idle, a later bound), plus slack.
local function ttlOf(s, now, idle)
  local left = (effectiveExpiry(s, idle) - now) / 1000
  if left < 0 then left = 0 end
  return left + SLACK_MS
end
