--[[
  The end of one invocation attempt, in one round trip: appends its metering
  entry, frees its admission slot (the gateway's in-flight entry, when it had
  one) and hands the reply to the gateway waiting for it.

  KEYS[1]  metering stream
  KEYS[2]  the function's in-flight sorted set
  ARGV[1]  invocation id
  ARGV[2]  reply channel, '' when nobody waits (async, scheduled)
  ARGV[3]  reply (JSON), '' when nobody waits
  ARGV[4..] the metering entry's fields: name, value, ...
  Returns the entry's id in the stream.
]]
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return id
