-- Live documents of a collection: all ids minus those whose expiry has passed (key layout:
-- redis_store.hpp). KEYS[1] id index, KEYS[2] expiry index; ARGV[1] now (microseconds).
return redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[1])
