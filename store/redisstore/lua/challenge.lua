-- challenge.lua: add or consume a login challenge, a field '!c<hex>' of
-- the user's hash holding {device, ip, user agent, expires, cred version}
-- packed with msgpack.
-- ARGV: P, 'add', hash (hex), ttl ms, device, ip, ua, expires, version
--    or P, 'consume', hash (hex). Reply: 'ok', or (consume) {device, ip,
--    ua, expires, version}, deleted whatever its expiry (nil if unknown).
local f = '!c' .. ARGV[3]
if ARGV[2] == 'add' then
  redis.call('HSET', K, f, cmsgpack.pack({ARGV[5], ARGV[6], ARGV[7], num(ARGV[8]), num(ARGV[9])}))
  expire(num(ARGV[4]))
  return 'ok'
end
local v = redis.call('HGET', K, f)
if not v then return false end
redis.call('HDEL', K, f)
local c = cmsgpack.unpack(v)
return {c[1], c[2], c[3], string.format('%d', num(c[4])), string.format('%d', num(c[5]))}
