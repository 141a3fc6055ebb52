#include <tessera/cache/lru_cache.hpp>

#include <tessera/assert.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

namespace tessera::cache {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

constexpr std::size_t kMaxShards = 16;
// Below this many entries per shard, fewer shards: a small cache keeps an exact LRU order.
constexpr std::size_t kMinEntriesPerShard = 256;
// Fill guards per shard (see Shard::touched).
constexpr std::size_t kGuardSlots = 256;

struct Entry {
    std::string key;
    std::string value;
    TimePoint expires_at;
    std::size_t cost = 0;
};

using Recency = std::list<Entry>;

struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
};

struct Shard {
    std::mutex mutex;
    Recency recency;  // front: most recently used
    // Keys are views of the entries' own keys: list nodes never move, so the views stay valid.
    std::unordered_map<std::string_view, Recency::iterator, Hash, std::equal_to<>> index;
    std::size_t bytes = 0;
    // Fill guards: `tick` advances on every put, erase and clear of this shard; touched[slot] is
    // the tick of the last put or erase of a key hashing to that slot, cleared_at the tick of the
    // last clear. A fill whose ticket (the tick at its lookup) is older than either lost a race to
    // a writer and must not store. Colliding keys only make a fill refuse when it need not.
    std::uint64_t tick = 0;
    std::uint64_t cleared_at = 0;
    std::array<std::uint64_t, kGuardSlots> touched{};
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t puts = 0;
    std::uint64_t rejected = 0;
    std::uint64_t evictions = 0;
    std::uint64_t expirations = 0;

    void remove(Recency::iterator it) {
        bytes -= it->cost;
        index.erase(std::string_view(it->key));
        recency.erase(it);
    }
    void touch(std::size_t slot) { touched[slot] = ++tick; }
};

TimePoint expiry(TimePoint now, std::chrono::milliseconds ttl) {
    if (ttl == kNoExpiry) return TimePoint::max();
    // Compared in milliseconds: converting a huge ttl to the clock's nanoseconds would overflow.
    if (ttl >= std::chrono::duration_cast<std::chrono::milliseconds>(TimePoint::max() - now)) return TimePoint::max();
    return now + ttl;
}

}  // namespace

struct LruCache::Impl {
    explicit Impl(const CacheOptions& options)
        : shard_count(std::clamp<std::size_t>(options.max_entries / kMinEntriesPerShard, 1, kMaxShards)),
          entries_per_shard(options.max_entries / shard_count),
          bytes_per_shard(options.max_bytes / shard_count),
          max_key_bytes(options.max_key_bytes),
          max_value_bytes(options.max_value_bytes),
          clock(options.clock ? options.clock : std::function<TimePoint()>(&Clock::now)),
          shards(std::make_unique<Shard[]>(shard_count)) {}

    struct Place {
        Shard& shard;
        std::size_t slot;
    };
    Place place(std::string_view key) const noexcept {
        const std::size_t h = Hash{}(key);
        // The slot takes other bits of the hash than the shard, so keys of one shard spread over all slots.
        return {shards[h % shard_count], (h >> 32 ^ h >> 8) % kGuardSlots};
    }

    std::size_t cost(std::string_view key, std::string_view value) const noexcept {
        return key.size() + value.size() + kEntryOverhead;
    }
    bool storable(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) const noexcept {
        return ttl.count() > 0 && key.size() <= max_key_bytes && value.size() <= max_value_bytes &&
               cost(key, value) <= bytes_per_shard;
    }

    // The live entry for `key`, refreshed; expired entries are removed on the way. Requires: the lock.
    std::optional<std::string> read(Shard& shard, std::string_view key) {
        const auto found = shard.index.find(key);
        if (found == shard.index.end()) {
            ++shard.misses;
            return std::nullopt;
        }
        const auto it = found->second;
        if (it->expires_at <= clock()) {
            shard.remove(it);
            ++shard.expirations;
            ++shard.misses;
            return std::nullopt;
        }
        shard.recency.splice(shard.recency.begin(), shard.recency, it);
        ++shard.hits;
        return it->value;
    }

