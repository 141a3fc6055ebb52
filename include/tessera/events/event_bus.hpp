#pragma once
/// @file tessera/events/event_bus.hpp
/// @brief `EventBus`: publish CloudEvents and subscribe to them, at least once, in-process or over RabbitMQ.
///
/// Guarantees, for every backend:
/// - **Confirmed means taken care of.** `publish` returns success only once the bus is responsible for
///   every event of the batch: `inproc` when every matching subscription's handler has returned (or
///   the event was dead-lettered); `amqp` when the broker has confirmed every message (publisher
///   confirms; messages are persistent). The outbox relay acknowledges an event in the store only
///   after that, so an acknowledged event is never lost.
/// - **At least once.** A handler may see an event again (a crash before the acknowledgement, a
///   broker restart, a replayed dead letter). Events carry `id` (unique) and `version`: make handlers
///   idempotent (apply an event only if its version is newer than what you hold).
/// - **Acknowledgement after the handler returns.** A handler that returns acknowledges the delivery;
///   one that throws fails it: the delivery is retried after a delay (doubling, capped) up to
///   `SubscribeOptions::max_attempts` attempts, then parked in the dead-letter list, from which
///   `replay` hands it back to its subscription. Other events keep flowing meanwhile.
/// - **Order.** Events reach a subscription in publish order per document (same `source` and
///   `subject`) — the relay publishes in outbox order, i.e. version order. `inproc` partitions its
///   workers by document, and retries in place (a failing event holds back the later events of its
///   own document only, until it succeeds or is dead-lettered). `amqp` consumes a queue in delivery
///   order on one thread; a failed event is retried through a delay queue, so it comes back after
///   later events (of any document): consumers that compare `version` stay correct. Re-deliveries
///   (duplicates) may arrive after newer events; the order of first deliveries is the publish order.
///   After a relay crash, the batch it held is published again once its lease ends, possibly after
///   newer events (see `Relay`): again, `version` tells which is newer.
///
/// Backends, chosen by URL (`EventBus::open`):
/// - `inproc`: subscribers in this process; bounded per-worker queues, a worker pool; dead letters
///   in the store (`BusOptions::dead_letter_store`, collection `_deadletters`) so they survive a
///   restart.
/// - `amqp://user:pass@host:port/vhost` (RabbitMQ, AMQP 0-9-1): a durable topic exchange
///   (`tessera.events`), routing key "<collection>.<action>", one queue per subscription (a durable
///   quorum queue when named), a delay queue per subscription for retries
///   (`tessera.retry.<queue>`), and one quorum dead-letter queue (`tessera.deadletter`).
///   The exchange and the dead-letter queue are declared by `connect` (the engine calls it at
///   start-up) and again on every reconnect, so consumers can bind before the first event is
///   published. Connections are re-established with backoff when the broker goes away; failures are
///   logged (component "events.amqp") and returned as `unavailable`, never thrown.

#include <tessera/events/cloud_event.hpp>
#include <tessera/result.hpp>
#include <tessera/store/store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::events {

/// One delivery of an event to a subscription's handler.
struct Delivery {
    CloudEvent event;
    std::string subscription;   ///< The subscription's name.
    std::uint32_t attempt = 1;  ///< 1 on the first attempt, 2 on the first retry, ...
    bool redelivered = false;   ///< The bus may have delivered this event to this subscription before.
};

/// Handles one delivery. Returning acknowledges it; throwing (anything) fails this attempt. Called on
/// a bus thread, never concurrently for one subscription and document; must not call `publish`, nor
/// cancel its own subscription and wait for it. amqp: one call should take less than about twice
/// `BusOptions::heartbeat` (a minute by default), else the broker drops the connection and delivers
/// the event again.
using Handler = std::function<void(const Delivery&)>;

/// How to subscribe. Field comments give defaults.
struct SubscribeOptions {
    /// The subscription's name: `inproc` keys dead letters and replays by it (default: the pattern);
    /// `amqp` uses it as the queue name, and a named queue is durable, so events published while the
    /// subscriber is away wait for it. Default "" (amqp: a server-named queue that lives as long as
    /// the subscription's connection — events published while it is disconnected are not kept).
    std::string name;
    std::uint32_t max_attempts = 5;              ///< Handler attempts before dead-lettering. Default 5.
    std::chrono::milliseconds retry_delay{200};  ///< Delay before the first retry; doubles each time. Default 200 ms.
    std::chrono::milliseconds max_retry_delay{10000};  ///< Cap on the retry delay. Default 10 s.
    /// amqp: deliveries the broker may send ahead of acknowledgements (basic.qos). Default 64.
    std::uint16_t prefetch = 64;
};

