--[[
  Admits an invocation of one function if fewer than ARGV[4] are in flight
  (running or queued); in-flight entries expire at their deadline, so a
  crashed invoker never leaks capacity.

  KEYS[1]  in-flight sorted set of the function (member: invocation id, score: deadline ms)
  ARGV[1]  now (ms)
  ARGV[2]  invocation id
  ARGV[3]  deadline (ms)
  ARGV[4]  limit
  Returns 1 when admitted, 0 when the function is at its limit.
]]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
