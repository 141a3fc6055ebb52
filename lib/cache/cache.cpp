#include <tessera/cache/cache.hpp>

#include <tessera/cache/lru_cache.hpp>
#include <tessera/json/text.hpp>

#if TESSERA_WITH_REDIS
#include "cache/redis/redis_cache.hpp"
#endif

#include <atomic>
#include <charconv>
#include <limits>

namespace tessera::cache {
namespace {

// A URL goes into messages without its credentials.
std::string redacted(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return json::excerpt(url, 256);
    const auto at = url.find('@', scheme_end + 3);
    const auto path = url.find_first_of("/?#", scheme_end + 3);
    if (at == std::string_view::npos || (path != std::string_view::npos && path < at)) return json::excerpt(url, 256);
    return json::excerpt(std::string(url.substr(0, scheme_end + 3)) + "***@" + std::string(url.substr(at + 1)), 256);
}

Error bad_url(std::string_view url, std::string_view why) {
    const std::string shown = redacted(url);
    return Error(ErrorCode::invalid, "bad cache URL '" + shown + "': " + std::string(why), {{"url", shown}});
}

std::optional<std::size_t> to_size(std::string_view text) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || text.empty()) return std::nullopt;
    const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
    unsigned shift = 0;
    if (unit == "KiB") shift = 10;
    else if (unit == "MiB") shift = 20;
    else if (unit == "GiB") shift = 30;
    else if (!unit.empty()) return std::nullopt;
    if (value == 0 || value > (std::numeric_limits<std::size_t>::max() >> shift)) return std::nullopt;
    return value << shift;
}

// Caches nothing: for deployments that want every request to reach the source.
class NullCache final : public Cache {
public:
    Result<std::optional<std::string>> get(std::string_view) override {
        ++misses_;
        return std::optional<std::string>();
    }
    Result<Lookup> lookup(std::string_view) override {
        ++misses_;
        return Lookup{};
    }
    Result<void> put(std::string_view, std::string_view, std::chrono::milliseconds) override { return {}; }
    Result<bool> fill(std::string_view, std::string_view, std::chrono::milliseconds, const FillTicket&) override {
        return false;
    }
    Result<void> erase(std::string_view) override { return {}; }
    Result<void> clear() override { return {}; }
    CacheStats stats() const noexcept override {
        CacheStats out;
        out.misses = misses_.load(std::memory_order_relaxed);
        out.evictions = out.expirations = out.entries = out.bytes = 0;
        return out;
    }
    std::string_view backend() const noexcept override { return "off"; }

private:
    std::atomic<std::uint64_t> misses_{0};
};

Result<std::unique_ptr<Cache>> open_lru(std::string_view url, CacheOptions options) {
    std::string_view rest = url.substr(4);  // after "lru:"
    const auto question = rest.find('?');
    const std::string_view entries = rest.substr(0, question);
    std::string_view query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
    if (!entries.empty()) {
        std::size_t value = 0;
        auto [end, ec] = std::from_chars(entries.data(), entries.data() + entries.size(), value);
        if (ec != std::errc{} || end != entries.data() + entries.size() || value == 0) {
            return bad_url(url, "the entry bound must be a positive number (lru:<entries>)");
        }
        options.max_entries = value;
    }
    if (question != std::string_view::npos && query.empty()) return bad_url(url, "empty query");
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (!param.starts_with("bytes=")) {
            return bad_url(url, "unknown parameter '" + json::excerpt(param) + "' (lru takes bytes=N)");
        }
        const auto bytes = to_size(param.substr(6));
        if (!bytes) return bad_url(url, "bytes must be a positive number, optionally with KiB, MiB or GiB");
        options.max_bytes = *bytes;
    }
    if (options.max_entries == 0 || options.max_bytes == 0) return bad_url(url, "the bounds must be positive");
    return std::unique_ptr<Cache>(std::make_unique<LruCache>(options));
}

}  // namespace

Result<std::unique_ptr<Cache>> Cache::open(std::string_view url, const CacheOptions& options) {
    if (url == "off" || url == "none") return std::unique_ptr<Cache>(std::make_unique<NullCache>());
    if (url.starts_with("lru:")) return open_lru(url, options);
    if (url.starts_with("redis://")) {
#if TESSERA_WITH_REDIS
        auto opened = internal::open_redis_cache(url, options);
        if (!opened && opened.error().code() == ErrorCode::invalid) return bad_url(url, opened.error().message());
        return opened;
#else
        (void)options;
        return Error(ErrorCode::unsupported, "this build has no Redis cache (TESSERA_WITH_REDIS=OFF)",
                     {{"url", redacted(url)}});
#endif
    }
    return bad_url(url, "unknown scheme (expected lru:<entries>, redis://… or off)");
}

}  // namespace tessera::cache
