-- One page of a collection in byte-wise id order, skipping expired documents (key layout:
-- redis_store.hpp). Read-only; atomic, so the page is one snapshot.
-- KEYS[1] the collection's id index (zset, all scores 0)
-- ARGV[1] the collection's document key prefix ('{prefix}:d:<length>:<collection>:')
-- ARGV[2] resume after this id ('' = from the start)   ARGV[3] live documents wanted   ARGV[4] now (microseconds)
-- Returns a flat array, six entries per document: id, body, version, created, updated, expires ('' = never).
local want = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local from = ARGV[2] == '' and '-' or '(' .. ARGV[2]
local out = {}
local found = 0
while found < want do
    local ids = redis.call('ZRANGEBYLEX', KEYS[1], from, '+', 'LIMIT', 0, want - found)
    if #ids == 0 then
        break
    end
    for _, id in ipairs(ids) do
        local f = redis.call('HMGET', ARGV[1] .. id, 'b', 'v', 'c', 'u', 'x')
        if f[1] and (not f[5] or tonumber(f[5]) > now) then
            out[#out + 1] = id
            out[#out + 1] = f[1]
            out[#out + 1] = f[2]
            out[#out + 1] = f[3]
            out[#out + 1] = f[4]
            out[#out + 1] = f[5] or ''
            found = found + 1
        end
    end
    from = '(' .. ids[#ids]
end
return out
