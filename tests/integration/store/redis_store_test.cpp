#include <tessera/store/store.hpp>

#include "crash_harness.hpp"
#include "support/redis_server.hpp"
#include "support/store_contract.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>

namespace {

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::store::Batch;
using tessera::store::Op;
using tessera::store::Store;
using tessera::test::RedisServer;

// One server for the suite's ordinary tests; each store gets its own key prefix, so tests never
// see each other's data. Tests that stop or kill a server start their own.
RedisServer& shared_server() {
    static RedisServer server;
    return server;
}

std::string unique_prefix() {
    static std::atomic<int> counter{0};
    return "t" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

class RedisBackend final : public tessera::test::StoreBackend {
public:
    std::shared_ptr<Store> create(const tessera::store::StoreOptions& options) override {
        url_ = shared_server().url("/0?prefix=" + unique_prefix());
        return tessera::test::open_store(url_, options);
    }
    std::shared_ptr<Store> attach(const tessera::store::StoreOptions& options) override { return tessera::test::open_store(url_, options); }

private:
    std::string url_;
};

template <class F>
std::chrono::milliseconds time_of(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

// Every call a store offers, to prove each one fails cleanly (and quickly) when Redis is away.
void check_every_call_fails_with(Store& store, ErrorCode expected) {
    const std::vector<std::string> ids{"1", "2"};
    const std::vector<std::string> event_ids{"1-0"};
    CHECK(store.get("c", "1").error().code() == expected);
    CHECK(store.get_many("c", ids).error().code() == expected);
    CHECK(store.scan("c", "", 10).error().code() == expected);
    CHECK(store.count("c").error().code() == expected);
    CHECK(store.commit(Batch{{Op::put("c", "1", "{}")}, {}}).error().code() == expected);
    CHECK(store.sweep_expired(tessera::store::Clock::now(), 10).error().code() == expected);
    CHECK(store.claim(10, 1s).error().code() == expected);
    CHECK(store.ack(event_ids).error().code() == expected);
    CHECK(store.outbox_stats().error().code() == expected);
    CHECK(store.ping().error().code() == expected);
}

}  // namespace

TEST_SUITE("store.redis") {
    TEST_CASE("RedisStore: conforms to the Store contract") {
        RedisBackend backend;
        tessera::test::run_store_contract(backend);
    }

    TEST_CASE("RedisStore: every key of a store carries the prefix's hash tag") {
        const std::string prefix = unique_prefix();
        auto store = tessera::test::open_store(shared_server().url("/0?prefix=" + prefix));
        CHECK(store->backend() == "redis");
        tessera::store::Event event;
        event.collection = "plans";
        event.document_id = "1";
        event.action = "created";
        REQUIRE(store->commit(Batch{{Op::put("plans", "1", "{}", {}, tessera::store::Clock::now() + 1h),
                                     Op::put("plan:services", "a:b", "{}")},
                                    {event}}));
        std::istringstream keys(shared_server().command({"KEYS", "*" + prefix + "*"}));
        std::vector<std::string> found;
        for (std::string key; std::getline(keys, key);) found.push_back(key);
        // seq, outbox, ttl, 2 documents, 2 id indexes, 1 expiry index (only plans has an expiry)
        CHECK(found.size() == 8);
        for (const auto& key : found) {
            CAPTURE(key);
            CHECK(key.rfind("{" + prefix + "}:", 0) == 0);
        }
        // The collection's length is in the document key, so ':' in names cannot collide.
        CHECK(shared_server().command({"EXISTS", "{" + prefix + "}:d:13:plan:services:a:b"}) == "1");
    }

    TEST_CASE("RedisStore: scripts are loaded again after SCRIPT FLUSH (NOSCRIPT)") {
        auto store = tessera::test::open_store(shared_server().url("/0?prefix=" + unique_prefix()));
        REQUIRE(store->commit(Batch{{Op::put("c", "1", "{}")}, {}}));
        CHECK(shared_server().command({"SCRIPT", "FLUSH"}) == "OK");
        auto after = store->commit(Batch{{Op::put("c", "2", "{}", tessera::store::Precondition::absent())}, {}});
        REQUIRE_MESSAGE(after, (after ? "" : after.error().to_string()));
        CHECK(store->count("c").value() == 2);
    }

    TEST_CASE("RedisStore: database number and password come from the URL") {
        RedisServer server({.append_only = false, .password = "s3cret"});
        const std::string prefix = unique_prefix();
        auto db0 = tessera::test::open_store(server.url("/0?prefix=" + prefix));
        auto db3 = tessera::test::open_store(server.url("/3?prefix=" + prefix));
        REQUIRE(db3->commit(Batch{{Op::put("c", "1", "{}")}, {}}));
        CHECK(db3->count("c").value() == 1);
        CHECK(db0->count("c").value() == 0);

        auto wrong = Store::open("redis://:nope@127.0.0.1:" + std::to_string(server.port()) + "/0");
        REQUIRE_FALSE(wrong);
        CHECK(wrong.error().code() == ErrorCode::unavailable);
        CHECK(wrong.error().details().contains("backend"));
        auto none = Store::open("redis://127.0.0.1:" + std::to_string(server.port()) + "/0?prefix=" + prefix);
        REQUIRE_FALSE(none);
        CHECK(none.error().code() == ErrorCode::unavailable);

        auto braces = Store::open(server.url("/0?prefix=a{b}"));
        REQUIRE_FALSE(braces);
        CHECK(braces.error().code() == ErrorCode::invalid);
    }

    TEST_CASE("RedisStore: a server that is down gives unavailable at once; the same store recovers") {
        RedisServer server;
        const std::string url = server.url("/0?prefix=" + unique_prefix() + "&timeout_ms=1000");
        auto store = tessera::test::open_store(url);
        REQUIRE(store->commit(Batch{{Op::put("c", "1", "{}")}, {}}));

        server.stop();
        const auto elapsed = time_of([&] { check_every_call_fails_with(*store, ErrorCode::unavailable); });
        CHECK(elapsed < 3s);
        auto cannot_open = Store::open(url);
        REQUIRE_FALSE(cannot_open);
        CHECK(cannot_open.error().code() == ErrorCode::unavailable);

        server.start();  // no persistence: the data is gone, the store object is not
        REQUIRE(store->ping());
        auto commit = store->commit(Batch{{Op::put("c", "1", R"({"back":true})")}, {}});
        REQUIRE_MESSAGE(commit, (commit ? "" : commit.error().to_string()));
        CHECK(store->get("c", "1").value().body == R"({"back":true})");
    }

    TEST_CASE("RedisStore: a restart while the store is idle costs no failed call") {
        RedisServer server;
        auto store = tessera::test::open_store(server.url("/0?prefix=" + unique_prefix()));
        REQUIRE(store->commit(Batch{{Op::put("c", "1", "{}")}, {}}));
        server.stop();
        server.start();
        // The pooled connection is dead: a write finds that out before sending (it could not be
        // retried), a read retries on a fresh connection.
        auto commit = store->commit(Batch{{Op::put("c", "2", "{}")}, {}});
        REQUIRE_MESSAGE(commit, (commit ? "" : commit.error().to_string()));
        server.stop();
        server.start();
        auto read = store->count("c");  // no persistence: the server starts empty
        REQUIRE_MESSAGE(read, (read ? "" : read.error().to_string()));
        CHECK(*read == 0);
    }

    TEST_CASE("RedisStore: a server that stops answering gives timeout within the command timeout") {
        RedisServer server;
        auto store = tessera::test::open_store(server.url("/0?prefix=" + unique_prefix() + "&timeout_ms=200"));
        REQUIRE(store->commit(Batch{{Op::put("c", "1", "{}")}, {}}));

        server.pause();
        // Pooled connections time out on the command; new ones are accepted by the kernel's
        // backlog and then time out too. Either way: `timeout`, bounded, never a hang.
        const auto elapsed = time_of([&] {
            CHECK(store->get("c", "1").error().code() == ErrorCode::timeout);
            CHECK(store->commit(Batch{{Op::put("c", "2", "{}")}, {}}).error().code() == ErrorCode::timeout);
            CHECK(store->ping().error().code() == ErrorCode::timeout);
        });
        CHECK(elapsed < 3s);
        server.resume();
        REQUIRE(tessera::test::eventually([&] { return static_cast<bool>(store->ping()); }, 3000ms));
        CHECK(store->get("c", "1"));
    }

    TEST_CASE("RedisStore: acknowledged commits survive SIGKILL of the writer and of redis-server (appendfsync always)") {
        RedisServer server({.append_only = true, .password = ""});
        const std::string url = server.url("/0?prefix=crash");
        // Redis is killed first, with the writer mid-commit; then the writer.
        const auto acknowledged = tessera::test::run_crash_writer(url, 300, [&] { server.kill(); });
        server.start();
        auto store = tessera::test::open_store(url);
        tessera::test::check_acknowledged_commits(*store, acknowledged);
    }
}
