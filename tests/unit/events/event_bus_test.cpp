#include <tessera/events/event_bus.hpp>

#include <tessera/store/memory_store.hpp>

#include "support/bus_contract.hpp"
#include "support/store_contract.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <latch>
#include <thread>

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::events::BusOptions;
using tessera::events::CloudEvent;
using tessera::events::Delivery;
using tessera::events::EventBus;
using tessera::events::SubscribeOptions;
using tessera::events::Subscription;
using tessera::test::make_test_event;
using tessera::test::Recorder;

namespace {

// inproc dead letters kept in a MemoryStore (as an Engine keeps them in its store), few workers and
// small queues so the contract also exercises waiting for room.
class InprocBackend final : public tessera::test::BusBackend {
public:
    std::unique_ptr<EventBus> create() override {
        stores_.push_back(std::make_unique<tessera::store::MemoryStore>());
        BusOptions options;
        options.dead_letter_store = stores_.back().get();
        options.workers = 3;
        options.queue_capacity = 4;
        return EventBus::open("inproc", options).value();
    }
    std::string unique_name(std::string_view base) override {
        return std::string(base) + "-" + std::to_string(++counter_);
    }
    bool keeps_events_while_away() const override { return false; }

private:
    std::vector<std::unique_ptr<tessera::store::MemoryStore>> stores_;  // outlive the buses made over them
    int counter_ = 0;
};

// A store whose commits fail: dead letters cannot be kept.
class BrokenStore final : public tessera::store::Store {
public:
    tessera::Result<tessera::store::Document> get(std::string_view, std::string_view) override { return down(); }
    tessera::Result<std::vector<std::optional<tessera::store::Document>>> get_many(
        std::string_view, std::span<const std::string>) override {
        return down();
    }
    tessera::Result<tessera::store::Page> scan(std::string_view, std::string_view, std::size_t) override {
        return down();
    }
    tessera::Result<std::uint64_t> count(std::string_view) override { return down(); }
    tessera::Result<tessera::store::CommitResult> commit(const tessera::store::Batch&) override { return down(); }
    tessera::Result<std::size_t> sweep_expired(tessera::store::TimePoint, std::size_t) override { return down(); }
    tessera::Result<std::vector<tessera::store::Event>> claim(std::size_t, std::chrono::milliseconds) override {
        return down();
    }
    tessera::Result<void> ack(std::span<const std::string>) override { return down(); }
    tessera::Result<tessera::store::OutboxStats> outbox_stats() override { return down(); }
    tessera::Result<void> ping() override { return down(); }
    std::string_view backend() const noexcept override { return "broken"; }

private:
    static tessera::Error down() { return tessera::Error(ErrorCode::unavailable, "store down"); }
};

std::vector<CloudEvent> one(const CloudEvent& event) {
    return {event};
}

}  // namespace

