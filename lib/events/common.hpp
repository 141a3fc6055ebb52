#pragma once
// Private: what both bus backends and the relay share.

#include <tessera/events/event_bus.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::events::internal {

/// The delay before retry number `attempt` (1 = the first retry): `first`, doubling each time, at most
/// `max`.
std::chrono::milliseconds backoff(std::chrono::milliseconds first,
                                  std::chrono::milliseconds max,
                                  std::uint32_t attempt) noexcept;

/// `url` with its password (if any) replaced by "***", for errors and logs.
std::string redact_url(std::string_view url);

/// How many dead letters `replay_all` takes in one call (both buses; documented on EventBus).
inline constexpr std::size_t kReplayAllLimit = 10000;

/// The arguments every bus's `subscribe` requires. Errors: `invalid` (no pattern, no handler,
/// max_attempts 0).
Result<void> check_subscription(std::string_view pattern, const Handler& handler, const SubscribeOptions& options);

/// "<subscription>:<event id>": a dead letter's id.
std::string dead_letter_id(std::string_view subscription, std::string_view event_id);

/// The counters behind `BusStats`, updated from any thread.
struct Counters {
    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> retried{0};
    std::atomic<std::uint64_t> dead_lettered{0};
    std::atomic<std::uint64_t> reconnects{0};

    BusStats snapshot(bool connected) const noexcept;
};

/// Blocks every asynchronous signal on the calling thread. Library threads call it first: SIGTERM,
/// SIGINT... belong to whichever thread the application chose to handle them.
void block_async_signals() noexcept;

}  // namespace tessera::events::internal
