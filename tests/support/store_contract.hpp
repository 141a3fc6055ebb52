#pragma once
// The Store contract, written once and run unchanged against every backend: memory under `unit`,
// sqlite and redis under `integration`. A backend's test file implements StoreBackend and calls
// run_store_contract() from its own TEST_CASE; each part of the contract is a SUBCASE, so doctest
// reruns the test case (and so creates a fresh store) for every part.

#include <tessera/store/store.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace tessera::test {

/// A clock that moves only when told to; copies of `function()` share it. Starts at a
/// microsecond-aligned instant close to the real time (Redis measures leases on its own clock, so
/// the test time must not be far from it for anything else).
class ManualClock {
public:
    ManualClock();
    store::TimePoint now() const noexcept;
    void advance(std::chrono::microseconds by) noexcept;
    std::function<store::TimePoint()> function() const;

private:
    std::shared_ptr<std::atomic<std::int64_t>> micros_;
};

/// What the contract needs from a backend's test file.
class StoreBackend {
public:
    virtual ~StoreBackend() = default;
    /// A new, empty store using `options` (which carry the test clock).
    virtual std::shared_ptr<store::Store> create(const store::StoreOptions& options) = 0;
    /// A second handle on the store `create` returned last, as another process would open it
    /// (same file, same Redis prefix); memory returns the same object.
    virtual std::shared_ptr<store::Store> attach(const store::StoreOptions& options) = 0;
};

/// Runs every part of the contract as SUBCASEs: documents, versions, preconditions, atomicity,
/// TTL and sweep, cursor pagination under concurrent writes, the outbox (claim/ack/lease), and
/// compare-and-set from 8 threads. Call it from one TEST_CASE.
void run_store_contract(StoreBackend& backend);

/// `Store::open(url, options)`, failing the test (with the error) if it does not open.
std::unique_ptr<store::Store> open_store(const std::string& url, const store::StoreOptions& options = {});

/// Polls `done` every few milliseconds until it returns true or `timeout` passes; returns its
/// last answer. For conditions that a backend reaches on its own clock (Redis leases).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

}  // namespace tessera::test
