#include <tessera/events/event_bus.hpp>

#include "common/time_format.hpp"
#include "events/common.hpp"
#include "events/inproc/inproc_bus.hpp"
#if TESSERA_WITH_AMQP
#include "events/amqp/amqp_bus.hpp"
#endif

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tessera::events {

std::string DeadLetter::to_json() const {
    // The event is spliced in as its own wire text, so a dead letter shows exactly what was delivered.
    boost::json::object head{{"id", id},
                             {"subscription", subscription},
                             {"error", error},
                             {"attempts", attempts},
                             {"time", common::format_rfc3339(time)}};
    std::string out = boost::json::serialize(head);
    out.pop_back();  // '}'
    out += ",\"event\":";
    out += event.to_json();
    out += '}';
    return out;
}

Result<DeadLetter> DeadLetter::from_json(std::string_view text) {
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
    const auto* object = ec ? nullptr : parsed.if_object();
    auto bad = [](std::string what) { return Error(ErrorCode::invalid, "malformed dead letter: " + what); };
    if (object == nullptr) return bad("not a JSON object");
    DeadLetter out;
    for (auto [name, into] : {std::pair<const char*, std::string*>{"id", &out.id},
                              {"subscription", &out.subscription},
                              {"error", &out.error}}) {
        const auto* member = object->if_contains(name);
        if (member == nullptr || !member->is_string()) return bad(std::string("'") + name + "' must be a string");
        *into = std::string(member->as_string());
    }
    if (const auto* attempts = object->if_contains("attempts"); attempts != nullptr && attempts->is_number()) {
        out.attempts = attempts->to_number<std::uint32_t>(ec);
        if (ec) return bad("'attempts' must be a small non-negative integer");
    }
    if (const auto* time = object->if_contains("time"); time != nullptr && time->is_string()) {
        const auto parsed_time = common::parse_rfc3339(time->as_string());
        if (!parsed_time) return bad("'time' must be an RFC 3339 date-time");
        out.time = *parsed_time;
    }
    const auto* event = object->if_contains("event");
    if (event == nullptr || !event->is_object()) return bad("'event' must be an object");
    auto cloud_event = CloudEvent::from_json(boost::json::serialize(*event));
    if (!cloud_event) return std::move(cloud_event).error();
    out.event = std::move(*cloud_event);
    return out;
}

Subscription::Subscription(std::string name, std::function<void()> cancel) noexcept
    : name_(std::move(name)), cancel_(std::move(cancel)) {}

Subscription::Subscription(Subscription&& other) noexcept
    : name_(std::move(other.name_)), cancel_(std::exchange(other.cancel_, nullptr)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        cancel();
        name_ = std::move(other.name_);
        cancel_ = std::exchange(other.cancel_, nullptr);
    }
    return *this;
}

Subscription::~Subscription() {
    cancel();
}

void Subscription::cancel() noexcept {
    if (!cancel_) return;
    auto cancel = std::exchange(cancel_, nullptr);
    try {
        cancel();
    } catch (...) {
        // Backends' cancel functions do not throw; a destructor must not either way.
    }
}

Subscription EventBus::make_subscription(std::string name, std::function<void()> cancel) noexcept {
    return Subscription(std::move(name), std::move(cancel));
}

Result<std::unique_ptr<EventBus>> EventBus::open(std::string_view url, const BusOptions& options) {
    if (url == "inproc" || url == "inproc:") return std::unique_ptr<EventBus>(std::make_unique<InprocBus>(options));
    // Errors never repeat a password.
    const std::string shown = internal::redact_url(url);
    if (url.starts_with("amqp://")) {
#if TESSERA_WITH_AMQP
        return AmqpBus::open(url, options);
#else
        return Error(ErrorCode::unsupported, "this build has no RabbitMQ bus (TESSERA_WITH_AMQP=OFF)",
                     {{"url", shown}});
#endif
    }
    if (url.starts_with("amqps://")) {
        return Error(ErrorCode::unsupported, "amqps:// (TLS) is not supported yet; use amqp://", {{"url", shown}});
    }
    return Error(ErrorCode::invalid, "bad bus URL '" + shown + "': expected inproc or amqp://user:pass@host:port/vhost",
                 {{"url", shown}});
}

}  // namespace tessera::events
