#include "config.hpp"

#include <tessera/version.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

namespace tessera::server {
namespace {

// One option: flag name (without "--"), environment variable, default shown in --help, help text,
// and how to apply a value to the config (false: the value is malformed).
struct Option {
    std::string_view name;
    std::string_view env;
    std::string_view default_text;
    std::string_view help;
    std::function<bool(Config&, std::string_view)> apply;
    bool is_switch = false;  // takes no value on the command line (the environment says 1 or 0)
};

template <class Int>
bool parse_int(std::string_view text, Int& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

bool parse_seconds(std::string_view text, std::chrono::seconds& out) {
    long long value = 0;
    if (text.ends_with('s')) text.remove_suffix(1);
    if (!parse_int(text, value) || value < 0) return false;
    out = std::chrono::seconds(value);
    return true;
}

// "250us", "1ms", "2s" or a bare number of milliseconds.
bool parse_short_duration(std::string_view text, std::chrono::microseconds& out) {
    long long value = 0;
    long long unit = 1000;
    if (text.ends_with("us")) {
        text.remove_suffix(2);
        unit = 1;
    } else if (text.ends_with("ms")) {
        text.remove_suffix(2);
    } else if (text.ends_with('s')) {
        text.remove_suffix(1);
        unit = 1000000;
    }
    if (!parse_int(text, value) || value < 0 || value > 3600LL * 1000000 / unit) return false;
    out = std::chrono::microseconds(value * unit);
    return true;
}

bool parse_listen(Config& config, std::string_view text) {
    // HOST:PORT, or [IPv6]:PORT.
    std::string_view host;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return false;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned short number = 0;
    if (host.empty() || !parse_int(port, number)) return false;
    config.listen_host = std::string(host);
    config.listen_port = number;
    return true;
}

bool parse_exposure(std::string_view text, Config::Exposure& out) {
    if (text == "auto") out = Config::Exposure::automatic;
    else if (text == "on") out = Config::Exposure::on;
    else if (text == "off") out = Config::Exposure::off;
    else return false;
    return true;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = std::min(text.find(',', at), text.size());
        if (end > at) out.emplace_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// SCOPE=RATE[:BURST], e.g. admin=1000/s:2000.
bool parse_scope_rate(Config& config, std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) return false;
    auto scope = auth::parse_scope(text.substr(0, eq));
    auto rest = text.substr(eq + 1);
    const auto colon = rest.find(':');
    auto rate = auth::parse_rate(rest.substr(0, colon));
    if (!scope || !rate) return false;
    if (colon != std::string_view::npos) {
        double burst = 0;
        auto burst_text = rest.substr(colon + 1);
        auto [end, ec] = std::from_chars(burst_text.data(), burst_text.data() + burst_text.size(), burst);
        if (ec != std::errc{} || end != burst_text.data() + burst_text.size() || burst < 1) return false;
        rate->burst = burst;
    }
    config.scope_rate_limits.emplace_back(std::move(*scope), *rate);
    return true;
}

const std::vector<Option>& options() {
    static const std::vector<Option> table{
        {"listen", "TESSERA_LISTEN", "127.0.0.1:8080", "address to listen on, HOST:PORT or [IPv6]:PORT (port 0: any free port)",
         parse_listen},
        {"store", "TESSERA_STORE", "sqlite:./var/tessera.db", "document store: sqlite:PATH | memory: | redis://HOST:PORT/DB",
         [](Config& c, std::string_view v) { c.store = std::string(v); return !v.empty(); }},
        {"bus", "TESSERA_BUS", "inproc", "event bus the outbox relay publishes to: inproc | amqp://USER:PASS@HOST:PORT/VHOST",
         [](Config& c, std::string_view v) { c.bus = std::string(v); return !v.empty(); }},
        {"search", "TESSERA_SEARCH", "sqlite:./var/search.db",
         "search index: sqlite:PATH (embedded; rebuilt from the store when empty) | http://HOST:9200 (Elasticsearch) | off",
         [](Config& c, std::string_view v) { c.search = std::string(v); return !v.empty(); }},
        {"cache", "TESSERA_CACHE", "lru:10000", "search response cache: lru:ENTRIES[?bytes=N] | redis://HOST:PORT/DB | off",
         [](Config& c, std::string_view v) { c.cache = std::string(v); return !v.empty(); }},
        {"search-cache-ttl", "TESSERA_SEARCH_CACHE_TTL", "60s", "how long a cached search answer lives",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.search_cache_ttl) && c.search_cache_ttl.count() > 0; }},
        {"search-retries", "TESSERA_SEARCH_RETRIES", "3", "attempts per search on Elasticsearch (backoff with full jitter)",
         [](Config& c, std::string_view v) { return parse_int(v, c.search_retries) && c.search_retries >= 1 && c.search_retries <= 10; }},
        {"breaker-failures", "TESSERA_BREAKER_FAILURES", "5",
         "Elasticsearch failures within 10 s that open the circuit breaker (then 503 + Retry-After)",
         [](Config& c, std::string_view v) { return parse_int(v, c.breaker_failures) && c.breaker_failures >= 1; }},
        {"breaker-open", "TESSERA_BREAKER_OPEN", "5s", "how long the breaker stays open before a trial call",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.breaker_open) && c.breaker_open.count() > 0; }},
        {"indexer-queue", "TESSERA_INDEXER_QUEUE", "tessera.indexer",
         "the indexer's bus subscription (amqp: its durable queue). Elasticsearch: this name, shared by the replicas; "
         "embedded index: tessera.indexer.<hash of host and index file>, one per replica, unless set",
         [](Config& c, std::string_view v) { c.indexer_queue = std::string(v); return !v.empty(); }},
        {"relay-batch", "TESSERA_RELAY_BATCH", "256", "outbox events the relay claims and publishes at once",
         [](Config& c, std::string_view v) { return parse_int(v, c.relay_batch) && c.relay_batch > 0; }},
        {"relay-lease", "TESSERA_RELAY_LEASE", "30s", "how long claimed events are reserved; after a crash they wait this long",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.relay_lease) && c.relay_lease.count() > 0; }},
        {"relay-linger", "TESSERA_RELAY_LINGER", "1ms",
         "after a partial batch the relay waits this long for more events before looking again (0: at once)",
         [](Config& c, std::string_view v) { return parse_short_duration(v, c.relay_linger); }},
        {"schemas", "TESSERA_SCHEMAS", "./schemas", "directory of JSON Schema files (*.json) defining the collections",
         [](Config& c, std::string_view v) { c.schemas = std::string(v); return !v.empty(); }},
        {"threads", "TESSERA_THREADS", "0 (one per core)", "I/O threads",
         [](Config& c, std::string_view v) { return parse_int(v, c.threads); }},
        {"workers", "TESSERA_WORKERS", "16",
         "threads that run requests which may wait on the store or the bus (I/O threads never do)",
         [](Config& c, std::string_view v) { return parse_int(v, c.workers) && c.workers > 0 && c.workers <= 1024; }},
        {"worker-queue", "TESSERA_WORKER_QUEUE", "1024",
         "requests waiting for a worker at most; beyond it, 503 with Retry-After",
         [](Config& c, std::string_view v) { return parse_int(v, c.worker_queue) && c.worker_queue > 0; }},
        {"max-document-bytes", "TESSERA_MAX_DOCUMENT_BYTES", "the body limit",
         "largest document a write may produce (also bounds a JSON Patch as it is applied; larger: 413)",
         [](Config& c, std::string_view v) { return parse_int(v, c.max_document_bytes) && c.max_document_bytes > 0; }},
        {"body-limit", "TESSERA_BODY_LIMIT", "1048576", "largest request body in bytes (larger: 413)",
         [](Config& c, std::string_view v) { return parse_int(v, c.body_limit) && c.body_limit > 0; }},
        {"header-limit", "TESSERA_HEADER_LIMIT", "16384", "largest request header block in bytes (larger: 431)",
         [](Config& c, std::string_view v) { return parse_int(v, c.header_limit) && c.header_limit > 0; }},
        {"header-timeout", "TESSERA_HEADER_TIMEOUT", "10s", "time allowed to receive a request's header and body",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.header_timeout); }},
        {"idle-timeout", "TESSERA_IDLE_TIMEOUT", "60s", "keep-alive connections idle this long are closed",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.idle_timeout); }},
        {"drain-timeout", "TESSERA_DRAIN_TIMEOUT", "30s", "on SIGTERM/SIGINT, time to finish in-flight requests",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.drain_timeout); }},
        {"access-log", "TESSERA_ACCESS_LOG", "- (stdout)", "JSON-lines access log: -, off, or a file path",
         [](Config& c, std::string_view v) { c.access_log = std::string(v); return !v.empty(); }},
        {"log-level", "TESSERA_LOG_LEVEL", "info", "debug | info | warn | error (JSON lines on stderr)",
         [](Config& c, std::string_view v) {
             for (auto level : {log::Level::debug, log::Level::info, log::Level::warn, log::Level::error}) {
                 if (v == log::to_string(level)) {
                     c.log_level = level;
                     return true;
                 }
             }
             return false;
         }},
        {"ready-file", "TESSERA_READY_FILE", "(none)", "write the bound HOST:PORT to this file once listening",
         [](Config& c, std::string_view v) { c.ready_file = std::string(v); return true; }},
        {"auth", "TESSERA_AUTH", "on",
         "on: every route but /healthz and /readyz needs Authorization: Bearer <token>; off: none does (warned; "
         "refused on a non-loopback address without --allow-remote-without-auth)",
         [](Config& c, std::string_view v) {
             if (v != "on" && v != "off") return false;
             c.auth = v == "on";
             return true;
         }},
        {"allow-remote-without-auth", "TESSERA_ALLOW_REMOTE_WITHOUT_AUTH", "no",
         "let --auth off listen beyond loopback: anyone who reaches the port may write and delete",
         [](Config& c, std::string_view v) {
             if (v != "1" && v != "0") return false;
             c.allow_remote_without_auth = v == "1";
             return true;
         },
         true},
        {"tokens-file", "TESSERA_TOKENS_FILE", "./var/tokens (created at first start with one admin token, printed once)",
         "static tokens: one 'SHA-256-hex scope... # comment' per line (tessera token create); re-read on SIGHUP",
         [](Config& c, std::string_view v) { c.tokens_file = std::string(v); return !v.empty(); }},
        {"jwt-secret-file", "TESSERA_JWT_SECRET_FILE", "(none)", "accept HS256 JWTs signed with the secret in this file (>= 32 bytes)",
         [](Config& c, std::string_view v) { c.jwt_secret_file = std::string(v); return !v.empty(); }},
        {"jwt-key", "TESSERA_JWT_KEY", "(none)", "accept JWTs signed by this PEM public key (RSA >= 2048 bits: RS256; EC P-256: ES256)",
         [](Config& c, std::string_view v) { c.jwt_key_file = std::string(v); return !v.empty(); }},
        {"jwks", "TESSERA_JWKS", "(none)", "accept JWTs signed by a key of this JWK Set file, chosen by kid; re-read on SIGHUP",
         [](Config& c, std::string_view v) { c.jwks_file = std::string(v); return !v.empty(); }},
        {"jwt-issuer", "TESSERA_JWT_ISSUER", "(any)", "required iss of JWTs",
         [](Config& c, std::string_view v) { c.jwt_issuer = std::string(v); return !v.empty(); }},
        {"jwt-audience", "TESSERA_JWT_AUDIENCE", "(none: tokens with an aud are refused)", "accepted aud values, comma-separated",
         [](Config& c, std::string_view v) { c.jwt_audiences = split_list(v); return !c.jwt_audiences.empty(); }},
        {"jwt-clock-skew", "TESSERA_JWT_CLOCK_SKEW", "60s", "tolerance for exp, nbf and iat",
         [](Config& c, std::string_view v) { return parse_seconds(v, c.jwt_clock_skew) && c.jwt_clock_skew.count() <= 3600; }},
        {"public-metrics", "TESSERA_PUBLIC_METRICS", "auto (on when listening on loopback)", "/metrics without a token: auto | on | off (off: admin)",
         [](Config& c, std::string_view v) { return parse_exposure(v, c.public_metrics); }},
        {"public-openapi", "TESSERA_PUBLIC_OPENAPI", "auto (on when listening on loopback)", "/openapi.json without a token: auto | on | off (off: read)",
         [](Config& c, std::string_view v) { return parse_exposure(v, c.public_openapi); }},
        {"rate-limit", "TESSERA_RATE_LIMIT", "(none)",
         "requests per token subject (per client address without a token): N/s, N/min or N/h; over it, 429",
         [](Config& c, std::string_view v) {
             auto rate = auth::parse_rate(v);
             if (rate) c.rate_limit = *rate;
             return rate.has_value();
         }},
        {"burst", "TESSERA_BURST", "the rate per second", "requests a client may make at once (the token bucket's size)",
         [](Config& c, std::string_view v) {
             auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), c.burst);
             return ec == std::errc{} && end == v.data() + v.size() && c.burst >= 1;
         }},
        {"scope-rate-limit", "TESSERA_SCOPE_RATE_LIMIT", "(none)",
         "SCOPE=RATE[:BURST], e.g. admin=1000/s:2000: the limit of a token holding SCOPE (repeatable; env: comma-separated)",
         [](Config& c, std::string_view v) {
             for (const auto& item : split_list(v)) {
                 if (!parse_scope_rate(c, item)) return false;
             }
             return !v.empty();
         }},
        {"rate-limit-store", "TESSERA_RATE_LIMIT_STORE", "memory:", "where buckets live: memory: | redis://HOST:PORT/DB (shared by replicas)",
         [](Config& c, std::string_view v) { c.rate_limit_store = std::string(v); return !v.empty(); }},
    };
    return table;
}

