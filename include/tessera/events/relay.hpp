#pragma once
/// @file tessera/events/relay.hpp
/// @brief `Relay`: moves events from the store's outbox to an `EventBus`, losing none.
///
/// The relay claims a batch of outbox events (leased, in outbox order), publishes them as CloudEvents
/// and acknowledges them in the outbox only once the bus has confirmed every one. A batch that
/// fails to publish is kept and published again (after a delay that doubles up to
/// `max_retry_delay`) before anything newer, so publish order stays outbox order. If the process dies
/// before the acknowledgement, the lease runs out and the events are claimed again — by this relay
/// after a restart, or by another process's relay over the same store (several relays cooperate:
/// each claim takes events no other relay holds). Delivery is therefore at least once, never less.
/// Order: one relay publishes in outbox order (= version order). Events a crashed relay held go out
/// when their lease ends, after whatever was claimed meanwhile; and several relays publish their
/// batches side by side. Consumers compare `version` (DESIGN.md: apply an event only if newer).

#include <tessera/events/event_bus.hpp>
#include <tessera/result.hpp>
#include <tessera/store/store.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace tessera::events {

/// How the relay works. Field comments give defaults.
struct RelayOptions {
    std::size_t batch_size = 256;  ///< Events claimed and published at once. Default 256.
    /// How long a claimed batch is reserved for this relay. Must exceed the time a publish takes
    /// (else another relay may publish the batch too: duplicates, not losses); after a crash, the
    /// events wait this long before being claimed again. Default 30 s.
    std::chrono::milliseconds lease{30000};
    /// Background thread: how often to look at the outbox when idle (a `notify` wakes it earlier);
    /// 0 means no thread (call `run_once`). Default 100 ms.
    std::chrono::milliseconds poll_interval{100};
    std::chrono::milliseconds retry_delay{100};       ///< First delay after a failure; doubles. Default 100 ms.
    std::chrono::milliseconds max_retry_delay{5000};  ///< Cap on that delay. Default 5 s.
    /// Background thread: after publishing a batch smaller than `batch_size`, wait this long before
    /// looking again, so the events committed meanwhile go out together. Under a steady stream of
    /// writes the relay then wakes once per linger rather than once per commit, which on a busy
    /// server costs the writers less than the events' extra delay; an event committed while the
    /// relay is idle still goes out at once. 0 looks again at once. Default 1 ms.
    std::chrono::microseconds linger{1000};
};

/// Time from an event's commit to its confirmation by the bus, as a cumulative histogram
/// (Prometheus style: `counts[i]` events took at most `kBounds[i]` seconds).
struct DelayHistogram {
    static constexpr std::array<double, 14> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                    0.25,  0.5,    1.0,   2.5,  5.0,   10.0, 30.0};
    std::array<std::uint64_t, kBounds.size()> counts{};
    std::uint64_t count = 0;  ///< Events observed.
    double sum = 0;           ///< Sum of their delays, seconds.

    /// The smallest bound below which at least `q` (0..1) of the events fall, or +infinity beyond the
    /// last bound; 0 with no events.
    double quantile(double q) const noexcept;
};

/// What the relay did since it was created.
struct RelayStats {
    std::uint64_t published = 0;  ///< Events published, confirmed and acknowledged in the outbox.
    std::uint64_t batches = 0;    ///< Batches that completed.
    std::uint64_t failures = 0;   ///< Failed claims, publishes and acknowledgements (each retried).
    DelayHistogram delay;         ///< Commit → confirmed, per event.
};

/// Relays one store's outbox to one bus. Thread safety: every member function may be called from any
/// thread; `run_once` calls are serialised. Not copyable or movable.
class Relay {
public:
    /// Requires: `store` and `bus` outlive the relay. Does not start the background thread.
    Relay(store::Store& store, EventBus& bus, RelayOptions options = {});
    /// Stops the background thread (as `stop`).
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    /// One step: claims a batch (unless a failed one is still held), publishes it and acknowledges
    /// it. Returns how many events were relayed (0: the outbox had nothing claimable). Errors: those
    /// of `Store::claim`, `EventBus::publish` and `Store::ack`; a batch that failed to publish is
    /// held and published first by the next call.
    Result<std::size_t> run_once();

    /// Starts the background thread: `run_once` in a loop, waiting `poll_interval` when idle and
    /// backing off after failures (logged, component "events.relay"). No effect if it runs, or if
    /// `poll_interval` is 0.
    void start();

    /// Stops the background thread: a publish in flight completes (or times out) and its batch is
    /// acknowledged if confirmed; then the thread is joined. Idempotent.
    void stop() noexcept;

    /// Tells the background thread events were just committed: an idle thread looks at once, one in
    /// its linger when that ends. Cheap; callable from any thread.
    void notify() noexcept;

    RelayStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::events
