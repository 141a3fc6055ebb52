#include <tessera/events/cloud_event.hpp>

#include <tessera/json/canonical.hpp>

#include "common/time_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

namespace tessera::events {
namespace {

constexpr std::string_view kTypePrefix = "tessera.";

Error bad_event(std::string message, std::string_view pointer = {}) {
    boost::json::object details;
    if (!pointer.empty()) details["pointer"] = pointer;
    return Error(ErrorCode::invalid, "malformed CloudEvent: " + std::move(message), std::move(details));
}

// Appends `"name":<JSON string of value>` to a hand-built object.
void append_string(std::string& out, std::string_view name, std::string_view value) {
    out += '"';
    out += name;
    out += "\":";
    out += boost::json::serialize(boost::json::string_view(value.data(), value.size()));
    out += ',';
}

}  // namespace

CloudEvent CloudEvent::from_store(const store::Event& event) {
    CloudEvent out;
    out.id = event.id;
    out.source = "/tessera/" + event.collection;
    out.type = std::string(kTypePrefix) + event.collection + "." + event.action;
    out.subject = event.document_id;
    out.time = event.time;
    out.version = event.version;
    out.root_id = event.root_id;
    out.parent_id = event.parent_id;
    // A delete carries no body; its data says which document went.
    out.data = event.data.empty() ? boost::json::serialize(boost::json::object{{"id", event.document_id}}) : event.data;
    return out;
}

std::string CloudEvent::to_json() const {
    // Built by hand so the stored JSON text of `data` is copied, not parsed and serialised again:
    // the relay formats every event it publishes.
    std::string out;
    out.reserve(200 + data.size());
    out += "{\"specversion\":\"1.0\",";
    append_string(out, "id", id);
    append_string(out, "source", source);
    append_string(out, "type", type);
    if (!subject.empty()) append_string(out, "subject", subject);
    append_string(out, "time", common::format_rfc3339(time));
    if (!data_content_type.empty()) append_string(out, "datacontenttype", data_content_type);
    out += "\"version\":";
    out += std::to_string(version);
    out += ',';
    if (!root_id.empty()) append_string(out, "rootid", root_id);
    if (!parent_id.empty()) append_string(out, "parentid", parent_id);
    if (!data.empty()) {
        out += "\"data\":";
        out += data;
    } else {
        out.pop_back();  // the trailing ','
    }
    out += '}';
    return out;
}

Result<CloudEvent> CloudEvent::from_json(std::string_view text) {
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
    if (ec) return bad_event("not JSON: " + ec.message());
    if (!parsed.is_object()) return bad_event("not a JSON object");
    const auto& object = parsed.as_object();

    CloudEvent out;
    // CloudEvents §3.1: id, source, specversion and type are required; the rest is optional.
    auto string_attribute = [&](std::string_view name, std::string& into, bool required) -> std::optional<Error> {
        // fmt, not "'" + std::string(name): GCC 12 -O3 sees a false -Wrestrict in the latter.
        const std::string pointer = fmt::format("/{}", name);
        const auto* member = object.if_contains(boost::json::string_view(name.data(), name.size()));
        if (member == nullptr || member->is_null()) {
            if (required) return bad_event(fmt::format("'{}' is required", name), pointer);
            return std::nullopt;
        }
        if (!member->is_string()) return bad_event(fmt::format("'{}' must be a string", name), pointer);
        into = std::string(member->as_string());
        if (required && into.empty()) return bad_event(fmt::format("'{}' must not be empty", name), pointer);
        return std::nullopt;
    };
    std::string spec_version;
    if (auto error = string_attribute("specversion", spec_version, true)) return std::move(*error);
    if (spec_version != "1.0") return bad_event("specversion must be \"1.0\"", "/specversion");
    for (auto [name, into, required] : {std::tuple<std::string_view, std::string*, bool>{"id", &out.id, true},
                                        {"source", &out.source, true},
                                        {"type", &out.type, true},
                                        {"subject", &out.subject, false},
                                        {"rootid", &out.root_id, false},
                                        {"parentid", &out.parent_id, false}}) {
        if (auto error = string_attribute(name, *into, required)) return std::move(*error);
    }
    out.data_content_type.clear();
    if (auto error = string_attribute("datacontenttype", out.data_content_type, false)) return std::move(*error);

    std::string time;
    if (auto error = string_attribute("time", time, false)) return std::move(*error);
    if (!time.empty()) {
        const auto parsed_time = common::parse_rfc3339(time);
        if (!parsed_time) return bad_event("'time' must be an RFC 3339 date-time", "/time");
        out.time = *parsed_time;
    }
    if (const auto* version = object.if_contains("version"); version != nullptr && !version->is_null()) {
        if (version->is_uint64()) {
            out.version = version->as_uint64();
        } else if (version->is_int64() && version->as_int64() >= 0) {
            out.version = static_cast<std::uint64_t>(version->as_int64());
        } else {
            return bad_event("'version' must be a non-negative integer", "/version");
        }
    }
    // Canonical text, which is what the store holds: so from_json(to_json(e)) == e for store events.
    if (const auto* data = object.if_contains("data")) out.data = json::to_canonical(*data);
    return out;
}

std::string CloudEvent::collection() const {
    if (!std::string_view(type).starts_with(kTypePrefix)) return {};
    const auto dot = type.rfind('.');
    if (dot <= kTypePrefix.size()) return {};
    return type.substr(kTypePrefix.size(), dot - kTypePrefix.size());
}

std::string CloudEvent::action() const {
    if (collection().empty()) return {};
    return type.substr(type.rfind('.') + 1);
}

std::string CloudEvent::routing_key() const {
    // "tessera.<collection>.<action>" routes as "<collection>.<action>"; any other type as itself.
    if (collection().empty()) return type;
    return type.substr(kTypePrefix.size());
}

bool topic_matches(std::string_view pattern, std::string_view routing_key) noexcept {
    // Split both into words and match with backtracking on '#' (AMQP 0-9-1 topic exchange rules).
    auto next_word = [](std::string_view& rest, bool& done) {
        const auto dot = rest.find('.');
        std::string_view word = rest.substr(0, dot);
        if (dot == std::string_view::npos) {
            done = true;
            rest = {};
        } else {
            rest.remove_prefix(dot + 1);
        }
        return word;
    };
    struct Cursor {
        std::string_view rest;
        bool done;
    };
    // Recursion depth is bounded by the number of words in the pattern.
    auto match = [&](auto&& self, Cursor p, Cursor k) -> bool {
        if (p.done) return k.done;
        std::string_view word = next_word(p.rest, p.done);
        if (word == "#") {
            if (self(self, p, k)) return true;  // '#' matches zero words
            while (!k.done) {
                (void)next_word(k.rest, k.done);
                if (self(self, p, k)) return true;
            }
            return false;
        }
        if (k.done) return false;
        std::string_view key_word = next_word(k.rest, k.done);
        if (word != "*" && word != key_word) return false;
        return self(self, p, k);
    };
    return match(match, Cursor{pattern, false}, Cursor{routing_key, false});
}

}  // namespace tessera::events
