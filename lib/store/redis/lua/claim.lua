-- Claims outbox events through the consumer group (key layout: redis_store.hpp).
-- KEYS[1] outbox (stream)
-- ARGV[1] group   ARGV[2] consumer   ARGV[3] max events   ARGV[4] idle time to give claimed entries (ms)
-- ARGV[5] reclaim threshold (ms)
-- Leases ride on the group's idle times: every claimed entry gets idle = reclaim - lease, so it
-- turns "idle for reclaim ms" (what XAUTOCLAIM looks for) exactly when its lease ends, whatever
-- lease each claim asked for.
-- Returns, in outbox order, {id, prior claims, {field, value, ...}} per event.
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local max = tonumber(ARGV[3])
redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM') -- BUSYGROUP when it exists already
local claimed = {}

-- 1. Entries whose lease has run out; the pending list is in id order, so oldest first. Bounded:
-- each XAUTOCLAIM looks at no more than 10 x COUNT pending entries.
local start = '0-0'
for _ = 1, 100 do
    if #claimed >= max then
        break
    end
    local r = redis.call('XAUTOCLAIM', stream, group, consumer, ARGV[5], start, 'COUNT', max - #claimed)
    for _, e in ipairs(r[2]) do
        if e and e[1] then
            local p = redis.call('XPENDING', stream, group, e[1], e[1], 1)
            claimed[#claimed + 1] = {e[1], p[1][4] - 1, e[2]}
        end
    end
    start = r[1]
    if start == '0-0' then
        break
    end
end

-- 2. Entries never delivered: all newer than the pending ones.
if #claimed < max then
    local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max - #claimed, 'STREAMS', stream, '>')
    if r then
        for _, e in ipairs(r[1][2]) do
            claimed[#claimed + 1] = {e[1], 0, e[2]}
        end
    end
end

-- 3. Start their leases.
for first = 1, #claimed, 500 do
    local args = {'XCLAIM', stream, group, consumer, '0'}
    for i = first, math.min(first + 499, #claimed) do
        args[#args + 1] = claimed[i][1]
    end
    args[#args + 1] = 'IDLE'
    args[#args + 1] = ARGV[4]
    args[#args + 1] = 'JUSTID'
    redis.call(unpack(args))
end
return claimed
