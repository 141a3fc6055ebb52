#pragma once
// Private: the in-process bus (`EventBus::open("inproc")`). Deliveries go through `workers` threads,
// each with a bounded queue; a delivery's worker is chosen by hashing (subscription, source, subject),
// so one document's events reach a subscription in publish order, one at a time, while other
// documents proceed on other workers. A failing handler is retried in place after a delay (holding
// back only its worker's later deliveries), then parked as a dead letter in the store (collection
// `_deadletters`, one document per dead letter, written with no outbox event) or in memory.

#include <tessera/events/event_bus.hpp>

#include <memory>

namespace tessera::events {

/// The collection where the inproc bus keeps dead letters (names starting with '_' are reserved for
/// internals; no schema can claim one).
inline constexpr std::string_view kDeadLetterCollection = "_deadletters";

class InprocBus final : public EventBus {
public:
    explicit InprocBus(BusOptions options);
    /// Stops the workers: deliveries still queued are dropped and their `publish` calls fail with
    /// `unavailable` (so the relay does not acknowledge them); running handlers are waited for.
    ~InprocBus() override;
    InprocBus(const InprocBus&) = delete;
    InprocBus& operator=(const InprocBus&) = delete;

    Result<void> publish(std::span<const CloudEvent> batch) override;
    Result<Subscription> subscribe(std::string_view pattern, Handler handler, const SubscribeOptions& options) override;
    Result<std::vector<DeadLetter>> dead_letters(std::size_t limit) override;
    Result<std::uint64_t> dead_letter_count() override;
    Result<void> replay(std::string_view id) override;
    Result<std::size_t> replay_all() override;
    BusStats stats() const override;
    std::string_view backend() const noexcept override { return "inproc"; }

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;  // shared with subscriptions' cancel functions (as weak references)
};

}  // namespace tessera::events
