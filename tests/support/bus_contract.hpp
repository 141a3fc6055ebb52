#pragma once
// The EventBus contract, written once and run unchanged against every backend: inproc under `unit`,
// amqp (a real rabbitmq-server) under `integration`. A backend's test file implements BusBackend and
// calls run_bus_contract() from its own TEST_CASE; each part is a SUBCASE, so doctest reruns the test
// case — and so creates a fresh bus — for every part.

#include <tessera/events/event_bus.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::test {

/// What the contract needs from a backend's test file.
class BusBackend {
public:
    virtual ~BusBackend() = default;
    /// A new bus, isolated from the buses made before (amqp: its own exchange and dead-letter queue).
    virtual std::unique_ptr<events::EventBus> create() = 0;
    /// A subscription name nothing used before (amqp: a new durable queue).
    virtual std::string unique_name(std::string_view base) = 0;
    /// True if a named subscription keeps what is published while it is cancelled (amqp's durable
    /// queues), false if such events are dropped (inproc).
    virtual bool keeps_events_while_away() const = 0;
};

/// Runs every part of the contract as SUBCASEs: routing by pattern, the CloudEvent intact, per-document
/// order, retry then dead letter while others flow, replay of one and of all, cancellation, a
/// handler that throws something that is not a std::exception, and argument checks.
void run_bus_contract(BusBackend& backend);

/// A CloudEvent for tests: collection/document/action with a version; time on a millisecond (what the
/// wire keeps).
events::CloudEvent make_test_event(const std::string& collection,
                                   const std::string& document,
                                   const std::string& action,
                                   std::uint64_t version,
                                   std::uint64_t n = 0);

/// Records deliveries to a handler and lets a test wait for them. Thread-safe. Must outlive the
/// subscriptions using its handler (declare it first).
class Recorder {
public:
    /// A handler that records each delivery, then throws if `fail` (set with `fail_when`) says so.
    events::Handler handler();
    /// From now on the handler throws std::runtime_error("handler refuses <id>") for deliveries where
    /// `fail` returns true (nullptr: never).
    void fail_when(std::function<bool(const events::Delivery&)> fail);
    /// Waits (condition variable, no polling) until `done(deliveries)` holds or `timeout` passes.
    bool wait(const std::function<bool(const std::vector<events::Delivery>&)>& done, std::chrono::milliseconds timeout);
    /// Waits until at least `n` deliveries arrived.
    bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout);
    std::vector<events::Delivery> deliveries() const;
    std::size_t count() const;
    /// Deliveries of the event with this id, in arrival order.
    std::vector<events::Delivery> of(const std::string& event_id) const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<events::Delivery> deliveries_;
    std::function<bool(const events::Delivery&)> fail_;
};

}  // namespace tessera::test
