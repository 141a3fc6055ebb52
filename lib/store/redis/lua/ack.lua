-- Acknowledges outbox events (key layout: redis_store.hpp): XACK takes them off the group's
-- pending list and XDEL out of the stream, so the stream's length is what is pending.
-- KEYS[1] outbox   ARGV[1] group   ARGV[2..] event ids
-- XACK fails with NOGROUP before the first claim created the group; the XDEL still applies.
redis.pcall('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
