#include "store/redis/redis_connection.hpp"

#include <tessera/log.hpp>

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>
#include <sys/socket.h>

namespace tessera::store::redis {
namespace {

constexpr std::string_view kComponent = "store.redis";
// Idle connections kept for reuse; more are opened when more threads call at once.
constexpr std::size_t kMaxIdle = 32;

timeval to_timeval(std::chrono::milliseconds ms) noexcept {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

bool is_timeout_errno(int e) noexcept { return e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT || e == EINPROGRESS; }

// hiredis writes with write(2): on a connection the server has reset, that raises SIGPIPE, whose
// default action kills the process. A library must not change the process's signal handling, so
// SIGPIPE is blocked in the calling thread for the duration of the I/O, and one that the I/O
// raised is consumed before the thread's mask is restored.
class SigpipeBlock {
public:
    SigpipeBlock() noexcept {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    }
    ~SigpipeBlock() {
        // Only an I/O error can have raised it; and if the caller had SIGPIPE blocked already, a
        // pending one may be theirs, so it is left alone.
        if (failed_ && sigismember(&previous_, SIGPIPE) == 0) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{};
                sigtimedwait(&pipe_, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;
    void failed() noexcept { failed_ = true; }

private:
    sigset_t pipe_{};
    sigset_t previous_{};
    bool failed_ = false;
};

void append(redisContext* context, const Command& command) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(command.args().size());
    lengths.reserve(command.args().size());
    for (const auto& arg : command.args()) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data());
}

}  // namespace

std::string_view text(const redisReply* reply) noexcept {
    if (reply == nullptr) return {};
    switch (reply->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR: return std::string_view(reply->str, reply->len);
        default: return {};
    }
}

bool is_error(const redisReply* reply, std::string_view code) noexcept {
    return reply != nullptr && reply->type == REDIS_REPLY_ERROR && text(reply).starts_with(code);
}

Error reply_error(const redisReply* reply, std::string_view what) {
    std::string message(what);
    if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) {
        message += ": unexpected reply type " + std::to_string(reply ? reply->type : -1);
        return Error(ErrorCode::internal, std::move(message),
                     {{"backend", {{"redis", {{"reply_type", reply ? reply->type : -1}}}}}});
    }
    const std::string_view error = text(reply);
    // Redis is up but cannot serve now (loading its data set, a replica without master, out of
    // memory, a script running too long): retryable, like being down. Authentication errors mean
    // the store cannot be used with this configuration: also `unavailable`, with Redis's words.
    ErrorCode code = ErrorCode::internal;
    for (std::string_view prefix : {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "TRYAGAIN", "CLUSTERDOWN",
                                    "NOAUTH", "WRONGPASS", "NOPERM"}) {
        if (error.starts_with(prefix)) code = ErrorCode::unavailable;
    }
    message += ": ";
    message += error;
    return Error(code, std::move(message), {{"backend", {{"redis", {{"error", error}}}}}});
}

Result<std::unique_ptr<Connection>> Connection::open(const RedisConfig& config, const StoreOptions& options) {
    SigpipeBlock guard;
    redisContext* context = redisConnectWithTimeout(config.host.c_str(), config.port, to_timeval(options.connect_timeout));
    const int saved_errno = errno;
    if (context == nullptr) {
        guard.failed();
        return Error(ErrorCode::unavailable, "cannot allocate a Redis connection");
    }
    auto connection = std::unique_ptr<Connection>(new Connection(context));
    if (context->err != 0) {
        guard.failed();
        return connection->io_error("cannot connect to Redis at " + config.host + ":" + std::to_string(config.port),
                                    saved_errno);
    }
    redisSetTimeout(context, to_timeval(options.command_timeout));
    redisEnableKeepAlive(context);

    std::vector<Command> setup;
    if (!config.password.empty()) {
        Command auth("AUTH");
        if (!config.user.empty()) auth.arg(config.user);
        setup.push_back(std::move(auth.arg(config.password)));
    }
    if (config.db != 0) setup.push_back(std::move(Command("SELECT").arg(config.db)));
    if (setup.empty()) return connection;
    auto replies = connection->pipeline(setup);
    if (!replies) return std::move(replies).error();
    for (const auto& reply : *replies) {
        if (reply->type == REDIS_REPLY_ERROR) return reply_error(reply.get(), "cannot set up the Redis connection");
    }
    return connection;
}

Connection::~Connection() { redisFree(context_); }

Error Connection::io_error(std::string_view what, int saved_errno) {
    broken_ = true;
    const std::string detail = context_->errstr;
    const bool timed_out = context_->err == REDIS_ERR_IO && is_timeout_errno(saved_errno);
    std::string message(what);
    message += timed_out ? ": no answer within the timeout (" : ": ";
    message += detail;
    if (timed_out) message += ")";
    return Error(timed_out ? ErrorCode::timeout : ErrorCode::unavailable, std::move(message),
                 {{"backend", {{"redis", {{"err", context_->err}, {"message", detail}, {"errno", saved_errno}}}}}});
}

Result<std::vector<Reply>> Connection::pipeline(std::span<const Command> commands) {
    SigpipeBlock guard;
    for (const Command& command : commands) append(context_, command);
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
            const int saved_errno = errno;
            guard.failed();
            return io_error("Redis connection failed", saved_errno);
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
    }
    return replies;
}

Result<Reply> Connection::run(const Command& command) {
    auto replies = pipeline(std::span<const Command>(&command, 1));
    if (!replies) return std::move(replies).error();
    return std::move(replies->front());
}

bool Connection::alive() const noexcept {
    // A server that closed the connection (restart, client timeout) left an EOF (or a reset) to
    // read; a live idle connection has nothing to read.
    char byte;
    const ssize_t n = recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

Pool::Lease::~Lease() {
    if (connection_) pool_->give_back(std::move(connection_));
}

Result<Pool::Lease> Pool::acquire(bool check_alive) {
    std::unique_ptr<Connection> reused;
    {
        std::lock_guard lock(mutex_);
        while (!idle_.empty() && !reused) {
            reused = std::move(idle_.back());
            idle_.pop_back();
            if (check_alive && !reused->alive()) reused.reset();
        }
    }
    if (reused) return Lease(*this, std::move(reused), true);
    auto fresh = Connection::open(config_, options_);
    if (!fresh) {
        log::warn(kComponent, "cannot connect", {{"error", fresh.error().to_json()}});
        return std::move(fresh).error();
    }
    return Lease(*this, std::move(*fresh), false);
}

void Pool::discard_idle() noexcept {
    std::vector<std::unique_ptr<Connection>> dropped;
    std::lock_guard lock(mutex_);
    dropped.swap(idle_);
}

void Pool::give_back(std::unique_ptr<Connection> connection) noexcept {
    if (connection->broken()) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

}  // namespace tessera::store::redis
