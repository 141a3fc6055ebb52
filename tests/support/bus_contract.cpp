#include "support/bus_contract.hpp"

#include "support/store_contract.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <set>
#include <stdexcept>

namespace tessera::test {
namespace {

using namespace std::chrono_literals;
using events::CloudEvent;
using events::Delivery;
using events::SubscribeOptions;

// Long enough for a broker on a loaded machine; waits end as soon as their condition holds.
constexpr auto kWait = 30s;

SubscribeOptions named(BusBackend& backend, std::string_view base) {
    SubscribeOptions options;
    options.name = backend.unique_name(base);
    return options;
}

SubscribeOptions failing_fast(BusBackend& backend, std::string_view base, std::uint32_t attempts) {
    SubscribeOptions options = named(backend, base);
    options.max_attempts = attempts;
    options.retry_delay = 10ms;
    options.max_retry_delay = 40ms;
    return options;
}

std::uint64_t dead_letter_count(events::EventBus& bus) {
    auto count = bus.dead_letter_count();
    REQUIRE_MESSAGE(count, (count ? "" : count.error().to_string()));
    return *count;
}

void routing(BusBackend& backend) {
    auto bus = backend.create();
    Recorder plans;
    Recorder all;
    Recorder deletes;
    auto s1 = bus->subscribe("plans.*", plans.handler(), named(backend, "plans")).value();
    auto s2 = bus->subscribe("#", all.handler(), named(backend, "all")).value();
    auto s3 = bus->subscribe("*.deleted", deletes.handler(), named(backend, "deletes")).value();
    const std::vector<CloudEvent> batch{make_test_event("plans", "p1", "created", 1),
                                        make_test_event("services", "s1", "updated", 2),
                                        make_test_event("plans", "p1", "deleted", 3)};
    REQUIRE(bus->publish(batch));
    CHECK(all.wait_for_count(3, kWait));
    CHECK(plans.wait_for_count(2, kWait));
    CHECK(deletes.wait_for_count(1, kWait));
    CHECK(deletes.deliveries().at(0).event.id == batch[2].id);
    CHECK(bus->publish({}));  // an empty batch is confirmed at once
    CHECK(bus->stats().published >= 3);
}

void intact(BusBackend& backend) {
    auto bus = backend.create();
    Recorder recorder;
    auto options = named(backend, "intact");
    auto subscription = bus->subscribe("#", recorder.handler(), options).value();
    auto event = make_test_event("services", "s-9", "updated", 77, 2);
    event.root_id = "plans/p-1";
    event.parent_id = "planservices/ps-1";
    event.data = R"({"name":"Yearly physical","objectId":"s-9","tags":["a","é"]})";  // canonical, as stored
    REQUIRE(bus->publish(std::vector<CloudEvent>{event}));
    REQUIRE(recorder.wait_for_count(1, kWait));
    const Delivery delivery = recorder.deliveries().at(0);
    CHECK(delivery.event == event);
    CHECK(delivery.attempt == 1);
    CHECK(delivery.subscription == subscription.name());
    CHECK(delivery.event.routing_key() == "services.updated");
}

void order(BusBackend& backend) {
    auto bus = backend.create();
    Recorder recorder;
    auto subscription = bus->subscribe("#", recorder.handler(), named(backend, "order")).value();
    // 5 documents x 40 versions, interleaved, in batches of 25: each document's versions must arrive in
    // the order published, even though several workers (inproc) or a prefetch window (amqp) are at work.
    std::vector<CloudEvent> all;
    for (std::uint64_t version = 1; version <= 40; ++version) {
        for (int doc = 0; doc < 5; ++doc) {
            all.push_back(make_test_event("notes", "n" + std::to_string(doc), "updated", version * 10 + doc));
        }
    }
    for (std::size_t first = 0; first < all.size(); first += 25) {
        REQUIRE(bus->publish(std::span(all).subspan(first, std::min<std::size_t>(25, all.size() - first))));
    }
    REQUIRE(recorder.wait_for_count(all.size(), kWait));
    std::map<std::string, std::uint64_t> last;
    std::set<std::string> seen;
    for (const auto& delivery : recorder.deliveries()) {
        if (!seen.insert(delivery.event.id).second) continue;  // a redelivery: order is about first deliveries
        auto& previous = last[delivery.event.subject];
        CHECK_MESSAGE(delivery.event.version > previous,
                      delivery.event.subject << " v" << delivery.event.version << " after v" << previous);
        previous = delivery.event.version;
    }
    CHECK(seen.size() == all.size());
}

void dead_letter(BusBackend& backend) {
    auto bus = backend.create();
    Recorder recorder;
    const auto poison = make_test_event("notes", "poison", "created", 5);
    recorder.fail_when([&](const Delivery& d) { return d.event.id == poison.id; });
    auto options = failing_fast(backend, "dead", 3);
    auto subscription = bus->subscribe("#", recorder.handler(), options).value();
    std::vector<CloudEvent> batch;
    for (std::uint64_t v = 1; v <= 9; ++v)
        batch.push_back(make_test_event("notes", "good" + std::to_string(v), "created", v, 1));
    batch.insert(batch.begin() + 4, poison);
    REQUIRE(bus->publish(batch));

    // Retried, then parked; the others flow.
    REQUIRE(recorder.wait([&](const auto& all) { return all.size() >= 12; }, kWait));
    const auto attempts = recorder.of(poison.id);
    REQUIRE(attempts.size() == 3);
    for (std::uint32_t i = 0; i < 3; ++i) CHECK(attempts[i].attempt == i + 1);
    CHECK(attempts[1].redelivered);
    for (const auto& event : batch) {
        if (event.id != poison.id) CHECK(recorder.of(event.id).size() == 1);
    }
    REQUIRE(eventually([&] { return dead_letter_count(*bus) == 1; }, kWait));
    auto letters = bus->dead_letters(10).value();
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].id == subscription.name() + ":" + poison.id);
    CHECK(letters[0].subscription == subscription.name());
    CHECK(letters[0].attempts == 3);
    CHECK(letters[0].error.find("handler refuses " + poison.id) != std::string::npos);
    CHECK(letters[0].event == poison);
    CHECK(letters[0].time.time_since_epoch().count() > 0);
    CHECK(bus->stats().dead_lettered >= 1);
    // Listing does not consume.
    CHECK(bus->dead_letters(10).value().size() == 1);

