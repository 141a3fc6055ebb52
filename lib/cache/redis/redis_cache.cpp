#include "cache/redis/redis_cache.hpp"

#include "store/redis/redis_connection.hpp"

#include <atomic>
#include <charconv>

namespace tessera::cache::internal {
namespace {

using store::redis::Command;
using store::redis::Reply;

// Key layout under the tag T = "{prefix}:cache:" (the hash tag keeps a key and its marker in one
// cluster slot, as the scripts need):
//   T v:<key>  the value, with the entry's TTL
//   T i:<key>  invalidation marker: the `seq` value of the last erase, kept invalidation_hold
//   T seq      counter that makes every marker unique (so a marker that expired and came back
//              never matches an old ticket)
//   T epoch    counter advanced by clear
// clear deletes v: and i: keys only; seq and epoch stay, so tickets older than a clear stay refused.
// Scripts are sent with EVAL: they are a few hundred bytes, Redis caches them by digest, and there
// is no script cache to reload after a Redis restart.

// KEYS value, marker, seq; ARGV hold (ms). Removes the value and leaves a fresh marker.
constexpr std::string_view kEraseScript = R"lua(
local n = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], tostring(n), 'PX', ARGV[1])
return redis.call('DEL', KEYS[1])
)lua";

// KEYS value, marker, epoch; ARGV value, marker seen, epoch seen, ttl (ms, '0': none). Stores the
// value only if no erase or clear happened since the lookup, and nothing was stored since (NX).
constexpr std::string_view kFillScript = R"lua(
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[3] then return 0 end
local stored
if ARGV[4] == '0' then
  stored = redis.call('SET', KEYS[1], ARGV[1], 'NX')
else
  stored = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4], 'NX')
end
if stored then return 1 end
return 0
)lua";

// Keys per SCAN step and per UNLINK in clear: bounds the time each command holds Redis.
constexpr std::size_t kClearBatch = 500;

