-- Applies one Batch atomically (key layout: redis_store.hpp).
-- KEYS[1] commit sequence (string)   KEYS[2] outbox (stream)   KEYS[3] every expiring document (zset: key -> expires_at)
-- KEYS[3 + 3(i-1) + 1..3], for op i: the document (hash), its collection's id index (zset, all
--   scores 0, so ZRANGEBYLEX pages in byte order), its collection's expiry index (zset: id -> expires_at)
-- ARGV[1] now (microseconds)   ARGV[2] op count   ARGV[3] event count
-- then 7 per op: 'put'|'remove'|'check', 'any'|'absent'|'exists'|'version', expected version, collection,
--   id, body, expires_at ('' = never)
-- then 6 per event: collection, document_id, action, data, root_id, parent_id
-- Returns {'ok', version} or {'precondition_failed', op index (0-based), actual version (0 if absent)}.
local now_text = ARGV[1]
local now = tonumber(now_text)
local nops = tonumber(ARGV[2])
local nevents = tonumber(ARGV[3])
local version = string.format('%d', tonumber(redis.call('GET', KEYS[1]) or '0') + 1)

-- Pass 1: every precondition, before anything is written. A later op on the same key sees the
-- earlier ones, so the checks run against an overlay of what the batch has done so far.
local state = {}
local created = {}
for i = 1, nops do
    local a = 3 + (i - 1) * 7
    local key = KEYS[3 + (i - 1) * 3 + 1]
    local s = state[key]
    if not s then
        local f = redis.call('HMGET', key, 'v', 'x', 'c')
        if f[1] and (not f[2] or tonumber(f[2]) > now) then
            s = {live = true, version = tonumber(f[1]), created = f[3]}
        else
            s = {live = false, version = 0}
        end
    end
    local pre = ARGV[a + 2]
    local holds = pre == 'any' or (pre == 'absent' and not s.live) or (pre == 'exists' and s.live) or
        (pre == 'version' and s.live and s.version == tonumber(ARGV[a + 3]))
    if not holds then
        return {'precondition_failed', i - 1, s.version}
    end
    if ARGV[a + 1] == 'put' then
        created[i] = s.live and s.created or now_text
        s = {live = true, version = tonumber(version), created = created[i]}
    elseif ARGV[a + 1] == 'remove' then
        s = {live = false, version = 0}
    end
    state[key] = s
end

-- Pass 2: write. Events first: an XADD with an explicit id is the one write that can fail (an id
-- not above the stream's last), and failing before anything else is written keeps the commit
-- all or nothing.
for j = 1, nevents do
    local a = 3 + nops * 7 + (j - 1) * 6
    redis.call('XADD', KEYS[2], version .. '-' .. (j - 1), 'c', ARGV[a + 1], 'd', ARGV[a + 2], 'a', ARGV[a + 3],
        't', now_text, 'data', ARGV[a + 4], 'r', ARGV[a + 5], 'p', ARGV[a + 6])
end
redis.call('SET', KEYS[1], version)
for i = 1, nops do
    local a = 3 + (i - 1) * 7
    local k = 3 + (i - 1) * 3
    local key, index, expiring, id = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 5]
    local kind = ARGV[a + 1]
    if kind ~= 'check' then
        redis.call('DEL', key)
    end
    if kind == 'check' then
        -- an assertion only: nothing to write
    elseif kind == 'put' then
        local expires = ARGV[a + 7]
        if expires == '' then
            redis.call('HSET', key, 'b', ARGV[a + 6], 'v', version, 'c', created[i], 'u', now_text,
                'k', ARGV[a + 4], 'i', id)
            redis.call('ZREM', expiring, id)
            redis.call('ZREM', KEYS[3], key)
        else
            redis.call('HSET', key, 'b', ARGV[a + 6], 'v', version, 'c', created[i], 'u', now_text,
                'k', ARGV[a + 4], 'i', id, 'x', expires)
            redis.call('ZADD', expiring, expires, id)
            redis.call('ZADD', KEYS[3], expires, key)
        end
        redis.call('ZADD', index, 0, id)
    else
        redis.call('ZREM', index, id)
        redis.call('ZREM', expiring, id)
        redis.call('ZREM', KEYS[3], key)
    end
end
return {'ok', tonumber(version)}
