#include <tessera/events/relay.hpp>

#include <tessera/store/memory_store.hpp>

#include "support/bus_contract.hpp"
#include "support/engine_fixture.hpp"
#include "support/store_contract.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::Result;
using tessera::events::CloudEvent;
using tessera::events::Delivery;
using tessera::events::EventBus;
using tessera::events::Relay;
using tessera::events::RelayOptions;
using tessera::test::Recorder;

namespace {

// A bus that records what it is asked to publish and fails while told to (a broker that is down).
class FlakyBus final : public EventBus {
public:
    Result<void> publish(std::span<const CloudEvent> batch) override {
        std::lock_guard lock(mutex);
        if (failing) return tessera::Error(ErrorCode::unavailable, "broker down");
        batches.emplace_back(batch.begin(), batch.end());
        return {};
    }
    Result<tessera::events::Subscription> subscribe(std::string_view,
                                                    tessera::events::Handler,
                                                    const tessera::events::SubscribeOptions&) override {
        return tessera::Error(ErrorCode::unsupported, "test bus");
    }
    Result<std::vector<tessera::events::DeadLetter>> dead_letters(std::size_t) override {
        return std::vector<tessera::events::DeadLetter>{};
    }
    Result<std::uint64_t> dead_letter_count() override { return std::uint64_t{0}; }
    Result<void> replay(std::string_view) override { return tessera::Error(ErrorCode::not_found, "none"); }
    Result<std::size_t> replay_all() override { return std::size_t{0}; }
    tessera::events::BusStats stats() const override { return {}; }
    std::string_view backend() const noexcept override { return "flaky"; }

    std::vector<std::string> ids() {
        std::lock_guard lock(mutex);
        std::vector<std::string> out;
        for (const auto& batch : batches) {
            for (const auto& event : batch) out.push_back(event.id);
        }
        return out;
    }

    std::mutex mutex;
    bool failing = false;
    std::vector<std::vector<CloudEvent>> batches;
};

// Forwards to a MemoryStore; `ack` fails while told to.
class AckFailingStore final : public tessera::store::Store {
public:
    explicit AckFailingStore(tessera::store::Store& inner) : inner_(inner) {}
    Result<tessera::store::Document> get(std::string_view c, std::string_view id) override { return inner_.get(c, id); }
    Result<std::vector<std::optional<tessera::store::Document>>> get_many(std::string_view c,
                                                                          std::span<const std::string> ids) override {
        return inner_.get_many(c, ids);
    }
    Result<tessera::store::Page> scan(std::string_view c, std::string_view cursor, std::size_t limit) override {
        return inner_.scan(c, cursor, limit);
    }
    Result<std::uint64_t> count(std::string_view c) override { return inner_.count(c); }
    Result<tessera::store::CommitResult> commit(const tessera::store::Batch& b) override { return inner_.commit(b); }
    Result<std::size_t> sweep_expired(tessera::store::TimePoint now, std::size_t limit) override {
        return inner_.sweep_expired(now, limit);
    }
    Result<std::vector<tessera::store::Event>> claim(std::size_t max, std::chrono::milliseconds lease) override {
        return inner_.claim(max, lease);
    }
    Result<void> ack(std::span<const std::string> ids) override {
        if (fail_acks) return tessera::Error(ErrorCode::unavailable, "store down");
        return inner_.ack(ids);
    }
    Result<tessera::store::OutboxStats> outbox_stats() override { return inner_.outbox_stats(); }
    Result<void> ping() override { return inner_.ping(); }
    std::string_view backend() const noexcept override { return "ack-failing"; }

    bool fail_acks = false;

private:
    tessera::store::Store& inner_;
};

// Commits one document write with its event; returns the event id.
std::string write(tessera::store::Store& store, const std::string& id, const std::string& action = "created") {
    tessera::store::Batch batch;
    batch.ops.push_back(tessera::store::Op::put("notes", id, R"({"text":")" + id + "\"}"));
    tessera::store::Event event;
    event.collection = "notes";
    event.document_id = id;
    event.action = action;
    event.data = R"({"text":")" + id + "\"}";
    batch.events.push_back(event);
    auto committed = store.commit(batch).value();
    return std::to_string(committed.version) + "-0";
}

RelayOptions manual(std::size_t batch_size) {
    RelayOptions options;
    options.batch_size = batch_size;
    options.poll_interval = 0ms;
    options.lease = 1s;
    return options;
}

