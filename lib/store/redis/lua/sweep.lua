-- Removes up to a limit of expired documents and appends one 'expired' event per document, as one
-- commit (key layout: redis_store.hpp). Atomic, so concurrent sweepers never sweep a document twice.
-- KEYS[1] commit sequence   KEYS[2] outbox   KEYS[3] every expiring document (zset: key -> expires_at)
-- ARGV[1] sweep instant (microseconds; expires_at <= it is expired)   ARGV[2] limit
-- ARGV[3] event time (microseconds)   ARGV[4] the key tag, '{prefix}:'
-- Returns how many documents were removed.
local due_by = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', due_by, 'LIMIT', 0, ARGV[2])
local docs = {}
for _, key in ipairs(due) do
    local f = redis.call('HMGET', key, 'b', 'k', 'i', 'x')
    if f[1] and f[4] and tonumber(f[4]) <= tonumber(due_by) then
        docs[#docs + 1] = {key = key, body = f[1], collection = f[2], id = f[3]}
    end
end
if #docs == 0 then
    return 0
end
local version = string.format('%d', tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
-- Events first, as in commit.lua: the one write that can fail goes before the others.
for j, d in ipairs(docs) do
    redis.call('XADD', KEYS[2], version .. '-' .. (j - 1), 'c', d.collection, 'd', d.id, 'a', 'expired',
        't', ARGV[3], 'data', d.body, 'r', '', 'p', '')
end
redis.call('SET', KEYS[1], version)
for _, d in ipairs(docs) do
    redis.call('DEL', d.key)
    redis.call('ZREM', ARGV[4] .. 'i:' .. d.collection, d.id)
    redis.call('ZREM', ARGV[4] .. 'e:' .. d.collection, d.id)
    redis.call('ZREM', KEYS[3], d.key)
end
return #docs