    // Stores the entry as the most recent one, then evicts from the old end until within bounds
    // (never the new entry itself: `storable` checked it fits a shard alone). Requires: the lock.
    void store(Shard& shard, std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
        const auto found = shard.index.find(key);
        if (found != shard.index.end()) {
            const auto it = found->second;
            shard.bytes -= it->cost;
            it->value = std::string(value);  // a fresh string: the old buffer may be larger than the new value
            it->expires_at = expiry(clock(), ttl);
            it->cost = cost(key, value);
            shard.bytes += it->cost;
            shard.recency.splice(shard.recency.begin(), shard.recency, it);
        } else {
            shard.recency.push_front(Entry{std::string(key), std::string(value), expiry(clock(), ttl), cost(key, value)});
            shard.index.emplace(std::string_view(shard.recency.front().key), shard.recency.begin());
            shard.bytes += shard.recency.front().cost;
        }
        ++shard.puts;
        while (shard.index.size() > entries_per_shard || shard.bytes > bytes_per_shard) {
            shard.remove(std::prev(shard.recency.end()));
            ++shard.evictions;
        }
    }

    const std::size_t shard_count;
    const std::size_t entries_per_shard;
    const std::size_t bytes_per_shard;
    const std::size_t max_key_bytes;
    const std::size_t max_value_bytes;
    const std::function<TimePoint()> clock;
    const std::unique_ptr<Shard[]> shards;
};

LruCache::LruCache(const CacheOptions& options) {
    TESSERA_ASSERT(options.max_entries > 0 && options.max_bytes > 0);
    impl_ = std::make_unique<Impl>(options);
}

LruCache::~LruCache() = default;

Result<std::optional<std::string>> LruCache::get(std::string_view key) {
    auto [shard, slot] = impl_->place(key);
    std::lock_guard lock(shard.mutex);
    return impl_->read(shard, key);
}

Result<Lookup> LruCache::lookup(std::string_view key) {
    auto [shard, slot] = impl_->place(key);
    std::lock_guard lock(shard.mutex);
    Lookup out;
    out.value = impl_->read(shard, key);
    out.ticket.generation = shard.tick;
    return out;
}

Result<void> LruCache::put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
    auto [shard, slot] = impl_->place(key);
    std::lock_guard lock(shard.mutex);
    shard.touch(slot);
    if (!impl_->storable(key, value, ttl)) {
        // What this put replaces must not be served any more, stored or not.
        ++shard.rejected;
        if (const auto found = shard.index.find(key); found != shard.index.end()) shard.remove(found->second);
        return {};
    }
    impl_->store(shard, key, value, ttl);
    return {};
}

Result<bool> LruCache::fill(std::string_view key,
                            std::string_view value,
                            std::chrono::milliseconds ttl,
                            const FillTicket& ticket) {
    auto [shard, slot] = impl_->place(key);
    std::lock_guard lock(shard.mutex);
    // An entry present now was put (or filled by another reader) after our miss: it is at least as new.
    const bool raced = shard.touched[slot] > ticket.generation || shard.cleared_at > ticket.generation ||
                       ticket.generation > shard.tick || shard.index.contains(key);
    if (raced || !impl_->storable(key, value, ttl)) {
        ++shard.rejected;
        return false;
    }
    impl_->store(shard, key, value, ttl);
    return true;
}

Result<void> LruCache::erase(std::string_view key) {
    auto [shard, slot] = impl_->place(key);
    std::lock_guard lock(shard.mutex);
    shard.touch(slot);
    if (const auto found = shard.index.find(key); found != shard.index.end()) shard.remove(found->second);
    return {};
}

Result<void> LruCache::clear() {
    for (std::size_t i = 0; i < impl_->shard_count; ++i) {
        Shard& shard = impl_->shards[i];
        Recency dropped;
        {
            std::lock_guard lock(shard.mutex);
            shard.index.clear();
            dropped.swap(shard.recency);
            shard.bytes = 0;
            shard.cleared_at = ++shard.tick;
        }
        // `dropped` frees its entries here, outside the lock.
    }
    return {};
}

CacheStats LruCache::stats() const noexcept {
    CacheStats out;
    out.evictions = out.expirations = out.entries = out.bytes = 0;
    for (std::size_t i = 0; i < impl_->shard_count; ++i) {
        Shard& shard = impl_->shards[i];
        std::lock_guard lock(shard.mutex);
        out.hits += shard.hits;
        out.misses += shard.misses;
        out.puts += shard.puts;
        out.rejected += shard.rejected;
        *out.evictions += shard.evictions;
        *out.expirations += shard.expirations;
        *out.entries += shard.index.size();
        *out.bytes += shard.bytes;
    }
    return out;
}

}  // namespace tessera::cache
