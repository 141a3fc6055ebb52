#include <tessera/remote/circuit_breaker.hpp>

#include <tessera/assert.hpp>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

namespace tessera::remote {

std::string_view to_string(BreakerState state) noexcept {
    switch (state) {
        case BreakerState::closed: return "closed";
        case BreakerState::open: return "open";
        case BreakerState::half_open: return "half_open";
    }
    return "closed";
}

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

enum Outcome { kSuccess, kFailure, kAbandoned };

// One slice of the rolling window; `slot` says which slice of time it holds, so a bucket left over
// from a lap ago is recognised as stale and reset instead of being counted.
struct Bucket {
    std::int64_t slot = -1;
    std::uint64_t successes = 0;
    std::uint64_t failures = 0;
};

milliseconds ceil_ms(Clock::duration wait) {
    return std::max(milliseconds(1), std::chrono::ceil<milliseconds>(wait));
}

}  // namespace

struct CircuitBreaker::Impl {
    explicit Impl(BreakerOptions o)
        : options(std::move(o)),
          bucket_width(options.window / std::max(1, options.buckets)),
          origin(now()),
          ring(static_cast<std::size_t>(std::max(1, options.buckets))),
          open_for(options.open_duration) {
        options.max_open_duration = std::max(options.max_open_duration, options.open_duration);
    }

    Clock::time_point now() const { return options.clock ? options.clock() : Clock::now(); }

    std::int64_t slot_of(Clock::time_point at) const {
        return at < origin ? 0 : static_cast<std::int64_t>((at - origin) / bucket_width);
    }

    // Time alone turns open into half-open; every entry point calls this first.
    void advance(Clock::time_point at) {
        if (state == BreakerState::open && at >= open_until) enter(BreakerState::half_open);
    }

    // Every transition starts a new epoch: outcomes of permits from an earlier one are counted in
    // the stats but decide nothing (a late failure from before the breaker opened must not reopen a
    // half-open one), and the window starts empty (the failures that opened it are paid for).
    void enter(BreakerState next) {
        state = next;
        ++epoch;
        probes_out = 0;
        probe_successes = 0;
        for (auto& bucket : ring) bucket = Bucket{};
    }

    void open(Clock::time_point at) {
        enter(BreakerState::open);
        open_until = at + open_for;
        ++stats.opened;
    }

    void add_to_window(Clock::time_point at, Outcome outcome) {
        const std::int64_t slot = slot_of(at);
        auto& bucket = ring[static_cast<std::size_t>(slot % static_cast<std::int64_t>(ring.size()))];
        if (bucket.slot != slot) bucket = Bucket{slot, 0, 0};
        ++(outcome == kFailure ? bucket.failures : bucket.successes);
    }

    bool window_trips(Clock::time_point at) const {
        const std::int64_t current = slot_of(at);
        const std::int64_t oldest = current - static_cast<std::int64_t>(ring.size()) + 1;
        std::uint64_t failures = 0;
        std::uint64_t calls = 0;
        for (const auto& bucket : ring) {
            if (bucket.slot < oldest || bucket.slot > current) continue;
            failures += bucket.failures;
            calls += bucket.failures + bucket.successes;
        }
        if (failures < static_cast<std::uint64_t>(options.failure_threshold)) return false;
        return static_cast<double>(failures) >= options.failure_ratio * static_cast<double>(calls);
    }

    void finish(std::uint64_t permit_epoch, bool probe, Outcome outcome) noexcept {
        std::lock_guard lock(mutex);
        const auto at = now();
        switch (outcome) {
            case kSuccess: ++stats.successes; break;
            case kFailure: ++stats.failures; break;
            case kAbandoned: ++stats.abandoned; break;
        }
        if (permit_epoch != epoch) return;
        if (state == BreakerState::closed) {
            if (outcome == kAbandoned) return;
            add_to_window(at, outcome);
            if (outcome == kFailure && window_trips(at)) open(at);
        } else if (state == BreakerState::half_open && probe) {
            --probes_out;
            if (outcome == kSuccess && ++probe_successes >= options.half_open_probes) {
                enter(BreakerState::closed);
                open_for = options.open_duration;
            } else if (outcome == kFailure) {
                // The dependency is still down: wait longer before the next probe, up to the cap.
                open_for = std::min(options.max_open_duration, open_for * 2);
                open(at);
            }
        }
    }

