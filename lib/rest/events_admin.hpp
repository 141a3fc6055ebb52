#pragma once
// Private: the event admin routes and the event metrics of `rest::Api`.
//
//   GET  /api/_events                           relay, outbox and bus state (JSON)
//   GET  /api/_events/deadletters?limit=N        dead letters (N: 1..1000, default 100)
//   POST /api/_events/deadletters/replay         replays every dead letter that can be
//   POST /api/_events/deadletters/{id}/replay    replays one (404 if there is no such dead letter,
//                                                or — inproc — its subscription is not live here)
// Collection names never start with '_', so /api/_events cannot hide a collection.

#include <tessera/model/engine.hpp>
#include <tessera/rest/message.hpp>

#include <functional>
#include <span>
#include <string>

namespace tessera::rest {

/// True if the path `segments` address the event admin routes (they start with "api", "_events").
bool is_events_admin(std::span<const std::string> segments) noexcept;

/// The route template of an event admin path, for metrics labels ("/api/_events/deadletters/{id}/replay");
/// a literal, so a route may keep the view.
std::string_view events_admin_label(std::span<const std::string> segments);

/// Answers an event admin request. `label` is its route template (`events_admin_label`),
/// `segments` the decoded path, `query` the raw query string, `instance` the raw path (for problems);
/// `failure` turns an Error into the problem response (so it is logged and counted like any other).
Response events_admin(model::Engine& engine,
                      const Request& request,
                      std::string_view label,
                      std::span<const std::string> segments,
                      std::string_view query,
                      std::string_view instance,
                      const std::function<Response(const Error&)>& failure);

/// The event metrics in Prometheus text (format 0.0.4): relayed events, relay failures, outbox
/// pending and lag, the commit → confirm delay histogram, dead letters, deliveries of this process's
/// subscriptions and the bus connection.
std::string render_event_metrics(model::Engine& engine);

}  // namespace tessera::rest