// A relay for its background thread (not started) over a MemoryStore and an inproc bus whose
// every event `recorder` sees. Its idle poll is an hour: only a notify wakes it in time.
struct RelayOnThread {
    explicit RelayOnThread(RelayOptions options) : relay(store, *bus, with_long_poll(options)) {}
    static RelayOptions with_long_poll(RelayOptions options) {
        options.poll_interval = std::chrono::hours(1);
        return options;
    }

    tessera::store::MemoryStore store;
    std::unique_ptr<EventBus> bus = EventBus::open("inproc").value();
    Recorder recorder;
    tessera::events::Subscription subscription = bus->subscribe("#", recorder.handler(), {.name = "all"}).value();
    Relay relay;  // last: stops before what it uses goes
};

}  // namespace

TEST_SUITE("events") {
    TEST_CASE("Relay: publishes in outbox order, acknowledges only what the bus confirmed") {
        tessera::store::MemoryStore store;
        tessera::events::BusOptions one_worker;  // arrival order = publish order across documents too
        one_worker.workers = 1;
        auto bus = EventBus::open("inproc", one_worker).value();
        Recorder recorder;
        auto subscription = bus->subscribe("#", recorder.handler(), {.name = "all"}).value();
        std::vector<std::string> ids;
        for (int i = 0; i < 5; ++i) ids.push_back(write(store, "n" + std::to_string(i)));
        Relay relay(store, *bus, manual(3));
        CHECK(relay.run_once().value() == 3);
        CHECK(relay.run_once().value() == 2);
        CHECK(relay.run_once().value() == 0);
        std::vector<std::string> delivered;
        for (const auto& d : recorder.deliveries()) delivered.push_back(d.event.id);
        CHECK(delivered == ids);
        CHECK(recorder.deliveries().at(0).event.type == "tessera.notes.created");
        CHECK(store.outbox_stats().value().pending == 0);
        const auto stats = relay.stats();
        CHECK(stats.published == 5);
        CHECK(stats.batches == 2);
        CHECK(stats.failures == 0);
        CHECK(stats.delay.count == 5);
        CHECK(stats.delay.counts.back() == 5);
    }

    TEST_CASE("Relay: a batch that failed to publish is kept and goes out first, whole, before anything newer") {
        tessera::store::MemoryStore store;
        FlakyBus bus;
        std::vector<std::string> ids;
        for (int i = 0; i < 3; ++i) ids.push_back(write(store, "n" + std::to_string(i)));
        Relay relay(store, bus, manual(2));
        bus.failing = true;
        auto failed = relay.run_once();
        REQUIRE_FALSE(failed);
        CHECK(failed.error().code() == ErrorCode::unavailable);
        CHECK(relay.run_once().error().code() == ErrorCode::unavailable);
        CHECK(relay.stats().failures == 2);
        CHECK(store.outbox_stats().value().pending == 3);  // nothing acknowledged
        ids.push_back(write(store, "n3"));
        bus.failing = false;
        CHECK(relay.run_once().value() == 2);
        CHECK(relay.run_once().value() == 2);
        CHECK(bus.ids() == ids);
        CHECK(bus.batches.at(0).size() == 2);
        CHECK(store.outbox_stats().value().pending == 0);
    }

    TEST_CASE("Relay: events a crashed relay never got confirmed are claimed again once their lease ends") {
        tessera::test::ManualClock clock;
        tessera::store::StoreOptions store_options;
        store_options.clock = clock.function();
        tessera::store::MemoryStore store(store_options);
        const auto id = write(store, "n0");
        {
            FlakyBus down;
            down.failing = true;
            Relay crashed(store, down, manual(10));
            CHECK_FALSE(crashed.run_once());
        }  // the process dies holding the claim
        FlakyBus up;
        Relay restarted(store, up, manual(10));
        CHECK(restarted.run_once().value() == 0);  // still leased to the dead relay
        clock.advance(2s);
        CHECK(restarted.run_once().value() == 1);
        CHECK(up.ids() == std::vector<std::string>{id});
        CHECK(up.batches.at(0).at(0).id == id);
    }

    TEST_CASE("Relay: a confirmed batch whose acknowledgement failed is acknowledged, not published again") {
        tessera::store::MemoryStore memory;
        AckFailingStore store(memory);
        FlakyBus bus;
        write(store, "n0");
        Relay relay(store, bus, manual(10));
        store.fail_acks = true;
        CHECK(relay.run_once().error().code() == ErrorCode::unavailable);
        CHECK(bus.batches.size() == 1);
        store.fail_acks = false;
        CHECK(relay.run_once().value() == 1);
        CHECK(bus.batches.size() == 1);
        CHECK(memory.outbox_stats().value().pending == 0);
    }

    TEST_CASE("Relay: two relays over one store (two servers) share the outbox: each event published once, none lost") {
        tessera::store::MemoryStore store;
        FlakyBus first_bus;
        FlakyBus second_bus;
        Relay first(store, first_bus, manual(7));
        Relay second(store, second_bus, manual(7));
        std::set<std::string> written;
        for (int i = 0; i < 100; ++i) written.insert(write(store, "n" + std::to_string(i)));
        // The first holds a batch it cannot publish yet (its broker connection is down): the second
        // relays everything else, never what the first holds under its lease.
        first_bus.failing = true;
        CHECK_FALSE(first.run_once());
        while (second.run_once().value() > 0) {
        }
        CHECK(second_bus.ids().size() == 93);
        first_bus.failing = false;
        CHECK(first.run_once().value() == 7);
        auto ids = first_bus.ids();
        const auto more = second_bus.ids();
        ids.insert(ids.end(), more.begin(), more.end());
        CHECK(ids.size() == written.size());
        CHECK(std::set<std::string>(ids.begin(), ids.end()) == written);
        CHECK(store.outbox_stats().value().pending == 0);
    }

    TEST_CASE("Relay: the background thread wakes on notify, and stops cleanly") {
        RelayOnThread on_thread({});
        Relay& relay = on_thread.relay;
        relay.start();
        relay.start();  // no second thread
        write(on_thread.store, "n0");
        relay.notify();
        CHECK(on_thread.recorder.wait_for_count(1, 10s));
        relay.stop();
        relay.stop();
    }

    TEST_CASE("Relay: an idle relay publishes at once; events committed while it lingers go out together") {
        RelayOptions options;
        options.linger = 1s;  // long enough that the writes below fall inside it
        RelayOnThread on_thread(options);
        Relay& relay = on_thread.relay;
        relay.start();
        write(on_thread.store, "n0");
        relay.notify();
        CHECK(on_thread.recorder.wait_for_count(1, 10s));  // idle: no linger before the first batch
        for (int i = 1; i <= 5; ++i) {
            // Spaced out, so a relay without a linger would publish each write on its own.
            std::this_thread::sleep_for(10ms);
            write(on_thread.store, "n" + std::to_string(i));
            relay.notify();  // does not cut the linger short
        }
        CHECK(on_thread.recorder.wait_for_count(6, 10s));
        // The relay counts a batch after acknowledging it, a moment after the subscriber saw it.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (relay.stats().published < 6 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        CHECK(relay.stats().published == 6);
        CHECK(relay.stats().batches == 2);
        relay.stop();
    }

    TEST_CASE("DelayHistogram: quantiles are the bucket bounds") {
        tessera::events::DelayHistogram h;
        CHECK(h.quantile(0.99) == 0);
        h.counts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 10};
        h.count = 10;
        CHECK(h.quantile(0.5) == 0.025);
        CHECK(h.quantile(0.99) == 1.0);
        h.count = 11;  // one beyond the last bound
        CHECK(std::isinf(h.quantile(1.0)));
    }

    TEST_CASE("Engine: writes reach in-process subscribers as CloudEvents, deletes carry the id") {
        auto engine = tessera::test::make_memory_engine();
        Recorder recorder;
        auto subscription = engine.bus().subscribe("counters.*", recorder.handler(), {.name = "counters"}).value();
        auto* counters = engine.collection("counters");
        REQUIRE(counters != nullptr);
        auto created = counters->create(boost::json::parse(R"({"id":"c1","value":1})")).value();
        REQUIRE(counters->remove("c1"));
        CHECK(engine.relay().run_once().value() == 2);
        const auto deliveries = recorder.deliveries();
        REQUIRE(deliveries.size() == 2);
        CHECK(deliveries[0].event.type == "tessera.counters.created");
        CHECK(deliveries[0].event.source == "/tessera/counters");
        CHECK(deliveries[0].event.subject == "c1");
        CHECK(boost::json::parse(deliveries[0].event.data) == boost::json::parse(created.text));
        CHECK(deliveries[0].event.version == created.version);
        CHECK(deliveries[1].event.type == "tessera.counters.deleted");
        CHECK(deliveries[1].event.data == R"({"id":"c1"})");
        CHECK(deliveries[1].event.version > deliveries[0].event.version);
        CHECK(engine.relay().stats().published == 2);
    }
}