    SUBCASE("replay one: handed back as a first attempt; it leaves the list once handled") {
        recorder.fail_when(nullptr);
        CHECK(bus->replay("no:such-id").error().code() == ErrorCode::not_found);
        REQUIRE(bus->replay(letters[0].id));
        REQUIRE(recorder.wait([&](const auto&) { return recorder.of(poison.id).size() == 4; }, kWait));
        CHECK(recorder.of(poison.id).back().attempt == 1);
        CHECK(recorder.of(poison.id).back().redelivered);
        CHECK(recorder.of(poison.id).back().event == poison);
        CHECK(eventually([&] { return dead_letter_count(*bus) == 0; }, kWait));
        CHECK(bus->dead_letters(10).value().empty());
    }
    SUBCASE("replay all; one that fails again is parked again") {
        const auto second = make_test_event("notes", "poison2", "created", 11);
        recorder.fail_when([&](const Delivery& d) { return d.event.id == poison.id || d.event.id == second.id; });
        REQUIRE(bus->publish(std::vector<CloudEvent>{second}));
        REQUIRE(eventually([&] { return dead_letter_count(*bus) == 2; }, kWait));
        recorder.fail_when([&](const Delivery& d) { return d.event.id == second.id; });
        CHECK(bus->replay_all().value() == 2);
        REQUIRE(recorder.wait([&](const auto&) { return recorder.of(poison.id).size() == 4; }, kWait));
        REQUIRE(recorder.wait([&](const auto&) { return recorder.of(second.id).size() == 6; }, kWait));
        REQUIRE(eventually([&] { return dead_letter_count(*bus) == 1; }, kWait));
        auto left = bus->dead_letters(10).value();
        REQUIRE(left.size() == 1);
        CHECK(left[0].event.id == second.id);
    }
}

void cancel(BusBackend& backend) {
    auto bus = backend.create();
    Recorder first;
    auto options = named(backend, "cancel");
    auto subscription = bus->subscribe("#", first.handler(), options).value();
    CHECK(subscription.active());
    const auto e1 = make_test_event("notes", "a", "created", 1);
    const auto e2 = make_test_event("notes", "a", "updated", 2);
    const auto e3 = make_test_event("notes", "a", "updated", 3);
    REQUIRE(bus->publish(std::vector<CloudEvent>{e1}));
    REQUIRE(first.wait_for_count(1, kWait));
    subscription.cancel();
    CHECK_FALSE(subscription.active());
    subscription.cancel();  // idempotent
    REQUIRE(bus->publish(std::vector<CloudEvent>{e2}));

    Recorder second;
    auto again = bus->subscribe("#", second.handler(), options).value();
    REQUIRE(bus->publish(std::vector<CloudEvent>{e3}));
    if (backend.keeps_events_while_away()) {
        REQUIRE(second.wait_for_count(2, kWait));
        CHECK(second.deliveries().at(0).event.id == e2.id);
        CHECK(second.deliveries().at(1).event.id == e3.id);
    } else {
        REQUIRE(second.wait_for_count(1, kWait));
        CHECK(second.deliveries().at(0).event.id == e3.id);
    }
    CHECK(first.count() == 1);  // nothing reached the cancelled handler
}

