#include <tessera/auth/rate_limiter.hpp>

#include <tessera/json/text.hpp>

#include "auth/bucket.hpp"
#if TESSERA_WITH_REDIS
#include "auth/redis/redis_rate_limiter.hpp"
#endif

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tessera::auth {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Buckets in this process, in shards so that checks on different keys rarely share a lock; all
// checks on one key share its shard's lock, which is what makes them exact.
class MemoryRateLimiter final : public RateLimiter {
public:
    explicit MemoryRateLimiter(const RateLimiterOptions& options)
        : per_shard_(std::max<std::size_t>(1, options.max_buckets / kShards)) {}

    RateDecision acquire(std::string_view key, const RateLimit& limit) override {
        if (limit.unlimited()) return RateDecision{};
        auto& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
        const double now = std::chrono::duration<double>(SteadyClock::now().time_since_epoch()).count();
        std::lock_guard lock(shard.mutex);
        auto found = shard.buckets.find(key);
        if (found == shard.buckets.end()) {
            if (shard.buckets.size() >= per_shard_) evict(shard, now, limit);
            found = shard.buckets.emplace(std::string(key), internal::Bucket{limit.burst, now}).first;
        }
        return internal::take(found->second, limit, now);
    }

    std::string_view backend() const noexcept override { return "memory"; }

private:
    static constexpr std::size_t kShards = 16;

    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, internal::Bucket, Hash, std::equal_to<>> buckets;
    };

    // A bucket that has refilled is the same as no bucket: those go first. If that frees nothing,
    // the quarter touched longest ago goes (they restart full: the cost of bounded memory).
    static void evict(Shard& shard, double now, const RateLimit& limit) {
        const std::size_t before = shard.buckets.size();
        std::erase_if(shard.buckets, [&](const auto& entry) { return internal::is_full(entry.second, limit, now); });
        if (shard.buckets.size() < before) return;
        std::vector<double> touched;
        touched.reserve(shard.buckets.size());
        for (const auto& entry : shard.buckets) touched.push_back(entry.second.updated);
        const auto cut = touched.begin() + static_cast<std::ptrdiff_t>(touched.size() / 4);
        std::nth_element(touched.begin(), cut, touched.end());
        const double oldest = *cut;
        std::erase_if(shard.buckets, [&](const auto& entry) { return entry.second.updated <= oldest; });
    }

    std::size_t per_shard_;
    std::array<Shard, kShards> shards_;
};

std::optional<double> to_double(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) || value <= 0) return std::nullopt;
    return value;
}

}  // namespace

Result<RateLimit> parse_rate(std::string_view text) {
    const auto slash = text.find('/');
    const auto count = to_double(text.substr(0, slash));
    const auto unit = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
    double seconds = 0;
    if (unit == "s") seconds = 1;
    if (unit == "min") seconds = 60;
    if (unit == "h") seconds = 3600;
    if (!count || seconds == 0) {
        return Error(ErrorCode::invalid, "'" + json::excerpt(text) + "' is not a rate (expected N/s, N/min or N/h, N > 0)");
    }
    RateLimit limit;
    limit.per_second = *count / seconds;
    limit.burst = std::max(1.0, limit.per_second);
    return limit;
}

Result<std::unique_ptr<RateLimiter>> RateLimiter::open(std::string_view url, const RateLimiterOptions& options) {
    if (url == "memory:" || url.empty()) return std::unique_ptr<RateLimiter>(std::make_unique<MemoryRateLimiter>(options));
    if (url.starts_with("redis://")) {
#if TESSERA_WITH_REDIS
        return internal::open_redis_rate_limiter(url, options);
#else
        return Error(ErrorCode::unsupported, "this build has no Redis (TESSERA_WITH_REDIS=OFF)", {{"url", url}});
#endif
    }
    return Error(ErrorCode::invalid, "bad rate-limit store URL '" + json::excerpt(url, 256) + "' (expected memory: or redis://…)",
                 {{"url", json::excerpt(url, 256)}});
}

}  // namespace tessera::auth
