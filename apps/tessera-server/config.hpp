#pragma once
// tessera-server configuration: command-line flags, each with a TESSERA_* environment twin.

#include <tessera/auth/authenticator.hpp>
#include <tessera/auth/rate_limiter.hpp>
#include <tessera/log.hpp>
#include <tessera/result.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::server {

struct Config {
    std::string listen_host = "127.0.0.1";
    unsigned short listen_port = 8080;
    std::string store = "sqlite:./var/tessera.db";
    std::string schemas = "./schemas";
    std::string bus = "inproc";
    std::string search = "sqlite:./var/search.db";  // "off": no search
    std::string cache = "lru:10000";                  // search response cache; "off": none
    std::chrono::seconds search_cache_ttl{60};
    int search_retries = 3;                           // attempts per search on a remote index
    int breaker_failures = 5;                         // failures in 10 s that open the breaker
    std::chrono::seconds breaker_open{5};             // how long it stays open before a probe
    std::string indexer_queue = "tessera.indexer";
    std::size_t relay_batch = 256;
    std::chrono::seconds relay_lease{30};
    std::chrono::microseconds relay_linger{1000};
    unsigned threads = 0;  // 0: one per core
    unsigned workers = 16;           // threads for requests that may block
    std::size_t worker_queue = 1024;  // requests waiting for a worker; beyond: 503
    std::size_t max_document_bytes = 0;  // 0: body_limit
    std::size_t body_limit = 1 << 20;
    std::size_t header_limit = 16 << 10;
    std::chrono::seconds header_timeout{10};
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds drain_timeout{30};
    std::string access_log = "-";  // "-" stdout, "off", or a file path
    log::Level log_level = log::Level::info;
    std::string ready_file;  // written with "host:port" once listening ("" = none)

    // Authentication (apps/tessera-server/auth_setup.hpp).
    bool auth = true;
    bool allow_remote_without_auth = false;  // --auth off on a non-loopback address
    std::string tokens_file;                 // "": ./var/tokens, created at first start, unless JWTs are configured
    std::string jwt_secret_file;
    std::string jwt_key_file;
    std::string jwks_file;
    std::string jwt_issuer;
    std::vector<std::string> jwt_audiences;
    std::chrono::seconds jwt_clock_skew{60};
    enum class Exposure { automatic, on, off };  // automatic: open when listening on loopback only
    Exposure public_metrics = Exposure::automatic;
    Exposure public_openapi = Exposure::automatic;
    auth::RateLimit rate_limit;  // unlimited
    double burst = 0;            // 0: the rate per second
    std::vector<std::pair<auth::Scope, auth::RateLimit>> scope_rate_limits;
    std::string rate_limit_store = "memory:";
};

/// What the command line asked for.
struct Invocation {
    std::optional<Config> config;  // empty when help or version was printed
    int exit_code = 0;
};

/// Parses flags (`--name value` or `--name=value`) over TESSERA_* environment variables over
/// defaults. Prints --help / --version to stdout, and usage errors (naming the flag) to stderr.
Invocation parse_command_line(int argc, char** argv);

}  // namespace tessera::server
