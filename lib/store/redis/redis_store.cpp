#include "store/redis/redis_store.hpp"

#include <tessera/assert.hpp>
#include <tessera/log.hpp>

#include "store/common.hpp"
#include "store/redis/lua_scripts.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace tessera::store {
namespace {

using redis::Command;
using redis::Connection;
using redis::Reply;

constexpr std::string_view kComponent = "store.redis";
constexpr std::string_view kGroup = "tessera";
constexpr std::string_view kConsumer = "tessera";
// XAUTOCLAIM's idle threshold; a lease is what remains of it (see redis_store.hpp).
constexpr std::chrono::milliseconds kReclaimAfter = std::chrono::hours(24 * 30);
// Ids per ack script call: Lua's unpack() has a stack limit of a few thousand values.
constexpr std::size_t kAckChunk = 1000;

enum ScriptId : std::size_t { kCommit, kSweep, kScan, kCount, kClaim, kAck, kScriptCount };

constexpr std::array<std::string_view, kScriptCount> kScripts = {
    lua::kcommit_lua, lua::ksweep_lua, lua::kscan_lua, lua::kcount_lua, lua::kclaim_lua, lua::kack_lua,
};

std::int64_t clamp_to_int64(std::size_t n) noexcept {
    return static_cast<std::int64_t>(std::min<std::size_t>(n, std::numeric_limits<std::int64_t>::max() - 1));
}

template <class T>
std::optional<T> to_number(std::string_view text) noexcept {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Error malformed(std::string_view what) {
    return Error(ErrorCode::internal, "unexpected data in Redis: " + std::string(what),
                 {{"backend", {{"redis", {{"error", "unexpected reply shape"}}}}}});
}

bool is_array(const redisReply* reply, std::size_t size) noexcept {
    return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == size;
}

bool is_nil(const redisReply* reply) noexcept { return reply == nullptr || reply->type == REDIS_REPLY_NIL; }

// Fills a Document from the five strings body, version, created, updated, expires ('' or nil =
// never). std::nullopt if they are malformed.
std::optional<Document> to_document(std::string_view collection,
                                    std::string id,
                                    std::span<redisReply* const> fields) {
    const auto version = to_number<std::uint64_t>(redis::text(fields[1]));
    const auto created = to_number<std::int64_t>(redis::text(fields[2]));
    const auto updated = to_number<std::int64_t>(redis::text(fields[3]));
    if (!version || !created || !updated) return std::nullopt;
    Document document;
    document.collection = std::string(collection);
    document.id = std::move(id);
    document.body = std::string(redis::text(fields[0]));
    document.version = *version;
    document.created_at = internal::from_micros(*created);
    document.updated_at = internal::from_micros(*updated);
    const std::string_view expires = redis::text(fields[4]);
    if (!expires.empty()) {
        const auto micros = to_number<std::int64_t>(expires);
        if (!micros) return std::nullopt;
        document.expires_at = internal::from_micros(*micros);
    }
    return document;
}

// The reply to `HMGET key b v c u x`: a live document, std::nullopt if missing or expired at
// `now`, or an error for anything malformed.
Result<std::optional<Document>> from_hmget(const redisReply* reply,
                                           std::string_view collection,
                                           std::string_view id,
                                           std::int64_t now) {
    if (!is_array(reply, 5)) return redis::reply_error(reply, "cannot read a document");
    if (is_nil(reply->element[0])) return std::optional<Document>();
    auto document = to_document(collection, std::string(id), std::span(reply->element, 5));
    if (!document) return malformed("document " + std::string(collection) + "/" + std::string(id));
    if (!internal::is_live(document->expires_at, internal::from_micros(now))) return std::optional<Document>();
    return document;
}

}  // namespace

struct RedisStore::Impl {
    StoreOptions options;
    redis::Pool pool;
    std::string tag;  // "{prefix}:"
    std::string sequence_key;
    std::string outbox_key;
    std::string ttl_key;
    std::array<std::string, kScriptCount> shas;

    Impl(RedisConfig config, StoreOptions store_options)
        : options(store_options), pool(config, std::move(store_options)), tag("{" + config.prefix + "}:") {
        sequence_key = tag + "seq";
        outbox_key = tag + "outbox";
        ttl_key = tag + "ttl";
    }

