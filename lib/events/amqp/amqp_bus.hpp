#pragma once
// Private: the RabbitMQ bus (`EventBus::open("amqp://…")`, rabbitmq-c). rabbitmq-c's headers stay in
// amqp_connection.hpp, out of everything public.
//
// Topology (declared by whoever needs it, idempotently; the publisher declares the exchange and the
// dead-letter queue on every connection, and connect() opens it at start-up):
//   exchange  tessera.events           durable topic; the relay publishes "<collection>.<action>"
//   queue     <subscription name>      quorum (or server-named: classic, exclusive, auto-delete),
//                                      bound with the subscription's pattern
//   queue     tessera.retry.<queue>    quorum delay queue, no consumer: a failed delivery is published
//                                      here with a per-message TTL (the retry delay); when it expires
//                                      the broker dead-letters it (at least once) back to <queue>
//   queue     tessera.deadletter       quorum; deliveries that failed max_attempts times, with headers
//                                      x-tessera-subscription, -error, -attempts, -failed-at
// Quorum, not classic: a classic queue still restarting after a broker crash lets a publish through
// confirmed but dropped; a quorum queue confirms only what it committed.
// Connections: one for publishing (channel 1, publisher confirms, heartbeat off: it may sit idle
// between batches), one per subscription for consuming (channel 1, manual acks, basic.qos prefetch,
// heartbeat on) plus one it opens on first need to republish failed deliveries with confirms, and one
// for admin calls (dead-letter listing and replay). Each is used by one thread at a time.
// The keeper: once connect() was called, a thread that checks the idle publisher every check_interval
// (one exchange.declare within connect_timeout; skipped when a publish just proved it, or is in
// flight) and reopens it with the reconnect backoff when it is down, declaring the topology again, so
// BusStats::connected is current and a broker that came back has the exchange before any publish.
// Every message is persistent; a delivery is acked only after its handler returned or after the
// broker confirmed its retry or dead-letter copy, so a crash anywhere re-delivers instead of losing.

#include <tessera/events/event_bus.hpp>

#include <memory>

namespace tessera::events {

class AmqpBus final : public EventBus {
public:
    /// Parses the URL; connects nothing yet. Errors: `invalid`.
    static Result<std::unique_ptr<EventBus>> open(std::string_view url, const BusOptions& options);
    /// Stops the keeper, cancels every subscription (joining their threads) and closes the connections.
    ~AmqpBus() override;
    AmqpBus(const AmqpBus&) = delete;
    AmqpBus& operator=(const AmqpBus&) = delete;

    /// Opens the publisher and declares the topology, then starts the keeper (even on failure).
    Result<void> connect() override;
    Result<void> publish(std::span<const CloudEvent> batch) override;
    Result<Subscription> subscribe(std::string_view pattern, Handler handler, const SubscribeOptions& options) override;
    Result<std::vector<DeadLetter>> dead_letters(std::size_t limit) override;
    Result<std::uint64_t> dead_letter_count() override;
    Result<void> replay(std::string_view id) override;
    Result<std::size_t> replay_all() override;
    BusStats stats() const override;
    std::string_view backend() const noexcept override { return "amqp"; }

    struct Impl;

private:
    explicit AmqpBus(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;  // shared with subscriptions' cancel functions (as weak references)
};

}  // namespace tessera::events
