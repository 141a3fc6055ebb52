#include "auth/redis/redis_rate_limiter.hpp"

#include <tessera/log.hpp>

#include "auth/bucket.hpp"
#include "store/redis/redis_connection.hpp"

#include <charconv>

namespace tessera::auth::internal {
namespace {

using store::redis::Command;
using store::redis::Connection;

// One check, atomic in Redis: the same steps as internal::take, timed by Redis's clock so replicas
// with skewed clocks share one notion of "now". KEYS[1] the bucket; ARGV rate per second, burst.
// Returns {allowed (0|1), tokens left as a string}. The key expires once the bucket would be full.
constexpr std::string_view kTakeScript = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
)lua";

class RedisRateLimiter final : public RateLimiter {
public:
    RedisRateLimiter(store::RedisConfig config, store::StoreOptions options, std::string sha)
        : prefix_("{" + config.prefix + "}:ratelimit:"), pool_(std::move(config), std::move(options)), sha_(std::move(sha)) {}

    RateDecision acquire(std::string_view key, const RateLimit& limit) override {
        if (limit.unlimited()) return RateDecision{};
        auto taken = take(key, limit);
        if (taken) return *taken;
        // A limiter that is down must not take the API down with it: allow, and say so.
        log::warn("auth", "rate limit check failed; request allowed", {{"error", taken.error().to_json()}});
        pool_.discard_idle();
        return RateDecision{};
    }

    std::string_view backend() const noexcept override { return "redis"; }

private:
    Result<RateDecision> take(std::string_view key, const RateLimit& limit) {
        auto lease = pool_.acquire(false);
        if (!lease) return std::move(lease).error();
        Command command("EVALSHA");
        command.arg(sha_).arg(1).own(prefix_ + std::string(key));
        command.own(std::to_string(limit.per_second)).own(std::to_string(limit.burst));
        auto reply = (*lease)->run(command);
        if (reply && store::redis::is_error(reply->get(), "NOSCRIPT")) {
            auto loaded = (*lease)->run(Command("SCRIPT").arg("LOAD").arg(kTakeScript));
            if (!loaded) return std::move(loaded).error();
            reply = (*lease)->run(command);
        }
        if (!reply) return std::move(reply).error();
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER) {
            return store::redis::reply_error(r, "rate limit script");
        }
        const std::string_view left = store::redis::text(r->element[1]);
        double tokens = 0;
        std::from_chars(left.data(), left.data() + left.size(), tokens);
        // Rebuild the decision from what Redis holds now: the same arithmetic as in process.
        Bucket bucket{r->element[0]->integer == 1 ? tokens + 1 : tokens, 0};
        return internal::take(bucket, limit, 0);
    }

    std::string prefix_;
    store::redis::Pool pool_;
    std::string sha_;
};

}  // namespace

Result<std::unique_ptr<RateLimiter>> open_redis_rate_limiter(std::string_view url, const RateLimiterOptions& options) {
    store::StoreOptions connection_options;
    connection_options.connect_timeout = connection_options.command_timeout = options.redis_timeout;
    auto config = store::redis::parse_url(url, connection_options);
    if (!config) return std::move(config).error();
    auto connection = Connection::open(*config, connection_options);
    if (!connection) return std::move(connection).error();
    auto loaded = (*connection)->run(Command("SCRIPT").arg("LOAD").arg(kTakeScript));
    if (!loaded) return std::move(loaded).error();
    if ((*loaded)->type != REDIS_REPLY_STRING) return store::redis::reply_error(loaded->get(), "cannot load the rate limit script");
    std::string sha(store::redis::text(loaded->get()));
    return std::unique_ptr<RateLimiter>(std::make_unique<RedisRateLimiter>(std::move(*config), connection_options, std::move(sha)));
}

}  // namespace tessera::auth::internal