    std::string document_prefix(std::string_view collection) const {
        std::string key = tag + "d:" + std::to_string(collection.size()) + ":";
        key += collection;
        key += ':';
        return key;
    }
    std::string document_key(std::string_view collection, std::string_view id) const {
        std::string key = document_prefix(collection);
        key += id;
        return key;
    }
    std::string index_key(std::string_view collection) const { return tag + "i:" + std::string(collection); }
    std::string expiry_key(std::string_view collection) const { return tag + "e:" + std::string(collection); }

    std::int64_t now() const { return internal::to_micros(internal::now(options)); }

    // Runs `body` on a pooled connection. After an I/O failure the pool's idle connections are
    // dropped too (the server most likely went away for all of them). A read whose reused
    // connection turned out to be dead is retried once on a fresh one; a write is not, since it
    // may have been applied before the connection died, and nothing is retried after a timeout
    // (a server that does not answer would only make the caller wait twice).
    template <class T, class Body>
    Result<T> with_connection(bool idempotent, Body&& body) {
        for (int attempt = 0;; ++attempt) {
            auto lease = pool.acquire(!idempotent);
            if (!lease) return std::move(lease).error();
            const bool reused = lease->reused();
            Connection& connection = **lease;
            Result<T> result = body(connection);
            if (result || !connection.broken()) return result;
            pool.discard_idle();
            log::warn(kComponent, "connection lost", {{"error", result.error().to_json()}});
            const bool retry =
                idempotent && reused && attempt == 0 && result.error().code() == ErrorCode::unavailable;
            if (!retry) return result;
        }
    }

    // An EVALSHA command for `script` with `keys` (kept by the command); the caller appends the
    // arguments.
    Command evalsha(ScriptId script, std::vector<std::string> keys) const {
        Command command("EVALSHA");
        command.arg(shas[script]).arg(static_cast<std::int64_t>(keys.size()));
        for (auto& key : keys) command.own(std::move(key));
        return command;
    }

    // Runs an EVALSHA command; on NOSCRIPT (script cache flushed, server restarted) loads the
    // script again and retries once.
    Result<Reply> eval(Connection& connection, ScriptId script, const Command& command) const {
        auto reply = connection.run(command);
        if (!reply || !redis::is_error(reply->get(), "NOSCRIPT")) return reply;
        log::info(kComponent, "reloading a script", {{"sha", shas[script]}});
        auto loaded = connection.run(Command("SCRIPT").arg("LOAD").arg(kScripts[script]));
        if (!loaded) return std::move(loaded).error();
        if ((*loaded)->type != REDIS_REPLY_STRING) return redis::reply_error(loaded->get(), "cannot load a script");
        return connection.run(command);
    }