TEST_SUITE("events") {
    TEST_CASE("EventBus::open: inproc and amqp:// URLs; malformed ones are invalid") {
        CHECK(EventBus::open("inproc").value()->backend() == "inproc");
        CHECK(EventBus::open("inproc:").value()->backend() == "inproc");
#if TESSERA_WITH_AMQP
        // amqp:// opens without connecting: a broker that is down must not stop an engine from starting.
        for (const char* url : {"amqp://guest:guest@127.0.0.1:1/%2F", "amqp://127.0.0.1",
                                "amqp://u:p%40ss@host:5673/vh", "amqp://host/"}) {
            CAPTURE(url);
            auto bus = EventBus::open(url);
            REQUIRE(bus);
            CHECK((*bus)->backend() == "amqp");
        }
#else
        CHECK(EventBus::open("amqp://127.0.0.1").error().code() == ErrorCode::unsupported);
#endif
        for (const char* url :
             {"", "inprocess", "kafka://host", "amqp://", "amqp://host:0", "amqp://host:99999", "amqp://host:port",
              "amqp://host/a/b", "amqp://host/v?heartbeat=5", "amqp://host/v#x"}) {
            CAPTURE(url);
            auto bus = EventBus::open(url);
            REQUIRE_FALSE(bus);
#if TESSERA_WITH_AMQP
            CHECK(bus.error().code() == ErrorCode::invalid);
#else
            CHECK((bus.error().code() == ErrorCode::invalid || bus.error().code() == ErrorCode::unsupported));
#endif
        }
        CHECK(EventBus::open("amqps://host").error().code() == ErrorCode::unsupported);
        // Errors end up in logs: they never repeat a password.
        for (const char* url :
             {"amqp://user:s3cret@host:99999/v", "amqps://user:s3cret@host", "kafka://user:s3cret@host"}) {
            CAPTURE(url);
            const auto error = EventBus::open(url).error();
            CHECK(error.message().find("s3cret") == std::string::npos);
            CHECK(error.details().at("url").as_string().find("s3cret") == std::string::npos);
        }
    }

    TEST_CASE("EventBus contract: inproc") {
        InprocBackend backend;
        tessera::test::run_bus_contract(backend);
    }

    TEST_CASE("inproc: publish returns only once every matching handler has returned") {
        auto bus = EventBus::open("inproc").value();
        std::atomic<int> handled{0};
        auto a = bus->subscribe("#", [&](const Delivery&) { ++handled; }, {.name = "a"}).value();
        auto b = bus->subscribe("notes.*", [&](const Delivery&) { ++handled; }, {.name = "b"}).value();
        std::vector<CloudEvent> batch;
        for (int i = 0; i < 50; ++i)
            batch.push_back(make_test_event("notes", std::string("n").append(std::to_string(i % 7)), "updated", i + 1));
        REQUIRE(bus->publish(batch));
        CHECK(handled == 100);  // no waiting: publish itself confirmed them
        CHECK(bus->stats().published == 50);
        CHECK(bus->stats().delivered == 100);
    }

    TEST_CASE("inproc: one queue slot and one worker: publish waits for room, nothing is lost, order holds") {
        BusOptions options;
        options.workers = 1;
        options.queue_capacity = 1;
        auto bus = EventBus::open("inproc", options).value();
        Recorder recorder;
        auto subscription = bus->subscribe("#", recorder.handler(), {.name = "slow"}).value();
        std::vector<CloudEvent> batch;
        for (int i = 0; i < 200; ++i) batch.push_back(make_test_event("notes", "n", "updated", i + 1));
        REQUIRE(bus->publish(batch));
        const auto deliveries = recorder.deliveries();
        REQUIRE(deliveries.size() == 200);
        for (std::size_t i = 0; i < deliveries.size(); ++i) CHECK(deliveries[i].event.version == i + 1);
    }

    TEST_CASE("inproc: a handler that hangs makes publish time out (not confirmed), and shutdown still works") {
        BusOptions options;
        options.confirm_timeout = 50ms;
        auto bus = EventBus::open("inproc", options).value();
        std::latch release(1);
        auto subscription = bus->subscribe("#", [&](const Delivery&) { release.wait(); }, {.name = "stuck"}).value();
        auto published = bus->publish(one(make_test_event("notes", "n", "created", 1)));
        REQUIRE_FALSE(published);
        CHECK(published.error().code() == ErrorCode::timeout);
        release.count_down();
        subscription.cancel();  // waits for the handler, which returns now
    }

    TEST_CASE("inproc: a dead letter that cannot be stored is not confirmed (so the relay publishes it again)") {
        BrokenStore broken;
        BusOptions options;
        options.dead_letter_store = &broken;
        auto bus = EventBus::open("inproc", options).value();
        auto subscription = bus->subscribe("#", [](const Delivery&) { throw std::runtime_error("no"); },
                                           {.name = "doomed", .max_attempts = 1})
                                .value();
        auto published = bus->publish(one(make_test_event("notes", "n", "created", 1)));
        REQUIRE_FALSE(published);
        CHECK(published.error().code() == ErrorCode::unavailable);
        CHECK(bus->stats().dead_lettered == 0);
    }

    TEST_CASE("inproc: dead letters survive a restart (kept in the store) and replay to a new subscription") {
        tessera::store::MemoryStore store;
        BusOptions options;
        options.dead_letter_store = &store;
        const auto poison = make_test_event("notes", "p", "created", 3);
        std::string id;
        {
            auto bus = EventBus::open("inproc", options).value();
            auto subscription = bus->subscribe("#", [](const Delivery&) { throw std::runtime_error("bad"); },
                                               {.name = "indexer", .max_attempts = 2, .retry_delay = 1ms})
                                    .value();
            REQUIRE(bus->publish(one(poison)));
            auto letters = bus->dead_letters(10).value();
            REQUIRE(letters.size() == 1);
            id = letters[0].id;
            CHECK(id == "indexer:" + poison.id);
        }
        // A new bus over the same store: "the process restarted".
        auto bus = EventBus::open("inproc", options).value();
        REQUIRE(bus->dead_letters(10).value().size() == 1);
        CHECK(bus->dead_letter_count().value() == 1);
        auto orphan = bus->replay(id);  // nobody named "indexer" listens here yet
        REQUIRE_FALSE(orphan);
        CHECK(orphan.error().code() == ErrorCode::not_found);
        CHECK(bus->replay_all().value() == 0);

        Recorder recorder;
        auto subscription = bus->subscribe("#", recorder.handler(), {.name = "indexer"}).value();
        REQUIRE(bus->replay(id));
        REQUIRE(recorder.wait_for_count(1, 10s));
        CHECK(recorder.deliveries()[0].event == poison);
        CHECK(tessera::test::eventually([&] { return bus->dead_letter_count().value() == 0; }, 10s));
        CHECK(store.count("_deadletters").value() == 0);
    }

    TEST_CASE("inproc: subscription names are unique while live; a handler may cancel its own subscription") {
        auto bus = EventBus::open("inproc").value();
        auto first = bus->subscribe("#", [](const Delivery&) {}, {.name = "same"}).value();
        CHECK(bus->subscribe("plans.*", [](const Delivery&) {}, {.name = "same"}).error().code() ==
              ErrorCode::conflict);
        // Unnamed: the pattern is the name.
        auto by_pattern = bus->subscribe("notes.*", [](const Delivery&) {}).value();
        CHECK(by_pattern.name() == "notes.*");
        first.cancel();
        CHECK(bus->subscribe("#", [](const Delivery&) {}, {.name = "same"}));

        auto holder = std::make_shared<Subscription>();
        std::atomic<int> calls{0};
        *holder = bus->subscribe("#",
                                 [&, holder](const Delivery&) {
                                     ++calls;
                                     holder->cancel();  // must not wait for itself
                                 },
                                 {.name = "self"})
                      .value();
        REQUIRE(bus->publish(std::vector<CloudEvent>{make_test_event("notes", "a", "created", 1),
                                                     make_test_event("notes", "a", "updated", 2)}));
        CHECK(calls == 1);
        CHECK_FALSE(holder->active());
    }

    TEST_CASE("Subscription: moves; outliving its bus is harmless") {
        Subscription subscription;
        CHECK_FALSE(subscription.active());
        {
            auto bus = EventBus::open("inproc").value();
            Subscription first = bus->subscribe("#", [](const Delivery&) {}, {.name = "x"}).value();
            subscription = std::move(first);
            CHECK(subscription.active());
            CHECK(subscription.name() == "x");
            CHECK_FALSE(first.active());  // NOLINT(bugprone-use-after-move): moved-from is inert by contract
        }
        subscription.cancel();  // the bus is gone: nothing to do, nothing to crash
        CHECK_FALSE(subscription.active());
    }
}