void print_help() {
    std::printf(
        "Usage: tessera-server [OPTIONS]\n\n"
        "Serves the collections defined by JSON Schemas over HTTP/1.1: CRUD, merge and JSON patch,\n"
        "ETags and conditional requests, /healthz, /readyz, /metrics, /openapi.json; relays every write's\n"
        "events (CloudEvents) from the store's outbox to the event bus, with /api/_events to inspect them.\n"
        "Every route but /healthz and /readyz needs a bearer token unless --auth off; at first start without a\n"
        "token source the server creates ./var/tokens with one admin token and prints it once on stderr.\n"
        "Each option can also be set by its environment variable; a flag wins over the environment.\n\n"
        "Options:\n");
    for (const auto& option : options()) {
        std::printf("  --%-16.*s %.*s\n  %-18s [env %.*s, default %.*s]\n", static_cast<int>(option.name.size()),
                    option.name.data(), static_cast<int>(option.help.size()), option.help.data(), "",
                    static_cast<int>(option.env.size()), option.env.data(),
                    static_cast<int>(option.default_text.size()), option.default_text.data());
    }
    std::printf("  --help             print this help and exit\n  --version          print the version and exit\n\n"
                "Signals: SIGTERM or SIGINT stop accepting, finish in-flight requests, then exit 0; SIGHUP re-reads\n"
                "the tokens file and the JWKS.\n");
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "tessera-server: %s\nTry 'tessera-server --help'.\n", message.c_str());
    return 2;
}

}  // namespace

