-- challenge.lua: add or consume a login challenge.
-- ARGV: P, 'add', hash (hex), uid, ttl ms, field/value pairs
--    or P, 'consume', hash (hex). Reply: 'ok', or the challenge's fields
--    (consume; nil if unknown), deleted whatever its expiry.
local h = ARGV[3]
if ARGV[2] == 'add' then
  local uid, ttl = ARGV[4], num(ARGV[5])
  local k = ukey(uid) .. ':ch:' .. h
  local f = {}
  for i = 6, #ARGV do f[#f + 1] = ARGV[i] end
  redis.call('DEL', k)
  redis.call('HSET', k, unpack(f))
  redis.call('PEXPIRE', k, ms(ttl))
  redis.call('SET', P .. 'chal:' .. h, uid, 'PX', ms(ttl))
  redis.call('SADD', ukey(uid) .. ':chs', h)
  if redis.call('PTTL', ukey(uid) .. ':chs') < ttl then
    redis.call('PEXPIRE', ukey(uid) .. ':chs', ms(ttl))
  end
  return 'ok'
end
local uid = redis.call('GET', P .. 'chal:' .. h)
if not uid then return false end
local k = ukey(uid) .. ':ch:' .. h
local f = redis.call('HGETALL', k)
redis.call('DEL', k, P .. 'chal:' .. h)
redis.call('SREM', ukey(uid) .. ':chs', h)
if #f == 0 then return false end
return f