    // Runs a script whose reply is an integer.
    Result<std::int64_t> eval_integer(ScriptId script, const Command& command, bool idempotent, std::string_view what) {
        return with_connection<std::int64_t>(idempotent, [&](Connection& c) -> Result<std::int64_t> {
            auto reply = eval(c, script, command);
            if (!reply) return std::move(reply).error();
            if ((*reply)->type != REDIS_REPLY_INTEGER) return redis::reply_error(reply->get(), what);
            return static_cast<std::int64_t>((*reply)->integer);
        });
    }
};

RedisStore::RedisStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisStore::~RedisStore() = default;

Result<std::unique_ptr<Store>> RedisStore::open(RedisConfig config, const StoreOptions& options) {
    if (config.prefix.find_first_of("{}") != std::string::npos) {
        return Error(ErrorCode::invalid, "the Redis key prefix may not contain '{' or '}' (it is the hash tag)",
                     {{"prefix", config.prefix}});
    }
    const std::string where = config.host + ":" + std::to_string(config.port) + "/" + std::to_string(config.db);
    auto impl = std::make_unique<Impl>(std::move(config), options);
    auto ready = impl->with_connection<void>(true, [&](Connection& c) -> Result<void> {
        std::vector<Command> setup;
        for (const std::string_view script : kScripts) setup.push_back(std::move(Command("SCRIPT").arg("LOAD").arg(script)));
        setup.push_back(std::move(Command("XGROUP").arg("CREATE").arg(impl->outbox_key).arg(kGroup).arg("0").arg("MKSTREAM")));
        auto replies = c.pipeline(setup);
        if (!replies) return std::move(replies).error();
        for (std::size_t i = 0; i < kScriptCount; ++i) {
            const redisReply* reply = (*replies)[i].get();
            if (reply->type != REDIS_REPLY_STRING) return redis::reply_error(reply, "cannot load the store's scripts");
            impl->shas[i] = std::string(redis::text(reply));
        }
        const redisReply* group = replies->back().get();
        if (group->type == REDIS_REPLY_ERROR && !redis::is_error(group, "BUSYGROUP")) {
            return redis::reply_error(group, "cannot create the outbox consumer group");
        }
        return {};
    });
    if (!ready) {
        ready.error().details()["redis"] = where;
        return std::move(ready).error();
    }
    log::info(kComponent, "opened", {{"redis", where}, {"prefix", impl->tag}});
    return std::unique_ptr<Store>(new RedisStore(std::move(impl)));
}

Result<Document> RedisStore::get(std::string_view collection, std::string_view id) {
    const std::int64_t now = impl_->now();
    const std::string key = impl_->document_key(collection, id);
    const Command command = std::move(Command("HMGET").arg(key).arg("b").arg("v").arg("c").arg("u").arg("x"));
    return impl_->with_connection<Document>(true, [&](Connection& c) -> Result<Document> {
        auto reply = c.run(command);
        if (!reply) return std::move(reply).error();
        auto document = from_hmget(reply->get(), collection, id, now);
        if (!document) return std::move(document).error();
        if (!*document) return internal::not_found(collection, id);
        return std::move(**document);
    });
}

Result<std::vector<std::optional<Document>>> RedisStore::get_many(std::string_view collection,
                                                                  std::span<const std::string> ids) {
    using Documents = std::vector<std::optional<Document>>;
    if (ids.empty()) return Documents{};
    const std::int64_t now = impl_->now();
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const auto& id : ids) keys.push_back(impl_->document_key(collection, id));
    // MULTI/EXEC makes the reads one snapshot, as the other backends' are; pipelined, it is still
    // one round trip.
    std::vector<Command> commands;
    commands.reserve(ids.size() + 2);
    commands.emplace_back("MULTI");
    for (const auto& key : keys) commands.push_back(std::move(Command("HMGET").arg(key).arg("b").arg("v").arg("c").arg("u").arg("x")));
    commands.emplace_back("EXEC");
    return impl_->with_connection<Documents>(true, [&](Connection& c) -> Result<Documents> {
        auto replies = c.pipeline(commands);
        if (!replies) return std::move(replies).error();
        const redisReply* exec = replies->back().get();
        if (!is_array(exec, ids.size())) return redis::reply_error(exec, "cannot read documents");
        Documents out(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto document = from_hmget(exec->element[i], collection, ids[i], now);
            if (!document) return std::move(document).error();
            out[i] = std::move(*document);
        }
        return out;
    });
}

Result<Page> RedisStore::scan(std::string_view collection, std::string_view cursor, std::size_t limit) {
    TESSERA_ASSERT(limit > 0);
    auto after = internal::decode_cursor(collection, cursor);
    if (!after) return std::move(after).error();
    const std::string prefix = impl_->document_prefix(collection);
    Command command = impl_->evalsha(kScan, {impl_->index_key(collection)});
    command.arg(prefix).arg(std::string_view(*after)).arg(clamp_to_int64(limit) + 1).arg(impl_->now());
    return impl_->with_connection<Page>(true, [&](Connection& c) -> Result<Page> {
        auto reply = impl_->eval(c, kScan, command);
        if (!reply) return std::move(reply).error();
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 6 != 0) return redis::reply_error(r, "cannot scan");
        Page page;
        page.documents.reserve(r->elements / 6);
        for (std::size_t i = 0; i < r->elements; i += 6) {
            auto document = to_document(collection, std::string(redis::text(r->element[i])),
                                        std::span(r->element + i + 1, 5));
            if (!document) return malformed("a scanned document of " + std::string(collection));
            page.documents.push_back(std::move(*document));
        }
        internal::finish_page(page, collection, limit);
        return page;
    });
}

Result<std::uint64_t> RedisStore::count(std::string_view collection) {
    Command command = impl_->evalsha(kCount, {impl_->index_key(collection), impl_->expiry_key(collection)});
    command.arg(impl_->now());
    auto n = impl_->eval_integer(kCount, command, true, "cannot count");
    if (!n) return std::move(n).error();
    return static_cast<std::uint64_t>(std::max<std::int64_t>(*n, 0));
}