/// An event a subscription's handler kept failing, parked until someone replays it.
struct DeadLetter {
    std::string id;            ///< "<subscription>:<event id>"; unique in the list.
    std::string subscription;  ///< Where `replay` sends it back.
    CloudEvent event;
    std::string error;           ///< What the last attempt threw (`what()`), or why the message was unusable.
    std::uint32_t attempts = 0;  ///< Attempts made before it was parked.
    TimePoint time{};            ///< When it was parked.

    /// `{"id", "subscription", "error", "attempts", "time" (RFC 3339), "event": {the CloudEvent}}` as
    /// JSON text: how dead letters are stored and shown by the admin API.
    std::string to_json() const;
    /// Parses what `to_json` produced. Errors: `invalid`.
    static Result<DeadLetter> from_json(std::string_view text);

    friend bool operator==(const DeadLetter&, const DeadLetter&) = default;
};

/// Counters of this bus object since it was opened (not shared between processes).
struct BusStats {
    std::uint64_t published = 0;      ///< Events confirmed by `publish`.
    std::uint64_t delivered = 0;      ///< Deliveries whose handler returned.
    std::uint64_t retried = 0;        ///< Failed attempts that were scheduled again.
    std::uint64_t dead_lettered = 0;  ///< Events parked in the dead-letter list.
    std::uint64_t reconnects = 0;     ///< amqp: connections re-established after a failure.
    /// The bus can publish now. amqp: its publishing connection is open, with the topology declared,
    /// and the broker answered on it lately. Once `connect` was called, a background check keeps this
    /// current: a broker that goes away shows as false within about `check_interval` +
    /// `connect_timeout` (a publish in flight reports when it ends, within `confirm_timeout`), and one
    /// that comes back as true within `max_reconnect_delay`. Without `connect`, it reflects the last
    /// publish (false before the first). inproc: always true. What readiness reports for the bus.
    bool connected = true;
};

/// Options of a bus. Field comments give defaults; each names the backends it applies to.
struct BusOptions {
    /// inproc: where dead letters are kept (collection `_deadletters`), so they survive a restart.
    /// Not owned; must outlive the bus. nullptr keeps them in memory. Default nullptr.
    store::Store* dead_letter_store = nullptr;
    std::size_t workers = 4;  ///< inproc: worker threads (started on the first subscribe). Default 4.
    /// inproc: deliveries a worker queue holds before `publish` waits for room. Default 1024.
    std::size_t queue_capacity = 1024;
    /// Longest `publish` waits for its confirmations (handlers or broker) before `timeout`. Default 30 s.
    std::chrono::milliseconds confirm_timeout{30000};
    std::chrono::milliseconds connect_timeout{2000};  ///< amqp: TCP connect + AMQP handshake. Default 2 s.
    /// amqp: first delay before reconnecting; doubles each time. Default 100 ms.
    std::chrono::milliseconds reconnect_delay{100};
    std::chrono::milliseconds max_reconnect_delay{5000};  ///< amqp: cap on the reconnect delay. Default 5 s.
    /// amqp: heartbeat of consumer connections, so a vanished broker is noticed; 0 disables. Default 30 s.
    std::chrono::seconds heartbeat{30};
    /// amqp, once `connect` was called: how often an idle bus checks its publishing connection (one
    /// exchange.declare, answered within `connect_timeout`), so `BusStats::connected` stays current
    /// and a broker that came back gets the topology again without waiting for a publish. 0: no
    /// background check. Default 1 s.
    std::chrono::milliseconds check_interval{1000};
    std::string exchange = "tessera.events";  ///< amqp: the durable topic exchange. Default "tessera.events".
    /// amqp: the durable (quorum) dead-letter queue. Default "tessera.deadletter".
    std::string dead_letter_queue = "tessera.deadletter";
};

/// A live subscription; cancelling it (or destroying it) stops its deliveries. Move-only. It may
/// outlive its bus (it is then inert).
class Subscription {
public:
    Subscription() noexcept = default;
    Subscription(Subscription&& other) noexcept;
    /// Cancels the subscription held before, then takes `other`'s.
    Subscription& operator=(Subscription&& other) noexcept;
    /// Cancels.
    ~Subscription();

    /// Stops deliveries to the handler and waits for a running handler call to return. Deliveries not
    /// acknowledged yet are left to the bus (amqp: back in the queue for the next consumer; inproc:
    /// dropped). Idempotent. Requires: not called from this subscription's own handler.
    void cancel() noexcept;

    const std::string& name() const noexcept { return name_; }
    bool active() const noexcept { return static_cast<bool>(cancel_); }

private:
    friend class EventBus;
    Subscription(std::string name, std::function<void()> cancel) noexcept;

    std::string name_;
    std::function<void()> cancel_;
};

