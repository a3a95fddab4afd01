-- revoke.lua: Sessions.AddRevocation. ARGV: P, sid, uid, notBefore, until,
-- createdAt. Reply: the id.
return revoke(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
