#pragma once
// Private: the Redis backend behind `redis://[[user]:password@]host[:port][/db][?prefix=P&timeout_ms=N]`.
//
// Key layout. Every key of a store starts with the hash tag "{P}:" (P = the URL's prefix, default
// "tessera"; it may not contain '{' or '}'):
//
//   {P}:seq                         string  the store-wide commit sequence (the last version)
//   {P}:outbox                      stream  events, entry id "<version>-<n>" (= Event::id), fields
//                                           c d a t data r p; consumer group "tessera"
//   {P}:ttl                         zset    key of every document that has an expiry -> expires_at
//   {P}:d:<len>:<collection>:<id>   hash    a document: b body, v version, c created, u updated,
//                                           x expires_at (absent: never), k collection, i id
//                                           (<len> = the collection's length in bytes, so no
//                                           collection/id pair can spell another's key)
//   {P}:i:<collection>              zset    the collection's ids, every score 0 (ZRANGEBYLEX pages
//                                           in byte-wise id order)
//   {P}:e:<collection>              zset    the collection's ids that have an expiry -> expires_at
//
// Times are integer microseconds since the Unix epoch (exact in Lua's doubles until year 2255).
//
// Redis Cluster: a cluster hashes only the text between the first '{' and the next '}', so every
// key of one store lands in one hash slot. That is what the scripts need — a commit checks and
// writes documents of any collections together with the sequence and the outbox — and it keeps a
// whole document graph (a root and its linked entities, in any collections) in one slot. A cluster
// deployment spreads load by running several stores (prefixes): per tenant, or per shard of the
// root-id space (e.g. prefix "tessera:<hash(root id) mod N>"); a graph never spans two prefixes.
//
// Atomicity: commit, sweep, scan, count, claim and ack are Lua scripts (lua/*.lua, embedded at
// build time), loaded once with SCRIPT LOAD and called with EVALSHA; a NOSCRIPT reply (Redis
// restarted or flushed its script cache) reloads the script and retries. get and get_many are plain
// HMGETs (get_many pipelined in MULTI/EXEC).
//
// Outbox leases: claims go through the consumer group (XREADGROUP for new events, XAUTOCLAIM for
// expired leases, XACK + XDEL on ack). The lease is carried by the group's idle time: a claimed
// entry's idle time is set to (30 days - lease) with XCLAIM IDLE, and XAUTOCLAIM reclaims entries
// idle for 30 days, i.e. exactly those whose lease has run out. Leases are capped at 30 days and
// measured on the Redis server's clock.
//
// Connections: a pool lends each calling thread its own hiredis connection for the duration of a
// call (see redis_connection.hpp). Connect and command timeouts bound every call; a dead
// connection is dropped (with the pool's idle ones) and the next call reconnects. A read that
// finds its reused connection dead is retried once on a fresh one; a write is never retried (it
// may have been applied), so before a write an idle connection is checked, without blocking, for
// having been closed by the server (e.g. after a Redis restart).

#include "store/redis/redis_connection.hpp"

#include <tessera/store/store.hpp>

#include <memory>

namespace tessera::store {

class RedisStore final : public Store {
public:
    /// Connects, loads the scripts and creates the outbox's consumer group. Errors: `invalid` (a
    /// prefix with '{' or '}'), `unavailable` / `timeout` (cannot connect or authenticate).
    static Result<std::unique_ptr<Store>> open(RedisConfig config, const StoreOptions& options);

    ~RedisStore() override;
    RedisStore(const RedisStore&) = delete;
    RedisStore& operator=(const RedisStore&) = delete;

    Result<Document> get(std::string_view collection, std::string_view id) override;
    Result<std::vector<std::optional<Document>>> get_many(std::string_view collection,
                                                          std::span<const std::string> ids) override;
    Result<Page> scan(std::string_view collection, std::string_view cursor, std::size_t limit) override;
    Result<std::uint64_t> count(std::string_view collection) override;
    Result<CommitResult> commit(const Batch& batch) override;
    Result<std::size_t> sweep_expired(TimePoint now, std::size_t limit) override;
    Result<std::vector<Event>> claim(std::size_t max, std::chrono::milliseconds lease) override;
    Result<void> ack(std::span<const std::string> event_ids) override;
    Result<OutboxStats> outbox_stats() override;
    Result<void> ping() override;
    std::string_view backend() const noexcept override { return "redis"; }

private:
    struct Impl;
    explicit RedisStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::store
