#include "rest/events_admin.hpp"
#include "rest/metrics.hpp"

#include "rest/responses.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/text.hpp>

#include <boost/url/parse_query.hpp>

#include <fmt/format.h>


namespace tessera::rest {
namespace {

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

double seconds_since(const std::optional<store::TimePoint>& time) {
    if (!time) return 0;
    return std::max(0.0, std::chrono::duration<double>(store::Clock::now() - *time).count());
}

Response overview(model::Engine& engine) {
    const auto relay = engine.relay().stats();
    const auto bus = engine.bus().stats();
    boost::json::object out{
        {"bus", engine.bus().backend()},
        {"relay",
         {{"published", relay.published},
          {"batches", relay.batches},
          {"failures", relay.failures},
          {"delay_p50_seconds", relay.delay.quantile(0.5)},
          {"delay_p99_seconds", relay.delay.quantile(0.99)}}},
        {"subscriptions",
         {{"delivered", bus.delivered}, {"retried", bus.retried}, {"dead_lettered", bus.dead_lettered}}},
        {"connected", bus.connected}};
    if (auto outbox = engine.store().outbox_stats()) {
        out["outbox"] = {{"pending", outbox->pending}, {"lag_seconds", seconds_since(outbox->oldest)}};
    } else {
        out["outbox"] = {{"error", outbox.error().to_json()}};
    }
    if (auto count = engine.bus().dead_letter_count()) {
        out["dead_letters"] = *count;
    } else {
        out["dead_letters"] = nullptr;
    }
    // JSON has no infinity: a delay beyond the histogram's last bound shows as null.
    for (const char* key : {"delay_p50_seconds", "delay_p99_seconds"}) {
        auto& value = out["relay"].as_object()[key];
        if (std::isinf(value.as_double())) value = nullptr;
    }
    return json_response(200, json::serialize(out));
}

}  // namespace

bool is_events_admin(std::span<const std::string> segments) noexcept {
    return segments.size() >= 2 && segments[0] == "api" && segments[1] == "_events";
}

std::string_view events_admin_label(std::span<const std::string> segments) {
    if (segments.size() == 2) return "/api/_events";
    if (segments.size() == 3 && segments[2] == "deadletters") return "/api/_events/deadletters";
    if (segments.size() == 4 && segments[2] == "deadletters" && segments[3] == "replay")
        return "/api/_events/deadletters/replay";
    if (segments.size() == 5 && segments[2] == "deadletters" && segments[4] == "replay") {
        return "/api/_events/deadletters/{id}/replay";
    }
    return "unmatched";
}

Response events_admin(model::Engine& engine,
                      const Request& request,
                      std::string_view label,
                      std::span<const std::string> segments,
                      std::string_view query,
                      std::string_view instance,
                      const std::function<Response(const Error&)>& failure) {
    const std::string& method = request.method;
    if (label == "/api/_events") {
        if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD", method, instance);
        return overview(engine);
    }
    if (label == "/api/_events/deadletters") {
        if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD", method, instance);
        std::size_t limit = kDefaultLimit;
        if (auto params = boost::urls::parse_query(query)) {
            for (auto param : *params) {
                if (param.key != "limit") continue;
                auto parsed = parse_limit(param.value, kMaxLimit);
                if (!parsed) return failure(parsed.error());
                limit = *parsed;
            }
        }
        auto letters = engine.bus().dead_letters(limit);
        if (!letters) return failure(letters.error());
        std::string body = "[";
        for (std::size_t i = 0; i < letters->size(); ++i) {
            if (i > 0) body += ',';
            body += (*letters)[i].to_json();
        }
        body += ']';
        return json_response(200, std::move(body));
    }
    if (label == "/api/_events/deadletters/replay") {
        if (method != "POST") return method_not_allowed("POST", method, instance);
        auto replayed = engine.bus().replay_all();
        if (!replayed) return failure(replayed.error());
        return json_response(200, json::serialize(boost::json::object{{"replayed", *replayed}}));
    }
    if (label == "/api/_events/deadletters/{id}/replay") {
        if (method != "POST") return method_not_allowed("POST", method, instance);
        auto replayed = engine.bus().replay(segments[3]);
        if (!replayed) return failure(replayed.error());
        return json_response(200, json::serialize(boost::json::object{{"replayed", 1}}));
    }
    return failure(Error(ErrorCode::not_found, "no route for " + json::excerpt(instance, 256)));
}

std::string render_event_metrics(model::Engine& engine) {
    const auto relay = engine.relay().stats();
    const auto bus = engine.bus().stats();
    std::string out;
    auto metric = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        append_metric(out, name, type, help, static_cast<double>(value));
    };
    metric("tessera_events_published_total", "counter",
           "Outbox events this process published to the bus and acknowledged once confirmed.", relay.published);
    metric("tessera_events_relay_failures_total", "counter",
           "Failed outbox claims, publishes and acknowledgements of the relay (each is retried).", relay.failures);
    if (auto outbox = engine.store().outbox_stats()) {
        metric("tessera_events_outbox_pending", "gauge", "Outbox events not acknowledged yet.", outbox->pending);
        metric("tessera_events_relay_lag_seconds", "gauge",
               "Age of the oldest unacknowledged outbox event (0 when the outbox is empty).",
               seconds_since(outbox->oldest));
    }
    out += "# HELP tessera_events_relay_delay_seconds Time from commit to the bus's confirmation, per relayed event.\n";
    out += "# TYPE tessera_events_relay_delay_seconds histogram\n";
    for (std::size_t i = 0; i < events::DelayHistogram::kBounds.size(); ++i) {
        out += fmt::format("tessera_events_relay_delay_seconds_bucket{{le=\"{}\"}} {}\n",
                           events::DelayHistogram::kBounds[i], relay.delay.counts[i]);
    }
    out += fmt::format("tessera_events_relay_delay_seconds_bucket{{le=\"+Inf\"}} {}\n", relay.delay.count);
    out += fmt::format("tessera_events_relay_delay_seconds_sum {}\n", relay.delay.sum);
    out += fmt::format("tessera_events_relay_delay_seconds_count {}\n", relay.delay.count);
    if (auto count = engine.bus().dead_letter_count()) {
        metric("tessera_events_dead_letters", "gauge",
               "Dead letters waiting for a replay (GET /api/_events/deadletters).", *count);
    }
    metric("tessera_events_delivered_total", "counter",
           "Deliveries to this process's subscriptions whose handler returned.", bus.delivered);
    metric("tessera_events_retried_total", "counter",
           "Failed deliveries to this process's subscriptions that were retried.", bus.retried);
    metric("tessera_events_dead_lettered_total", "counter",
           "Deliveries to this process's subscriptions parked as dead letters.", bus.dead_lettered);
    metric("tessera_events_bus_connected", "gauge", "1 if the bus's publishing connection is up (inproc: always 1).",
           bus.connected ? 1 : 0);
    return out;
}

}  // namespace tessera::rest