Invocation parse_command_line(int argc, char** argv) {
    Config config;
    for (const auto& option : options()) {
        if (const char* value = std::getenv(std::string(option.env).c_str()); value != nullptr) {
            if (!option.apply(config, value)) {
                return {std::nullopt, usage_error("invalid value '" + std::string(value) + "' in " + std::string(option.env))};
            }
        }
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_help();
            return {std::nullopt, 0};
        }
        if (arg == "--version") {
            std::printf("tessera-server %.*s\n", static_cast<int>(tessera::version().size()), tessera::version().data());
            return {std::nullopt, 0};
        }
        if (!arg.starts_with("--")) return {std::nullopt, usage_error("unexpected argument '" + std::string(arg) + "'")};
        arg.remove_prefix(2);
        std::string_view value;
        bool has_value = false;
        if (const auto eq = arg.find('='); eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        const Option* match = nullptr;
        for (const auto& option : options()) {
            if (option.name == arg) match = &option;
        }
        if (match == nullptr) return {std::nullopt, usage_error("unknown option '--" + std::string(arg) + "'")};
        if (match->is_switch) {
            if (has_value) return {std::nullopt, usage_error("option '--" + std::string(arg) + "' takes no value")};
            value = "1";
        } else if (!has_value) {
            if (i + 1 >= argc) return {std::nullopt, usage_error("option '--" + std::string(arg) + "' needs a value")};
            value = argv[++i];
        }
        if (!match->apply(config, value)) {
            return {std::nullopt,
                    usage_error("invalid value '" + std::string(value) + "' for '--" + std::string(arg) + "'")};
        }
    }
    if (config.threads == 0) config.threads = std::max(1u, std::thread::hardware_concurrency());
    if (!config.rate_limit.unlimited() && config.burst >= 1) config.rate_limit.burst = config.burst;
    return {config, 0};
}

}  // namespace tessera::server