namespace {
// The op names commit.lua understands.
const char* op_name(Op::Kind kind) {
    switch (kind) {
        case Op::Kind::put: return "put";
        case Op::Kind::remove: return "remove";
        case Op::Kind::check: return "check";
    }
    return "check";
}
}  // namespace

Result<CommitResult> RedisStore::commit(const Batch& batch) {
    if (auto valid = internal::validate(batch); !valid) return std::move(valid).error();
    if (batch.ops.empty() && batch.events.empty()) return CommitResult{};
    std::vector<std::string> keys{impl_->sequence_key, impl_->outbox_key, impl_->ttl_key};
    keys.reserve(3 + 3 * batch.ops.size());
    for (const Op& op : batch.ops) {
        keys.push_back(impl_->document_key(op.collection, op.id));
        keys.push_back(impl_->index_key(op.collection));
        keys.push_back(impl_->expiry_key(op.collection));
    }
    Command command = impl_->evalsha(kCommit, std::move(keys));
    command.arg(impl_->now())
        .arg(static_cast<std::int64_t>(batch.ops.size()))
        .arg(static_cast<std::int64_t>(batch.events.size()));
    for (const Op& op : batch.ops) {
        command.arg(op_name(op.kind))
            .arg(internal::precondition_name(op.precondition.kind))
            .arg(op.precondition.version)
            .arg(op.collection)
            .arg(op.id)
            .arg(op.body);
        if (op.kind == Op::Kind::put && op.expires_at) {
            command.arg(internal::to_micros(*op.expires_at));
        } else {
            command.arg("");
        }
    }
    for (const Event& event : batch.events) {
        command.arg(event.collection)
            .arg(event.document_id)
            .arg(event.action)
            .arg(event.data)
            .arg(event.root_id)
            .arg(event.parent_id);
    }
    return impl_->with_connection<CommitResult>(false, [&](Connection& c) -> Result<CommitResult> {
        auto reply = impl_->eval(c, kCommit, command);
        if (!reply) return std::move(reply).error();
        const redisReply* r = reply->get();
        if (is_array(r, 2) && redis::text(r->element[0]) == "ok" && r->element[1]->type == REDIS_REPLY_INTEGER) {
            return CommitResult{static_cast<std::uint64_t>(r->element[1]->integer)};
        }
        if (is_array(r, 3) && redis::text(r->element[0]) == "precondition_failed" &&
            r->element[1]->type == REDIS_REPLY_INTEGER && r->element[2]->type == REDIS_REPLY_INTEGER) {
            const auto index = static_cast<std::size_t>(r->element[1]->integer);
            const auto actual = static_cast<std::uint64_t>(r->element[2]->integer);
            if (index < batch.ops.size()) {
                if (auto failed = internal::check_precondition(batch.ops[index], index, actual != 0, actual)) {
                    return std::move(*failed);
                }
            }
        }
        return redis::reply_error(r, "cannot commit");
    });
}

Result<std::size_t> RedisStore::sweep_expired(TimePoint now, std::size_t limit) {
    if (limit == 0) return std::size_t{0};
    Command command = impl_->evalsha(kSweep, {impl_->sequence_key, impl_->outbox_key, impl_->ttl_key});
    command.arg(internal::to_micros(now)).arg(clamp_to_int64(limit)).arg(impl_->now()).arg(impl_->tag);
    auto n = impl_->eval_integer(kSweep, command, false, "cannot sweep");
    if (!n) return std::move(n).error();
    return static_cast<std::size_t>(*n);
}

