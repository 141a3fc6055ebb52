#include <tessera/events/relay.hpp>

#include <tessera/log.hpp>

#include "events/common.hpp"

#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

namespace tessera::events {
namespace {

constexpr std::string_view kComponent = "events.relay";

}  // namespace

double DelayHistogram::quantile(double q) const noexcept {
    if (count == 0) return 0;
    const double wanted = q * static_cast<double>(count);
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        if (static_cast<double>(counts[i]) >= wanted) return kBounds[i];
    }
    return std::numeric_limits<double>::infinity();
}

struct Relay::Impl {
    Impl(store::Store& s, EventBus& b, RelayOptions o) : store(s), bus(b), options(o) {
        if (options.batch_size == 0) options.batch_size = 1;
    }

    Result<std::size_t> run_once() {
        std::lock_guard run_lock(run_mutex);
        if (held.empty()) {
            auto claimed = store.claim(options.batch_size, options.lease);
            if (!claimed) return failed(std::move(claimed).error());
            if (claimed->empty()) return std::size_t{0};
            held = std::move(*claimed);
            confirmed = false;
        }
        if (!confirmed) {
            // The held batch goes out again, whole and first, until the bus confirms it: nothing newer
            // overtakes it, so publish order stays outbox order.
            std::vector<CloudEvent> events;
            events.reserve(held.size());
            for (const auto& event : held) events.push_back(CloudEvent::from_store(event));
            auto published = bus.publish(events);
            if (!published) return failed(std::move(published).error());
            confirmed = true;
        }
        std::vector<std::string> ids;
        ids.reserve(held.size());
        for (const auto& event : held) ids.push_back(event.id);
        // Confirmed but not acknowledged: only the acknowledgement is retried (the bus has the events).
        auto acked = store.ack(ids);
        if (!acked) return failed(std::move(acked).error());

        const auto now = store::Clock::now();
        const std::size_t count = held.size();
        {
            std::lock_guard lock(stats_mutex);
            stats.published += count;
            ++stats.batches;
            for (const auto& event : held) {
                const double seconds = std::max(0.0, std::chrono::duration<double>(now - event.time).count());
                auto& delay = stats.delay;
                for (std::size_t i = 0; i < DelayHistogram::kBounds.size(); ++i) {
                    if (seconds <= DelayHistogram::kBounds[i]) ++delay.counts[i];
                }
                ++delay.count;
                delay.sum += seconds;
            }
        }
        held.clear();
        return count;
    }

    Error failed(Error error) {
        std::lock_guard lock(stats_mutex);
        ++stats.failures;
        return error;
    }

    void run() noexcept {
        internal::block_async_signals();
        auto delay = options.retry_delay;
        bool failing = false;
        std::unique_lock lock(wake_mutex);
        while (!stopping) {
            woken = false;
            lock.unlock();
            Result<std::size_t> relayed = std::size_t{0};
            try {
                relayed = run_once();
            } catch (const std::exception& e) {
                relayed = Error(ErrorCode::internal, std::string("relay step threw: ") + e.what());
            }
            lock.lock();
            if (stopping) break;
            if (!relayed) {
                log::warn(kComponent, "cannot relay outbox events; retrying",
                          {{"error", relayed.error().to_json()}, {"retry_ms", delay.count()}});
                failing = true;
                // A notify must not cut the backoff short: only stop() does.
                wake.wait_for(lock, delay, [&] { return stopping; });
                delay = std::min(delay * 2, options.max_retry_delay);
                continue;
            }
            if (failing) log::info(kComponent, "relaying again");
            failing = false;
            delay = options.retry_delay;
            if (*relayed >= options.batch_size || (*relayed > 0 && options.linger.count() <= 0)) continue;
            if (*relayed > 0) {
                // Writes are arriving: let the next ones gather for a moment rather than waking
                // for each commit (a notify does not cut this short; only stop() does).
                wake.wait_for(lock, options.linger, [&] { return stopping; });
                continue;
            }
            wake.wait_for(lock, options.poll_interval, [&] { return woken || stopping; });
        }
    }

    store::Store& store;
    EventBus& bus;
    RelayOptions options;

    std::mutex run_mutex;            // serialises run_once; guards held and confirmed
    std::vector<store::Event> held;  // claimed, not yet acknowledged
    bool confirmed = false;          // the bus confirmed `held`; only the ack is missing

    mutable std::mutex stats_mutex;
    RelayStats stats;

    std::mutex wake_mutex;  // guards woken, stopping and the thread's start
    std::condition_variable wake;
    bool woken = false;
    bool stopping = false;
    std::thread thread;
};

Relay::Relay(store::Store& store, EventBus& bus, RelayOptions options)
    : impl_(std::make_unique<Impl>(store, bus, options)) {}

Relay::~Relay() {
    stop();
}

Result<std::size_t> Relay::run_once() {
    return impl_->run_once();
}

void Relay::start() {
    std::lock_guard lock(impl_->wake_mutex);
    if (impl_->thread.joinable() || impl_->options.poll_interval.count() <= 0) return;
    impl_->stopping = false;
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void Relay::stop() noexcept {
    std::thread thread;
    {
        std::lock_guard lock(impl_->wake_mutex);
        impl_->stopping = true;
        thread = std::move(impl_->thread);
    }
    impl_->wake.notify_all();
    if (thread.joinable()) thread.join();
}

void Relay::notify() noexcept {
    {
        std::lock_guard lock(impl_->wake_mutex);
        if (impl_->woken) return;  // already told, and not yet looked: one wake-up is enough
        impl_->woken = true;
    }
    impl_->wake.notify_one();
}

RelayStats Relay::stats() const {
    std::lock_guard lock(impl_->stats_mutex);
    return impl_->stats;
}

}  // namespace tessera::events
