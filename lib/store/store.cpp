#include <tessera/store/store.hpp>

#include <tessera/store/memory_store.hpp>

#include "store/sqlite/sqlite_store.hpp"
#if TESSERA_WITH_REDIS
#include "store/redis/redis_store.hpp"
#endif

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <map>

namespace tessera::store {
namespace {

Error bad_url(std::string_view url, std::string why) {
    return Error(ErrorCode::invalid, "bad store URL '" + std::string(url) + "': " + why, {{"url", url}});
}

// Parses all of `text` as a decimal number in [min, max].
template <class T>
std::optional<T> to_number(std::string_view text, T min, T max) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
    return value;
}

Result<std::unique_ptr<Store>> open_memory(std::string_view url, boost::urls::url_view u, const StoreOptions& options) {
    if (u.has_authority() || !u.path().empty() || u.has_query() || u.has_fragment()) {
        return bad_url(url, "memory: takes no path or parameters");
    }
    return std::unique_ptr<Store>(std::make_unique<MemoryStore>(options));
}

Result<std::unique_ptr<Store>> open_sqlite(std::string_view url, boost::urls::url_view u, const StoreOptions& options) {
    SqliteConfig config;
    // Accept `sqlite:relative/or/absolute` and `sqlite:///absolute` (an empty authority).
    if (u.has_authority() && !u.encoded_authority().empty()) {
        return bad_url(url, "sqlite: takes a file path, not a host (use sqlite:/abs/path or sqlite:rel/path)");
    }
    config.path = u.path();
    if (config.path.empty()) return bad_url(url, "sqlite: needs a file path");
    if (u.has_fragment()) return bad_url(url, "sqlite: takes no fragment");
    for (const auto& param : u.params()) {
        if (param.key == "synchronous" && param.value == "normal") {
            config.full_sync = false;
        } else if (param.key == "synchronous" && param.value == "full") {
            config.full_sync = true;
        } else {
            return bad_url(url, "unknown parameter '" + param.key + "=" + param.value +
                                    "' (sqlite takes synchronous=normal|full)");
        }
    }
    return SqliteStore::open(std::move(config), options);
}

Result<std::unique_ptr<Store>> open_redis(std::string_view url, const StoreOptions& options) {
#if TESSERA_WITH_REDIS
    StoreOptions effective = options;
    auto config = redis::parse_url(url, effective);
    if (!config) return std::move(config).error();
    return RedisStore::open(std::move(*config), effective);
#else
    (void)options;
    return Error(ErrorCode::unsupported, "this build has no Redis store (TESSERA_WITH_REDIS=OFF)", {{"url", url}});
#endif
}

}  // namespace

#if TESSERA_WITH_REDIS
Result<RedisConfig> redis::parse_url(std::string_view url, StoreOptions& options) {
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed || parsed->scheme() != "redis") return bad_url(url, "expected redis://host:port/db");
    const boost::urls::url_view u = *parsed;
    RedisConfig config;
    config.host = u.host_address();
    if (config.host.empty()) return bad_url(url, "redis:// needs a host");
    if (u.has_port()) {
        const auto port = to_number<int>(u.port(), 1, 65535);
        if (!port) return bad_url(url, "port must be 1..65535");
        config.port = *port;
    }
    if (u.has_userinfo()) {
        config.user = u.user();
        if (u.has_password()) config.password = u.password();
    }
    const std::string path = u.path();
    if (!path.empty() && path != "/") {
        const auto db = to_number<int>(std::string_view(path).substr(1), 0, 1 << 20);
        if (path.front() != '/' || !db) return bad_url(url, "the path must be a database number (/0, /1, ...)");
        config.db = *db;
    }
    if (u.has_fragment()) return bad_url(url, "redis:// takes no fragment");
    for (const auto& param : u.params()) {
        if (param.key == "prefix" && !param.value.empty()) {
            config.prefix = param.value;
        } else if (param.key == "timeout_ms") {
            const auto ms = to_number<long>(param.value, 1, 3'600'000);
            if (!ms) return bad_url(url, "timeout_ms must be 1..3600000");
            options.connect_timeout = options.command_timeout = std::chrono::milliseconds(*ms);
        } else {
            return bad_url(url, "unknown parameter '" + param.key + "' (redis takes prefix and timeout_ms)");
        }
    }
    return config;
}
#endif

Result<std::vector<std::optional<Document>>> Store::get_refs(std::span<const DocumentRef> refs) {
    // Positions of the refs per collection, so each collection is one get_many.
    std::map<std::string_view, std::pair<std::vector<std::string>, std::vector<std::size_t>>> by_collection;
    for (std::size_t i = 0; i < refs.size(); ++i) {
        auto& [ids, positions] = by_collection[refs[i].collection];
        ids.emplace_back(refs[i].id);
        positions.push_back(i);
    }
    std::vector<std::optional<Document>> out(refs.size());
    for (const auto& [collection, wanted] : by_collection) {
        auto found = get_many(collection, wanted.first);
        if (!found) return std::move(found).error();
        for (std::size_t k = 0; k < found->size(); ++k) out[wanted.second[k]] = std::move((*found)[k]);
    }
    return out;
}

Result<std::unique_ptr<Store>> Store::open(std::string_view url, const StoreOptions& options) {
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return bad_url(url, parsed.error().message());
    const boost::urls::url_view u = *parsed;
    const auto scheme = u.scheme();
    if (scheme == "memory") return open_memory(url, u, options);
    if (scheme == "sqlite") return open_sqlite(url, u, options);
    if (scheme == "redis") return open_redis(url, options);
    return bad_url(url, "unknown scheme '" + std::string(scheme) + "' (expected memory:, sqlite: or redis://)");
}

}  // namespace tessera::store
