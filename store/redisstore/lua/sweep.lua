-- sweep.lua: Sessions.Sweep's removals, one batch per call.
-- ARGV: P, what, now, idle, then for 'sessions' session ids, for
-- 'challenges' challenge hashes (hex); 'revocations' trims the log.
-- Reply: how many it removed.
local what, now, idle = ARGV[2], num(ARGV[3]), num(ARGV[4])
local n = 0
if what == 'sessions' then
  for i = 5, #ARGV do
    local uid = owner(ARGV[i])
    local s = uid and load(uid, ARGV[i])
    if s and not isLive(s, now, idle) then drop(s); n = n + 1 end
  end
elseif what == 'challenges' then
  for i = 5, #ARGV do
    local h = ARGV[i]
    local uid = redis.call('GET', P .. 'chal:' .. h)
    local exp = uid and redis.call('HGET', ukey(uid) .. ':ch:' .. h, 'e')
    if exp and num(exp) <= now then
      redis.call('DEL', ukey(uid) .. ':ch:' .. h, P .. 'chal:' .. h)
      redis.call('SREM', ukey(uid) .. ':chs', h)
      n = n + 1
    end
  end
elseif what == 'revocations' then
  -- Entries past Until cover no live access token any more. The counter
  -- (revseq) stays, so ids never go back.
  for _, e in ipairs(redis.call('XRANGE', P .. 'revlog', '-', '+')) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'un' and num(f[i + 1]) <= now then
        redis.call('XDEL', P .. 'revlog', e[1]); n = n + 1
      end
    end
  end
end
return n
