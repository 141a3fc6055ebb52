#pragma once
/// @file tessera/cache/lru_cache.hpp
/// @brief `LruCache`: an in-process `Cache` bounded by entries and bytes, evicting the least recently used.

#include <tessera/cache/cache.hpp>

#include <memory>

namespace tessera::cache {

/// A `Cache` in this process's memory, bounded by `CacheOptions::max_entries` and `max_bytes`.
///
/// Accounting: an entry costs `key.size() + value.size() + kEntryOverhead` bytes (the overhead
/// stands for its list and hash-map nodes, string headers and allocator slack). Layout: keys are
/// spread by hash over up to 16 shards (fewer for small bounds: one shard per 256 entries), each a
/// mutex, a recency list and a hash map; each shard holds an equal share of both bounds, so the
/// totals never exceed them, and eviction (least recently used first; `get` and `put` refresh an
/// entry) is exact within a shard. An entry larger than a shard's share of `max_bytes` is not
/// stored. TTLs are checked when an entry is read, against `CacheOptions::clock`; an expired entry
/// is never returned and is removed when found (or evicted, as any other).
///
/// Thread-safe; calls on keys in different shards do not contend. Never fails: every call returns
/// a value.
class LruCache final : public Cache {
public:
    /// Bytes counted per entry on top of its key and value.
    static constexpr std::size_t kEntryOverhead = 160;

    /// Requires: `options.max_entries > 0`, `options.max_bytes > 0`.
    explicit LruCache(const CacheOptions& options = {});
    ~LruCache() override;
    LruCache(const LruCache&) = delete;
    LruCache& operator=(const LruCache&) = delete;

    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<Lookup> lookup(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
    Result<bool> fill(std::string_view key,
                      std::string_view value,
                      std::chrono::milliseconds ttl,
                      const FillTicket& ticket) override;
    Result<void> erase(std::string_view key) override;
    Result<void> clear() override;
    CacheStats stats() const noexcept override;
    std::string_view backend() const noexcept override { return "lru"; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::cache