/// Publishes CloudEvents and delivers them to subscriptions whose pattern matches their routing key
/// ("<collection>.<action>"; AMQP topic syntax, see `topic_matches`). Thread safety: every member
/// function may be called from any thread. Errors are values: `unavailable`/`timeout` when a broker
/// cannot be reached or does not answer in time (details.backend carries the client library's
/// report), never an exception.
class EventBus {
public:
    virtual ~EventBus() = default;

    /// Opens the bus named by `url`: `inproc`, or `amqp://[user[:password]@]host[:port][/vhost]`
    /// (port 5672, user and password "guest", vhost "/"; percent-decoded, so vhost "/" may also be
    /// written `%2F`). `amqp` does not connect here: `connect` does (or else the first `publish` or
    /// `subscribe`), and reconnects later on its own. Errors: `invalid` (malformed URL, unknown scheme,
    /// a query or fragment), `unsupported` (amqp compiled out: TESSERA_WITH_AMQP=OFF).
    static Result<std::unique_ptr<EventBus>> open(std::string_view url, const BusOptions& options = {});

    /// Connects now and declares the topology publishers and consumers share (amqp: the exchange and
    /// the dead-letter queue), so a consumer elsewhere can bind to the exchange before anything is
    /// published; then keeps it so in the background (amqp, unless `check_interval` is 0): a lost
    /// connection is noticed and re-established with the reconnect backoff, the topology declared
    /// again each time — even while nothing is published — and `BusStats::connected` kept current.
    /// The background work starts even when this call fails, so a broker that is down now is picked
    /// up when it comes; it ends with the bus. Idempotent; blocks at most about `connect_timeout`
    /// plus a few broker round trips (each within `confirm_timeout`). inproc, and backends with
    /// nothing to connect: succeeds at once. Errors: `unavailable`/`timeout` (broker unreachable or
    /// silent), `forbidden` (credentials or vhost refused), `conflict` (the exchange or dead-letter
    /// queue exists with other settings). None is fatal: `publish` keeps trying on its own.
    virtual Result<void> connect() { return {}; }

    /// Publishes `batch` in order and waits until the bus confirms every event (see the file
    /// comment); an event no subscription matches is confirmed at once. Errors: `unavailable` (broker
    /// unreachable, a nack, the connection lost before every confirmation, the bus shutting down),
    /// `timeout` (no confirmation within `confirm_timeout`), `internal` (inproc: a dead letter could not
    /// be stored). On error some events may have been delivered: publishing the batch again is
    /// safe (at least once). Requires: not called from a handler of this bus.
    virtual Result<void> publish(std::span<const CloudEvent> batch) = 0;

    /// Delivers matching events to `handler` until the returned subscription is cancelled. Returns
    /// once the subscription is in place (amqp: its queue is declared and bound), so every event
    /// published after that reaches it. Errors: `invalid` (empty pattern, or `max_attempts` 0),
    /// `conflict` (inproc: a live subscription has that name), `unavailable` (amqp: the broker cannot
    /// be reached within `connect_timeout`, or refuses the queue).
    virtual Result<Subscription> subscribe(std::string_view pattern,
                                           Handler handler,
                                           const SubscribeOptions& options = {}) = 0;

    /// Up to `limit` dead letters (inproc: in id order; amqp: in queue order, oldest first). Reading
    /// them does not remove them. Errors: `unavailable`; those of the dead-letter store.
    virtual Result<std::vector<DeadLetter>> dead_letters(std::size_t limit) = 0;

    /// How many dead letters wait (amqp: the broker's count of ready messages, which a listing or a
    /// replay in progress lowers for a moment). Errors: as `dead_letters`.
    virtual Result<std::uint64_t> dead_letter_count() = 0;

    /// Hands the dead letter `id` back to its subscription as a first attempt. inproc: the
    /// subscription must be live in this process, and the dead letter leaves the list once its
    /// handler succeeds (if it fails again, it is parked again). amqp: the message goes back to the
    /// subscription's queue and leaves the dead-letter queue once the broker confirms that.
    /// Errors: `not_found` (no such dead letter, or its subscription is not there), `unavailable`.
    virtual Result<void> replay(std::string_view id) = 0;

    /// Replays every dead letter that can be (at most 10,000 per call); returns how many were handed
    /// back. Those whose subscription is not there stay in the list. Errors: `unavailable`.
    virtual Result<std::size_t> replay_all() = 0;

    virtual BusStats stats() const = 0;

    /// The backend's name: "inproc" or "amqp".
    virtual std::string_view backend() const noexcept = 0;

protected:
    /// For backends: a subscription whose `cancel()` calls `cancel` once.
    static Subscription make_subscription(std::string name, std::function<void()> cancel) noexcept;
};

}  // namespace tessera::events
