#pragma once
// Private: hiredis connections for the Redis store — a connection with timeouts and pipelining,
// and the pool that lends one to each calling thread. hiredis failures become Tessera errors
// here and nowhere else.

#include <tessera/store/store.hpp>

#include <hiredis/hiredis.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::store {

/// Where and how to connect (from the `redis://` URL).
struct RedisConfig {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string user;      ///< ACL user; empty: the default user.
    std::string password;  ///< Empty: no AUTH.
    int db = 0;
    std::string prefix = "tessera";  ///< Namespace of every key (see redis_store.hpp).
};

namespace redis {

/// The connection a `redis://[user:password@]host[:port][/db][?prefix=…&timeout_ms=…]` URL names;
/// `timeout_ms` goes into `options`. Errors: `invalid`, naming the URL's fault.
Result<RedisConfig> parse_url(std::string_view url, StoreOptions& options);

struct ReplyDeleter {
    void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// One command's arguments. Strings passed to `arg` are borrowed (they must outlive the call that
/// sends the command, which spares copying bodies); `own` and numbers are kept by the command.
class Command {
public:
    explicit Command(std::string_view name) { arg(name); }
    Command& arg(std::string_view value) {
        args_.push_back(value);
        return *this;
    }
    /// A copy kept by the command, for arguments that do not outlive it.
    Command& own(std::string value) {
        owned_.push_back(std::move(value));
        args_.push_back(owned_.back());
        return *this;
    }
    Command& arg(std::int64_t value) { return own(std::to_string(value)); }
    Command& arg(std::uint64_t value) { return own(std::to_string(value)); }
    Command& arg(int value) { return arg(static_cast<std::int64_t>(value)); }
    const std::vector<std::string_view>& args() const noexcept { return args_; }

private:
    std::vector<std::string_view> args_;
    std::deque<std::string> owned_;  // a deque: growing it never moves the strings args_ points into
};

/// The text of a string, status or error reply; empty for anything else.
std::string_view text(const redisReply* reply) noexcept;

/// True if `reply` is an error whose message starts with `code` (e.g. "NOSCRIPT").
bool is_error(const redisReply* reply, std::string_view code) noexcept;

/// The error for an error reply (or a reply of an unexpected type) to `what`.
Error reply_error(const redisReply* reply, std::string_view what);

/// A blocking hiredis connection with connect and command timeouts. Not thread-safe: the pool
/// hands it to one thread at a time.
class Connection {
public:
    /// Connects, authenticates and selects the database. Errors: `unavailable` (refused, reset,
    /// bad credentials), `timeout` (no answer within the timeouts).
    static Result<std::unique_ptr<Connection>> open(const RedisConfig& config, const StoreOptions& options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Sends all `commands` in one write and reads their replies, in order (pipelining). An error
    /// here is an I/O failure (`unavailable`/`timeout`) and leaves the connection broken; error
    /// replies are returned as replies.
    Result<std::vector<Reply>> pipeline(std::span<const Command> commands);
    Result<Reply> run(const Command& command);

    /// True once an I/O error has happened: the connection must not be used again.
    bool broken() const noexcept { return broken_; }
    /// False if the server has closed the connection while it sat idle (checked without blocking).
    bool alive() const noexcept;

private:
    explicit Connection(redisContext* context) noexcept : context_(context) {}
    Error io_error(std::string_view what, int saved_errno);
    redisContext* context_;
    bool broken_ = false;
};

/// Lends connections to threads: a thread takes an idle connection (or opens one), uses it for one
/// store call and gives it back, so each thread in a call has its own connection and connections
/// are reused across calls. Thread-safe.
class Pool {
public:
    Pool(RedisConfig config, StoreOptions options) : config_(std::move(config)), options_(std::move(options)) {}

    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> connection, bool reused) noexcept
            : pool_(&pool), connection_(std::move(connection)), reused_(reused) {}
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }
        bool reused() const noexcept { return reused_; }

    private:
        Pool* pool_;
        std::unique_ptr<Connection> connection_;
        bool reused_;
    };

    /// An idle connection, or a new one. With `check_alive`, an idle connection the server has
    /// closed is dropped first (one non-blocking recv): for writes, which must not be sent on a
    /// dead connection since they cannot be retried; reads skip it and retry instead. Errors as
    /// `Connection::open`.
    Result<Lease> acquire(bool check_alive);
    /// Closes every idle connection: after one failed, the others are most likely dead too
    /// (server restarted), and a fresh connection is cheaper than a failed command.
    void discard_idle() noexcept;

    const RedisConfig& config() const noexcept { return config_; }

private:
    void give_back(std::unique_ptr<Connection> connection) noexcept;

    RedisConfig config_;
    StoreOptions options_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace redis
}  // namespace tessera::store
