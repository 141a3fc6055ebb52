#include <tessera/events/event_bus.hpp>

#include "support/bus_contract.hpp"
#include "support/net.hpp"
#include "support/rabbitmq_server.hpp"
#include "support/store_contract.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <unistd.h>

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::events::BusOptions;
using tessera::events::CloudEvent;
using tessera::events::EventBus;
using tessera::test::make_test_event;
using tessera::test::RabbitMqServer;
using tessera::test::Recorder;

namespace {

// One broker for the contract's many subcases (each makes its own exchange and queues); tests that
// kill a broker start their own.
RabbitMqServer& shared_broker() {
    static RabbitMqServer broker;
    return broker;
}

BusOptions fast_recovery() {
    BusOptions options;
    options.reconnect_delay = 50ms;
    options.max_reconnect_delay = 1s;
    options.connect_timeout = 5s;
    return options;
}

class AmqpBackend final : public tessera::test::BusBackend {
public:
    std::unique_ptr<EventBus> create() override {
        BusOptions options = fast_recovery();
        const std::string prefix = "test." + std::to_string(getpid()) + "." + std::to_string(++counter_);
        options.exchange = prefix + ".events";
        options.dead_letter_queue = prefix + ".deadletter";
        return EventBus::open(shared_broker().url(), options).value();
    }
    std::string unique_name(std::string_view base) override {
        return "test." + std::string(base) + "." + std::to_string(getpid()) + "." + std::to_string(++counter_);
    }
    bool keeps_events_while_away() const override { return true; }

private:
    // doctest reruns the test case, and so makes a new backend, for every subcase: names must still
    // never repeat within the process.
    static inline std::atomic<int> counter_{0};
};

std::vector<CloudEvent> events_for(const std::string& document, std::uint64_t first_version, int count) {
    std::vector<CloudEvent> out;
    for (int i = 0; i < count; ++i) out.push_back(make_test_event("notes", document, "updated", first_version + i));
    return out;
}

// Publishes until the broker takes it (it may still be starting), for at most `timeout`.
void publish_eventually(EventBus& bus, const std::vector<CloudEvent>& batch, std::chrono::seconds timeout = 60s) {
    tessera::Result<void> published = tessera::Error(ErrorCode::unavailable, "not tried");
    CHECK(tessera::test::eventually([&] { return static_cast<bool>(published = bus.publish(batch)); }, timeout));
    REQUIRE_MESSAGE(published, (published ? "" : published.error().to_string()));
}

// How many events of `batch` the recorder has not seen.
std::size_t missing(const Recorder& recorder, const std::vector<CloudEvent>& batch) {
    std::set<std::string> seen;
    for (const auto& d : recorder.deliveries()) seen.insert(d.event.id);
    std::size_t count = 0;
    for (const auto& event : batch) count += seen.contains(event.id) ? 0 : 1;
    return count;
}

bool has_all(const Recorder& recorder, const std::vector<CloudEvent>& batch) {
    return missing(recorder, batch) == 0;
}

}  // namespace

TEST_SUITE("events.amqp") {
    TEST_CASE("EventBus contract: amqp, against a real rabbitmq-server") {
        AmqpBackend backend;
        tessera::test::run_bus_contract(backend);
    }

    TEST_CASE("amqp: an unreachable broker gives unavailable at once, never a hang or a crash") {
        const auto port = tessera::test::free_loopback_port();  // nothing listens there
        auto bus =
            EventBus::open("amqp://guest:guest@127.0.0.1:" + std::to_string(port) + "/%2F", fast_recovery()).value();
        const auto start = std::chrono::steady_clock::now();
        auto published = bus->publish(std::vector<CloudEvent>{make_test_event("notes", "a", "created", 1)});
        REQUIRE_FALSE(published);
        CHECK(published.error().code() == ErrorCode::unavailable);
        CHECK(published.error().details().at("backend").at("amqp").as_object().contains("status"));
        CHECK_FALSE(bus->stats().connected);
        Recorder recorder;
        CHECK(bus->subscribe("#", recorder.handler(), {.name = "nobody"}).error().code() == ErrorCode::unavailable);
        CHECK(bus->dead_letters(10).error().code() == ErrorCode::unavailable);
        CHECK(bus->dead_letter_count().error().code() == ErrorCode::unavailable);
        CHECK(std::chrono::steady_clock::now() - start < 5s);
    }

    TEST_CASE("amqp: a wrong password is forbidden, with the broker's reply in details.backend") {
        std::string url = shared_broker().url();
        url.replace(url.find("guest:guest"), 11, "guest:wrong");
        auto bus = EventBus::open(url, fast_recovery()).value();
        auto published = bus->publish(std::vector<CloudEvent>{make_test_event("notes", "a", "created", 1)});
        REQUIRE_FALSE(published);
        CHECK(published.error().code() == ErrorCode::forbidden);
        CHECK(published.error().details().at("backend").at("amqp").at("reply_code") == 403);
    }

    TEST_CASE(
        "amqp: broker SIGKILLed and restarted: publishes fail meanwhile then resume, consumers reconnect, "
        "confirmed events survive") {
        RabbitMqServer broker;
        auto publisher = EventBus::open(broker.url(), fast_recovery()).value();
        auto subscriber = EventBus::open(broker.url(), fast_recovery()).value();
        Recorder recorder;
        tessera::events::SubscribeOptions options{.name = "survivor"};
        auto subscription = subscriber->subscribe("#", recorder.handler(), options).value();

        const auto a = events_for("a", 1, 50);
        REQUIRE(publisher->publish(a));
        REQUIRE(recorder.wait([&](const auto&) { return has_all(recorder, a); }, 30s));

        // Confirmed while nobody consumes: in the durable queue, on disk, when the broker dies.
        subscription.cancel();
        const auto b = events_for("b", 100, 50);
        REQUIRE(publisher->publish(b));
        broker.kill();

        const auto c = events_for("c", 200, 50);
        const auto start = std::chrono::steady_clock::now();
        auto down = publisher->publish(c);
        REQUIRE_FALSE(down);
        CHECK(down.error().code() == ErrorCode::unavailable);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        CHECK_FALSE(publisher->stats().connected);

        broker.start();
        publish_eventually(*publisher, c);
        CHECK(publisher->stats().connected);
        tessera::Result<tessera::events::Subscription> again = tessera::Error(ErrorCode::unavailable, "not tried");
        REQUIRE(tessera::test::eventually(
            [&] { return static_cast<bool>(again = subscriber->subscribe("#", recorder.handler(), options)); }, 60s));
        CHECK_MESSAGE(recorder.wait([&](const auto&) { return has_all(recorder, b) && has_all(recorder, c); }, 60s),
                      "missing: " << missing(recorder, b) << " of the batch confirmed before the crash, "
                                  << missing(recorder, c) << " of the one published after; " << recorder.count()
                                  << " deliveries; the broker's log:\n"
                                  << broker.log_tail());

        // Killed under a live consumer: it reconnects by itself.
        const auto reconnects = subscriber->stats().reconnects;
        broker.kill();
        broker.start();
        const auto d = events_for("d", 300, 20);
        publish_eventually(*publisher, d);
        CHECK(recorder.wait([&](const auto&) { return has_all(recorder, d); }, 60s));
        CHECK(subscriber->stats().reconnects > reconnects);
    }
}