void odd_exceptions(BusBackend& backend) {
    auto bus = backend.create();
    std::atomic<int> calls{0};
    auto options = failing_fast(backend, "odd", 1);
    auto subscription = bus->subscribe(
                               "#",
                               [&](const Delivery&) {
                                   ++calls;
                                   throw 42;  // not a std::exception
                               },
                               options)
                            .value();
    REQUIRE(bus->publish(std::vector<CloudEvent>{make_test_event("notes", "x", "created", 1)}));
    REQUIRE(eventually([&] { return dead_letter_count(*bus) == 1; }, kWait));
    CHECK(calls == 1);
    CHECK(bus->dead_letters(1).value().at(0).error == "unknown exception");
}

void arguments(BusBackend& backend) {
    auto bus = backend.create();
    Recorder recorder;
    CHECK(bus->subscribe("", recorder.handler(), named(backend, "args")).error().code() == ErrorCode::invalid);
    CHECK(bus->subscribe("#", nullptr, named(backend, "args")).error().code() == ErrorCode::invalid);
    auto zero = named(backend, "args");
    zero.max_attempts = 0;
    CHECK(bus->subscribe("#", recorder.handler(), zero).error().code() == ErrorCode::invalid);
    CHECK(bus->replay("nothing:here").error().code() == ErrorCode::not_found);
    CHECK(bus->replay_all().value() == 0);
    CHECK(bus->dead_letters(5).value().empty());
}

}  // namespace

events::Handler Recorder::handler() {
    return [this](const Delivery& delivery) {
        std::function<bool(const Delivery&)> fail;
        {
            std::lock_guard lock(mutex_);
            deliveries_.push_back(delivery);
            fail = fail_;
        }
        changed_.notify_all();
        if (fail && fail(delivery)) throw std::runtime_error("handler refuses " + delivery.event.id);
    };
}

void Recorder::fail_when(std::function<bool(const Delivery&)> fail) {
    std::lock_guard lock(mutex_);
    fail_ = std::move(fail);
}

bool Recorder::wait(const std::function<bool(const std::vector<Delivery>&)>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        auto snapshot = deliveries_;
        lock.unlock();  // `done` may call of() or count(), which lock
        if (done(snapshot)) return true;
        lock.lock();
        if (std::chrono::steady_clock::now() >= deadline) return false;
        changed_.wait_until(lock, deadline, [&] { return deliveries_.size() != snapshot.size(); });
    }
}

bool Recorder::wait_for_count(std::size_t n, std::chrono::milliseconds timeout) {
    return wait([n](const auto& all) { return all.size() >= n; }, timeout);
}

std::vector<Delivery> Recorder::deliveries() const {
    std::lock_guard lock(mutex_);
    return deliveries_;
}

std::size_t Recorder::count() const {
    std::lock_guard lock(mutex_);
    return deliveries_.size();
}

std::vector<Delivery> Recorder::of(const std::string& event_id) const {
    std::lock_guard lock(mutex_);
    std::vector<Delivery> out;
    for (const auto& d : deliveries_) {
        if (d.event.id == event_id) out.push_back(d);
    }
    return out;
}

events::CloudEvent make_test_event(const std::string& collection,
                                   const std::string& document,
                                   const std::string& action,
                                   std::uint64_t version,
                                   std::uint64_t n) {
    store::Event record;
    record.id = std::to_string(version) + "-" + std::to_string(n);
    record.collection = collection;
    record.document_id = document;
    record.action = action;
    record.version = version;
    record.time = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    if (action != "deleted") record.data = R"({"id":")" + document + R"(","v":)" + std::to_string(version) + "}";
    return events::CloudEvent::from_store(record);
}

void run_bus_contract(BusBackend& backend) {
    SUBCASE("routing: each subscription gets what its pattern matches") {
        routing(backend);
    }
    SUBCASE("delivery: the CloudEvent arrives intact, attempt 1") {
        intact(backend);
    }
    SUBCASE("order: one document's events arrive in publish order") {
        order(backend);
    }
    SUBCASE("failure: retried, then dead-lettered, while the others flow") {
        dead_letter(backend);
    }
    SUBCASE("cancel: a cancelled subscription's handler gets nothing more") {
        cancel(backend);
    }
    SUBCASE("failure: a handler throwing a non-std::exception is a failure too") {
        odd_exceptions(backend);
    }
    SUBCASE("arguments: bad subscriptions are invalid; unknown dead letters are not_found") {
        arguments(backend);
    }
}

}  // namespace tessera::test