// A counter's value as Redis holds it ("0" when absent).
std::optional<std::uint64_t> to_counter(const redisReply* reply) {
    if (reply->type == REDIS_REPLY_NIL) return 0;
    if (reply->type != REDIS_REPLY_STRING) return std::nullopt;
    std::uint64_t value = 0;
    const std::string_view text = store::redis::text(reply);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// SCAN MATCH is a glob: a prefix's own glob characters must match literally.
std::string glob_escaped(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string ttl_arg(std::chrono::milliseconds ttl) { return ttl == kNoExpiry ? "0" : std::to_string(ttl.count()); }

class RedisCache final : public Cache {
public:
    RedisCache(store::RedisConfig config, store::StoreOptions connection, const CacheOptions& options)
        : tag_("{" + config.prefix + "}:cache:"),
          seq_key_(tag_ + "seq"),
          epoch_key_(tag_ + "epoch"),
          max_key_bytes_(options.max_key_bytes),
          max_value_bytes_(options.max_value_bytes),
          hold_ms_(std::to_string(std::max<std::int64_t>(1, options.invalidation_hold.count()))),
          pool_(std::move(config), std::move(connection)) {}

    Result<std::optional<std::string>> get(std::string_view key) override {
        if (key.size() > max_key_bytes_) return miss(std::optional<std::string>());
        const std::string value_key = tag_ + "v:" + std::string(key);
        auto replies = run(Command("GET").arg(value_key));
        if (!replies) return std::move(replies).error();
        const redisReply* r = replies->get();
        if (r->type == REDIS_REPLY_NIL) return miss(std::optional<std::string>());
        if (r->type != REDIS_REPLY_STRING) return failure(store::redis::reply_error(r, "cache GET"));
        ++hits_;
        return std::optional<std::string>(store::redis::text(r));
    }

    Result<Lookup> lookup(std::string_view key) override {
        if (key.size() > max_key_bytes_) return miss(Lookup{});
        const std::string value_key = tag_ + "v:" + std::string(key);
        const std::string marker_key = tag_ + "i:" + std::string(key);
        auto replies = run(Command("MGET").arg(value_key).arg(marker_key).arg(epoch_key_));
        if (!replies) return std::move(replies).error();
        const redisReply* r = replies->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return failure(store::redis::reply_error(r, "cache MGET"));
        const auto generation = to_counter(r->element[1]);
        const auto epoch = to_counter(r->element[2]);
        if (!generation || !epoch) return failure(store::redis::reply_error(r, "cache MGET (counters)"));
        Lookup out;
        out.ticket = FillTicket{*generation, *epoch};
        if (r->element[0]->type == REDIS_REPLY_NIL) return miss(std::move(out));
        if (r->element[0]->type != REDIS_REPLY_STRING) return failure(store::redis::reply_error(r->element[0], "cache MGET"));
        ++hits_;
        out.value = std::string(store::redis::text(r->element[0]));
        return out;
    }

    Result<void> put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override {
        if (key.size() > max_key_bytes_) {
            ++rejected_;
            return {};  // such a key is never stored, so there is nothing to replace
        }
        if (!storable(value, ttl)) {
            // What this put replaces must not be served any more, stored or not.
            ++rejected_;
            return erase(key);
        }
        const std::string value_key = tag_ + "v:" + std::string(key);
        Command command("SET");
        command.arg(value_key).arg(value);
        if (ttl != kNoExpiry) command.arg("PX").arg(static_cast<std::int64_t>(ttl.count()));
        auto replies = run(command);
        if (!replies) return std::move(replies).error();
        const redisReply* r = replies->get();
        if (r->type != REDIS_REPLY_STATUS) return failure(store::redis::reply_error(r, "cache SET"));
        ++puts_;
        return {};
    }

    Result<bool> fill(std::string_view key,
                      std::string_view value,
                      std::chrono::milliseconds ttl,
                      const FillTicket& ticket) override {
        if (key.size() > max_key_bytes_ || !storable(value, ttl)) {
            ++rejected_;
            return false;
        }
        const std::string value_key = tag_ + "v:" + std::string(key);
        const std::string marker_key = tag_ + "i:" + std::string(key);
        Command command("EVAL");
        command.arg(kFillScript).arg(3).arg(value_key).arg(marker_key).arg(epoch_key_);
        command.arg(value).arg(ticket.generation).arg(ticket.epoch).own(ttl_arg(ttl));
        auto replies = run(command);
        if (!replies) return std::move(replies).error();
        const redisReply* r = replies->get();
        if (r->type != REDIS_REPLY_INTEGER) return failure(store::redis::reply_error(r, "cache fill script"));
        ++(r->integer == 1 ? puts_ : rejected_);
        return r->integer == 1;
    }

    Result<void> erase(std::string_view key) override {
        if (key.size() > max_key_bytes_) return {};
        const std::string value_key = tag_ + "v:" + std::string(key);
        const std::string marker_key = tag_ + "i:" + std::string(key);
        Command command("EVAL");
        command.arg(kEraseScript).arg(3).arg(value_key).arg(marker_key).arg(seq_key_).arg(hold_ms_);
        auto replies = run(command);
        if (!replies) return std::move(replies).error();
        const redisReply* r = replies->get();
        if (r->type != REDIS_REPLY_INTEGER) return failure(store::redis::reply_error(r, "cache erase script"));
        return {};
    }

    Result<void> clear() override {
        // The epoch first: a fill that looked up before the clear is refused even if its entry is
        // written after SCAN has passed its key.
        auto bumped = run(Command("INCR").arg(epoch_key_));
        if (!bumped) return std::move(bumped).error();
        if ((*bumped)->type != REDIS_REPLY_INTEGER) return failure(store::redis::reply_error(bumped->get(), "cache INCR"));
        const std::string pattern = glob_escaped(tag_) + "[vi]:*";
        std::string cursor = "0";
        do {
            auto replies = run(Command("SCAN").arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(kClearBatch));
            if (!replies) return std::move(replies).error();
            const redisReply* r = replies->get();
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
                r->element[1]->type != REDIS_REPLY_ARRAY) {
                return failure(store::redis::reply_error(r, "cache SCAN"));
            }
            cursor = std::string(store::redis::text(r->element[0]));
            const redisReply* keys = r->element[1];
            if (keys->elements == 0) continue;
            Command unlink("UNLINK");
            for (std::size_t i = 0; i < keys->elements; ++i) unlink.arg(store::redis::text(keys->element[i]));
            auto unlinked = run(unlink);  // `r` (hence the borrowed keys) lives until here
            if (!unlinked) return std::move(unlinked).error();
            if ((*unlinked)->type != REDIS_REPLY_INTEGER) {
                return failure(store::redis::reply_error(unlinked->get(), "cache UNLINK"));
            }
        } while (cursor != "0");
        return {};
    }

    CacheStats stats() const noexcept override {
        CacheStats out;
        out.hits = hits_.load(std::memory_order_relaxed);
        out.misses = misses_.load(std::memory_order_relaxed);
        out.puts = puts_.load(std::memory_order_relaxed);
        out.rejected = rejected_.load(std::memory_order_relaxed);
        out.errors = errors_.load(std::memory_order_relaxed);
        return out;
    }

    std::string_view backend() const noexcept override { return "redis"; }

private:
    bool storable(std::string_view value, std::chrono::milliseconds ttl) const noexcept {
        return ttl.count() > 0 && value.size() <= max_value_bytes_;
    }

    template <class T>
    T miss(T value) {
        ++misses_;
        return value;
    }

    Error failure(Error error) {
        ++errors_;
        return error;
    }

    // Sends `command` and reads its reply. A connection that sat idle may have been closed by a
    // Redis restart: if a reused one fails that way, the call is retried once on a fresh connection
    // (every command here may be repeated safely). A timeout is not retried: that would double it.
    Result<Reply> run(const Command& command) {
        for (int attempt = 0;; ++attempt) {
            auto lease = pool_.acquire(false);
            if (!lease) return failure(std::move(lease).error());
            auto replies = (*lease)->run(command);
            if (replies) return replies;
            pool_.discard_idle();
            if (attempt == 0 && lease->reused() && replies.error().code() == ErrorCode::unavailable) continue;
            return failure(std::move(replies).error());
        }
    }

    const std::string tag_;
    const std::string seq_key_;
    const std::string epoch_key_;
    const std::size_t max_key_bytes_;
    const std::size_t max_value_bytes_;
    const std::string hold_ms_;
    store::redis::Pool pool_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
    std::atomic<std::uint64_t> puts_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> errors_{0};
};

}  // namespace

Result<std::unique_ptr<Cache>> open_redis_cache(std::string_view url, const CacheOptions& options) {
    store::StoreOptions connection;
    connection.connect_timeout = connection.command_timeout = options.redis_timeout;
    auto config = store::redis::parse_url(url, connection);
    if (!config) {
        // The store's message quotes the URL, password and all; keep only the reason.
        const std::string& message = config.error().message();
        const auto reason = message.rfind("': ");
        return Error(ErrorCode::invalid, reason == std::string::npos ? "not a redis:// URL" : message.substr(reason + 3));
    }
    if (config->prefix.find_first_of("{}") != std::string::npos) {
        return Error(ErrorCode::invalid, "the Redis key prefix may not contain '{' or '}' (it is the hash tag)");
    }
    auto checked = store::redis::Connection::open(*config, connection);
    if (!checked) return std::move(checked).error();
    auto pong = (*checked)->run(Command("PING"));
    if (!pong) return std::move(pong).error();
    if ((*pong)->type != REDIS_REPLY_STATUS) return store::redis::reply_error(pong->get(), "cache PING");
    return std::unique_ptr<Cache>(std::make_unique<RedisCache>(std::move(*config), std::move(connection), options));
}

}  // namespace tessera::cache::internal
