#pragma once
/// @file tessera/remote/circuit_breaker.hpp
/// @brief A circuit breaker (closed / open / half-open over a rolling window) around one dependency.

#include <tessera/error.hpp>
#include <tessera/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::remote {

/// `closed`: calls go through and their outcomes are counted; `open`: calls are refused without
/// reaching the dependency; `half_open`: a few trial calls (probes) decide between the two.
enum class BreakerState { closed, open, half_open };

/// "closed", "open" or "half_open" (the metric label).
std::string_view to_string(BreakerState state) noexcept;

/// Options of `CircuitBreaker`. Field comments give defaults and units.
struct BreakerOptions {
    /// Names the dependency in refusals ("elasticsearch: circuit open …") and, by the caller, in
    /// metric labels. Comes from configuration, never from a request. Default "backend".
    std::string name = "backend";
    /// The rolling window over which outcomes are counted. Default 10 s.
    std::chrono::milliseconds window{10000};
    /// Buckets the window is kept in: outcomes leave the window a bucket at a time, so the window
    /// covers between `window - window / buckets` and `window`. Default 10 (1 s each).
    int buckets = 10;
    /// The breaker opens when the window holds at least this many failures … Default 5. This also
    /// plays the part of a minimum number of calls: a ratio is never judged on fewer than this.
    int failure_threshold = 5;
    /// … and failures are at least this fraction of the window's outcomes (failures and
    /// successes), so that 5 timeouts among 1,000 good answers do not open it. 0 disables the
    /// ratio (the count alone decides). Default 0.5.
    double failure_ratio = 0.5;
    /// How long the breaker stays open before it lets probes through. Default 5 s.
    std::chrono::milliseconds open_duration{5000};
    /// Each time a probe fails, the next open period is twice the last, up to this cap; closing
    /// resets it to `open_duration`. Equal to `open_duration`: no growth. Default 60 s.
    std::chrono::milliseconds max_open_duration{60000};
    /// Probes let through while half-open; that many successes close the breaker, one failure
    /// reopens it. Default 1.
    int half_open_probes = 1;
    /// The time source. Default (empty): `std::chrono::steady_clock::now`. Tests inject their own.
    std::function<std::chrono::steady_clock::time_point()> clock;
};

/// Counters since construction, for /metrics.
struct BreakerStats {
    BreakerState state = BreakerState::closed;
    std::uint64_t opened = 0;     ///< Transitions to open (from closed or from half-open).
    std::uint64_t rejected = 0;   ///< Calls refused by `acquire` (open, or half-open with every probe out).
    std::uint64_t successes = 0;  ///< Outcomes recorded as successes.
    std::uint64_t failures = 0;   ///< Outcomes recorded as failures.
    std::uint64_t abandoned = 0;  ///< Permits dropped without an outcome.

    bool operator==(const BreakerStats&) const = default;
};

class CircuitBreaker;

/// Leave to make one call to the dependency; record how it went with exactly one of the `record*`
/// functions. A permit dropped without an outcome (the caller gave up, an exception unwound) is
/// *abandoned*: it counts neither way — nothing is known of the dependency — but frees its probe
/// slot, so a half-open breaker cannot wait forever for it. Move-only; not thread-safe itself (one
/// call, one owner). Requires: it does not outlive its breaker.
class Permit {
public:
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;  ///< Abandons the permit held before, if any.
    ~Permit();

    /// The dependency answered. Requires: no outcome recorded yet.
    void record_success() noexcept;
    /// The dependency failed (down, unreachable, too slow). Requires: no outcome recorded yet.
    void record_failure() noexcept;
    /// A failure if `error.retryable()` (`unavailable`, `timeout`: the dependency's fault), else a
    /// success: an `invalid` or `not_found` is an answer, and the caller's business.
    /// Requires: no outcome recorded yet.
    void record(const Error& error) noexcept;

    /// True if this permit is one of the half-open breaker's probes.
    bool is_probe() const noexcept { return probe_; }

private:
    friend class CircuitBreaker;
    Permit(CircuitBreaker* breaker, std::uint64_t epoch, bool probe) noexcept
        : breaker_(breaker), epoch_(epoch), probe_(probe) {}
    void finish(int outcome) noexcept;

    CircuitBreaker* breaker_;  // null once recorded or moved from
    std::uint64_t epoch_;
    bool probe_;
};

/// Guards one dependency: counts failures over a rolling window, opens when they pass the
/// threshold and ratio (calls are then refused at once, without reaching the dependency), lets
/// probes through after `open_duration` and closes on their success. It recovers by itself: time
/// alone moves it from open to half-open, on the next `acquire` or `stats`.
/// Thread-safe (one mutex). Neither copyable nor movable (permits point to it).
class CircuitBreaker {
public:
    /// Requires: `window` ≥ `buckets` ms, `buckets` ≥ 1, `failure_threshold` ≥ 1, `failure_ratio` in
    /// [0, 1], `open_duration` > 0, `half_open_probes` ≥ 1 (a `max_open_duration` below
    /// `open_duration` is taken as `open_duration`).
    explicit CircuitBreaker(BreakerOptions options = {});
    ~CircuitBreaker();
    CircuitBreaker(const CircuitBreaker&) = delete;
    CircuitBreaker& operator=(const CircuitBreaker&) = delete;

    /// A permit to call the dependency, or `unavailable` when the breaker is open (or half-open
    /// with every probe out), carrying `retry_after()` — the time until the breaker lets a probe
    /// through (at least 1 ms; 1 s while the probes are out) — also given as
    /// `details.retry_after_ms`.
    Result<Permit> acquire();

    /// The state now (an open breaker whose time is up reports half_open).
    BreakerState state() const;
    /// The state now and the counters.
    BreakerStats stats() const;
    const std::string& name() const noexcept;

private:
    friend class Permit;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::remote
