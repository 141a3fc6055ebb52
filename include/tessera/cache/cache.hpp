#pragma once
/// @file tessera/cache/cache.hpp
/// @brief `Cache`: a bounded key-value cache with TTLs, in process (`lru:`) or shared by replicas (`redis://`).

#include <tessera/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::cache {

/// The `ttl` that means "no expiry": the entry lives until it is evicted, erased or cleared.
/// (A computed TTL of 0 or less is not this: it means "already expired", see `Cache::put`.)
inline constexpr std::chrono::milliseconds kNoExpiry = std::chrono::milliseconds::max();

/// Options of `Cache::open`. Field comments give defaults and units.
struct CacheOptions {
    /// `lru:` bound on entries; `lru:<entries>` in the URL overrides it. Default 10,000.
    std::size_t max_entries = 10000;
    /// `lru:` bound on bytes (accounting in `LruCache`); `?bytes=N` in the URL overrides it. Default 64 MiB.
    std::size_t max_bytes = std::size_t{64} << 20;
    /// Keys longer than this are never stored (`get` misses, `put` stores nothing). Default 4 KiB.
    std::size_t max_key_bytes = 4096;
    /// Values longer than this are never stored. Default 1 MiB.
    std::size_t max_value_bytes = std::size_t{1} << 20;
    /// `redis://`: connect and command timeout; the URL's `timeout_ms` overrides it. Default 250 ms: a
    /// cache that is slow is worse than no cache.
    std::chrono::milliseconds redis_timeout{250};
    /// `redis://`: how long `erase` remembers an invalidation against a concurrent `fill` (see
    /// `Cache::fill`). A fill must finish within this after its `lookup`. Default 60 s.
    std::chrono::milliseconds invalidation_hold{60000};
    /// `lru:`: source of "now" for TTLs. Default (empty): `std::chrono::steady_clock::now`. Tests inject
    /// a manual clock; it must be callable from any thread.
    std::function<std::chrono::steady_clock::time_point()> clock;
};

/// Counters since the cache was opened, for /metrics. Redis counts this process's calls only.
struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;     ///< Includes expired entries and keys too long to be stored.
    std::uint64_t puts = 0;       ///< Entries stored by `put` and successful `fill`s.
    std::uint64_t rejected = 0;   ///< Entries not stored: too large, already expired, or a fill that lost to an invalidation.
    std::uint64_t errors = 0;     ///< Calls that failed (Redis unreachable or timing out).
    std::optional<std::uint64_t> evictions;    ///< Entries dropped to stay within bounds; Redis: unknown.
    std::optional<std::uint64_t> expirations;  ///< Expired entries removed; Redis: unknown.
    std::optional<std::uint64_t> entries;      ///< Entries held now (expired ones not yet removed included); Redis: unknown.
    std::optional<std::uint64_t> bytes;        ///< Bytes held now, as the bound counts them; Redis: unknown.

    bool operator==(const CacheStats&) const = default;
};

/// What `Cache::lookup` hands to a later `Cache::fill` of the same key. Opaque: only meaningful to
/// the cache and key it came from.
struct FillTicket {
    std::uint64_t generation = 0;
    std::uint64_t epoch = 0;

    bool operator==(const FillTicket&) const = default;
};

/// The outcome of `Cache::lookup`: the value on a hit; on a miss, the ticket for filling it.
struct Lookup {
    std::optional<std::string> value;
    FillTicket ticket;
};

/// A cache of byte strings under byte-string keys (both binary safe). Entries may disappear at any
/// time (bounds, TTL, another replica's `erase`), so a cache is never a source of truth.
///
/// Consistency: `erase` (and `clear`) take effect before they return: a `get` that starts after
/// `erase(key)` returned, in any thread (Redis: any replica), never sees the old value. A
/// read-through cache fills with `lookup` + `fill`, which refuses a value read before a concurrent
/// `erase`/`put` of the key, so a writer that commits, then erases, never leaves a stale value behind.
///
/// Errors: a remote backend that is down or slow gives `unavailable`/`timeout` within
/// `CacheOptions::redis_timeout` (never a hang); callers treat that as a miss. Thread safety: every
/// member function may be called concurrently from any number of threads.
class Cache {
public:
    virtual ~Cache() = default;

    /// Opens the cache named by `url`:
    /// - `lru:` or `lru:<entries>[?bytes=N]` (N plain bytes or with a `KiB`/`MiB`/`GiB` suffix): an
    ///   `LruCache` in this process; defaults from `options` (10,000 entries, 64 MiB).
    /// - `redis://[[user]:password@]host[:port][/db][?prefix=P&timeout_ms=N]`: Redis, shared by every
    ///   replica (port 6379, db 0, prefix "tessera", keys `{P}:cache:…`); connects once to check.
    /// - `off` or `none`: caches nothing (every `get` misses).
    /// Errors: `invalid` (malformed URL, unknown scheme or parameter, a bound of 0), `unsupported`
    /// (Redis compiled out), `unavailable`/`timeout` (cannot reach Redis).
    static Result<std::unique_ptr<Cache>> open(std::string_view url, const CacheOptions& options = {});

    /// The value under `key`, or `std::nullopt` (absent, expired, key too long). Errors:
    /// `unavailable`, `timeout`.
    virtual Result<std::optional<std::string>> get(std::string_view key) = 0;

    /// As `get`, and on a miss the ticket for `fill`.
    virtual Result<Lookup> lookup(std::string_view key) = 0;

    /// Stores `value` under `key` for `ttl` (`kNoExpiry`: no TTL), replacing any entry; the entry is
    /// never served after `ttl`. If it cannot be stored (key or value over the limits, `ttl` <= 0),
    /// the old entry is erased instead, so a `get` never returns what this call replaced. Errors:
    /// `unavailable`, `timeout` (the old entry may still be there).
    virtual Result<void> put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) = 0;

    /// Stores `value` under `key` for `ttl` only if nothing was stored or erased under `key` since the
    /// `lookup` that gave `ticket` (and the cache was not cleared). Returns whether it was stored
    /// (false also for the reasons `put` would not store it). Redis forgets an invalidation after
    /// `CacheOptions::invalidation_hold`, or earlier if its maxmemory policy evicts the marker.
    /// Errors: `unavailable`, `timeout`.
    virtual Result<bool> fill(std::string_view key,
                              std::string_view value,
                              std::chrono::milliseconds ttl,
                              const FillTicket& ticket) = 0;

    /// Removes `key`'s entry (no-op if absent) and invalidates pending fills of it. Errors:
    /// `unavailable`, `timeout`: then the entry may still be there (until its TTL), so a writer must
    /// not count on it being gone. A write that timed out may still take effect later (Redis runs
    /// what it was sent); this holds for every call.
    virtual Result<void> erase(std::string_view key) = 0;

    /// Removes every entry (Redis: every key of this prefix, in bounded batches) and invalidates
    /// pending fills. Errors: `unavailable`, `timeout` (then some entries may remain).
    virtual Result<void> clear() = 0;

    /// The counters now. No I/O.
    virtual CacheStats stats() const noexcept = 0;

    /// "lru", "redis" or "off".
    virtual std::string_view backend() const noexcept = 0;
};

}  // namespace tessera::cache