    BreakerOptions options;
    Clock::duration bucket_width;
    Clock::time_point origin;

    mutable std::mutex mutex;
    BreakerState state = BreakerState::closed;
    std::uint64_t epoch = 0;
    std::vector<Bucket> ring;
    Clock::time_point open_until{};
    milliseconds open_for;
    int probes_out = 0;
    int probe_successes = 0;
    BreakerStats stats;
};

CircuitBreaker::CircuitBreaker(BreakerOptions options) {
    TESSERA_ASSERT(options.buckets >= 1);
    TESSERA_ASSERT(options.window >= milliseconds(options.buckets));
    TESSERA_ASSERT(options.failure_threshold >= 1);
    TESSERA_ASSERT(options.failure_ratio >= 0 && options.failure_ratio <= 1);
    TESSERA_ASSERT(options.open_duration > milliseconds(0));
    TESSERA_ASSERT(options.half_open_probes >= 1);
    impl_ = std::make_unique<Impl>(std::move(options));
}

CircuitBreaker::~CircuitBreaker() = default;

Result<Permit> CircuitBreaker::acquire() {
    milliseconds wait{0};
    bool probing = false;
    {
        std::lock_guard lock(impl_->mutex);
        const auto at = impl_->now();
        impl_->advance(at);
        switch (impl_->state) {
            case BreakerState::closed: return Permit(this, impl_->epoch, false);
            case BreakerState::half_open:
                if (impl_->probes_out + impl_->probe_successes < impl_->options.half_open_probes) {
                    ++impl_->probes_out;
                    return Permit(this, impl_->epoch, true);
                }
                // A probe's answer is usually a round trip away; a full open period would be too long.
                wait = std::min<milliseconds>(std::chrono::seconds(1), impl_->options.open_duration);
                probing = true;
                break;
            case BreakerState::open: wait = ceil_ms(impl_->open_until - at); break;
        }
        ++impl_->stats.rejected;
    }
    const std::string& name = impl_->options.name;
    std::string message = probing ? name + ": circuit breaker half-open, a trial call is under way; retry in " +
                                        std::to_string(wait.count()) + " ms"
                                  : name + ": circuit breaker open after repeated failures; not calling it for " +
                                        std::to_string(wait.count()) + " ms";
    Error refusal(ErrorCode::unavailable, std::move(message), {{"retry_after_ms", wait.count()}});
    refusal.set_retry_after(wait);
    return refusal;
}

BreakerState CircuitBreaker::state() const {
    std::lock_guard lock(impl_->mutex);
    impl_->advance(impl_->now());
    return impl_->state;
}

BreakerStats CircuitBreaker::stats() const {
    std::lock_guard lock(impl_->mutex);
    impl_->advance(impl_->now());
    BreakerStats out = impl_->stats;
    out.state = impl_->state;
    return out;
}

const std::string& CircuitBreaker::name() const noexcept { return impl_->options.name; }

Permit::Permit(Permit&& other) noexcept
    : breaker_(std::exchange(other.breaker_, nullptr)), epoch_(other.epoch_), probe_(other.probe_) {}

Permit& Permit::operator=(Permit&& other) noexcept {
    if (this != &other) {
        if (breaker_ != nullptr) finish(kAbandoned);
        breaker_ = std::exchange(other.breaker_, nullptr);
        epoch_ = other.epoch_;
        probe_ = other.probe_;
    }
    return *this;
}

Permit::~Permit() {
    if (breaker_ != nullptr) finish(kAbandoned);
}

void Permit::record_success() noexcept { finish(kSuccess); }
void Permit::record_failure() noexcept { finish(kFailure); }
void Permit::record(const Error& error) noexcept { finish(error.retryable() ? kFailure : kSuccess); }

void Permit::finish(int outcome) noexcept {
    TESSERA_ASSERT(breaker_ != nullptr);  // one outcome per permit
    std::exchange(breaker_, nullptr)->impl_->finish(epoch_, probe_, static_cast<Outcome>(outcome));
}

}  // namespace tessera::remote