Result<std::vector<Event>> RedisStore::claim(std::size_t max, std::chrono::milliseconds lease) {
    if (max == 0) return std::vector<Event>{};
    const auto capped = std::clamp(lease, std::chrono::milliseconds(0), kReclaimAfter);
    Command command = impl_->evalsha(kClaim, {impl_->outbox_key});
    command.arg(kGroup)
        .arg(kConsumer)
        .arg(clamp_to_int64(max))
        .arg(static_cast<std::int64_t>((kReclaimAfter - capped).count()))
        .arg(static_cast<std::int64_t>(kReclaimAfter.count()));
    return impl_->with_connection<std::vector<Event>>(false, [&](Connection& c) -> Result<std::vector<Event>> {
        auto reply = impl_->eval(c, kClaim, command);
        if (!reply) return std::move(reply).error();
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY) return redis::reply_error(r, "cannot claim outbox events");
        std::vector<Event> events;
        events.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) {
            const redisReply* entry = r->element[i];
            if (!is_array(entry, 3) || entry->element[1]->type != REDIS_REPLY_INTEGER ||
                entry->element[2]->type != REDIS_REPLY_ARRAY) {
                return malformed("an outbox entry");
            }
            Event event;
            event.id = std::string(redis::text(entry->element[0]));
            const auto key = internal::parse_event_id(event.id);
            if (!key) return malformed("outbox entry id " + event.id);
            event.version = key->first;
            event.attempts = static_cast<std::uint32_t>(entry->element[1]->integer);
            const redisReply* fields = entry->element[2];
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                const std::string_view name = redis::text(fields->element[f]);
                const std::string_view value = redis::text(fields->element[f + 1]);
                if (name == "c") {
                    event.collection = value;
                } else if (name == "d") {
                    event.document_id = value;
                } else if (name == "a") {
                    event.action = value;
                } else if (name == "t") {
                    event.time = internal::from_micros(to_number<std::int64_t>(value).value_or(0));
                } else if (name == "data") {
                    event.data = value;
                } else if (name == "r") {
                    event.root_id = value;
                } else if (name == "p") {
                    event.parent_id = value;
                }
            }
            events.push_back(std::move(event));
        }
        return events;
    });
}

Result<void> RedisStore::ack(std::span<const std::string> event_ids) {
    // Only well-formed ids reach Redis: XACK/XDEL reject a malformed id as an error, and the
    // contract says unknown ids are ignored.
    std::vector<std::string_view> ids;
    for (const auto& id : event_ids) {
        if (internal::parse_event_id(id)) ids.push_back(id);
    }
    for (std::size_t first = 0; first < ids.size(); first += kAckChunk) {
        Command command = impl_->evalsha(kAck, {impl_->outbox_key});
        command.arg(kGroup);
        for (std::size_t i = first; i < std::min(ids.size(), first + kAckChunk); ++i) command.arg(ids[i]);
        auto done = impl_->eval_integer(kAck, command, true, "cannot acknowledge outbox events");
        if (!done) return std::move(done).error();
    }
    return {};
}

Result<OutboxStats> RedisStore::outbox_stats() {
    const std::array<Command, 2> commands = {
        std::move(Command("XLEN").arg(impl_->outbox_key)),
        std::move(Command("XRANGE").arg(impl_->outbox_key).arg("-").arg("+").arg("COUNT").arg(1)),
    };
    return impl_->with_connection<OutboxStats>(true, [&](Connection& c) -> Result<OutboxStats> {
        auto replies = c.pipeline(commands);
        if (!replies) return std::move(replies).error();
        const redisReply* length = (*replies)[0].get();
        const redisReply* first = (*replies)[1].get();
        if (length->type != REDIS_REPLY_INTEGER) return redis::reply_error(length, "cannot read the outbox length");
        if (first->type != REDIS_REPLY_ARRAY) return redis::reply_error(first, "cannot read the outbox");
        OutboxStats stats;
        stats.pending = static_cast<std::uint64_t>(length->integer);
        if (first->elements == 1 && is_array(first->element[0], 2)) {
            const redisReply* fields = first->element[0]->element[1];
            for (std::size_t f = 0; fields->type == REDIS_REPLY_ARRAY && f + 1 < fields->elements; f += 2) {
                if (redis::text(fields->element[f]) != "t") continue;
                if (const auto micros = to_number<std::int64_t>(redis::text(fields->element[f + 1]))) {
                    stats.oldest = internal::from_micros(*micros);
                }
            }
        }
        return stats;
    });
}

Result<void> RedisStore::ping() {
    const Command command("PING");
    return impl_->with_connection<void>(true, [&](Connection& c) -> Result<void> {
        auto reply = c.run(command);
        if (!reply) return std::move(reply).error();
        if (redis::text(reply->get()) != "PONG") return redis::reply_error(reply->get(), "PING failed");
        return {};
    });
}

}  // namespace tessera::store
