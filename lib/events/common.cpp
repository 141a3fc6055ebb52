#include "events/common.hpp"

#include <csignal>
#include <pthread.h>

namespace tessera::events::internal {

std::chrono::milliseconds backoff(std::chrono::milliseconds first,
                                  std::chrono::milliseconds max,
                                  std::uint32_t attempt) noexcept {
    auto delay = first;
    for (std::uint32_t i = 1; i < attempt && delay < max; ++i) delay *= 2;
    return delay < max ? delay : max;
}

std::string redact_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto at = url.rfind('@');
    if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end)
        return std::string(url);
    const auto colon = url.find(':', scheme_end + 3);
    if (colon == std::string_view::npos || colon > at) return std::string(url);  // a user, no password
    return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

std::string dead_letter_id(std::string_view subscription, std::string_view event_id) {
    std::string id(subscription);
    id += ':';
    id += event_id;
    return id;
}

BusStats Counters::snapshot(bool connected) const noexcept {
    BusStats out;
    out.published = published;
    out.delivered = delivered;
    out.retried = retried;
    out.dead_lettered = dead_lettered;
    out.reconnects = reconnects;
    out.connected = connected;
    return out;
}

Result<void> check_subscription(std::string_view pattern, const Handler& handler, const SubscribeOptions& options) {
    if (pattern.empty()) return Error(ErrorCode::invalid, "a subscription needs a pattern (\"#\" for everything)");
    if (!handler) return Error(ErrorCode::invalid, "a subscription needs a handler");
    if (options.max_attempts == 0) return Error(ErrorCode::invalid, "max_attempts must be at least 1");
    return {};
}

void block_async_signals() noexcept {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace tessera::events::internal
