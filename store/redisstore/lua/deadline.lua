-- deadline.lua, first in every script that Store.exec runs: the last ARGV
-- is "dl:<unix µs>", when the caller stops waiting, on Redis's clock. A
-- script that runs later (Redis was paused or stalled: the command sat in
-- its socket while the caller answered 503 "nothing was changed") does
-- nothing and says so; the argument is removed before the script proper
-- reads ARGV.
do
  local dl = ARGV[#ARGV]
  if type(dl) == 'string' and string.sub(dl, 1, 3) == 'dl:' then
    table.remove(ARGV)
    local t = redis.call('TIME')
    if tonumber(t[1]) * 1000000 + tonumber(t[2]) > tonumber(string.sub(dl, 4)) then
      return redis.error_reply('GATEHOUSE_LATE the caller gave up before the script ran; nothing was changed')
    end
  end
end
