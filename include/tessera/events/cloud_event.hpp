#pragma once
/// @file tessera/events/cloud_event.hpp
/// @brief `CloudEvent`: the CloudEvents 1.0 envelope (structured JSON mode) every bus delivers.

#include <tessera/result.hpp>
#include <tessera/store/store.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::events {

using TimePoint = std::chrono::system_clock::time_point;

/// One event as subscribers receive it. A value type: copy it freely.
///
/// Wire form (CloudEvents 1.0, JSON format, structured content mode, media type
/// `application/cloudevents+json`), one JSON object:
/// ```
/// {"specversion":"1.0","id":"42-0","source":"/tessera/plans","type":"tessera.plans.updated",
///  "subject":"12xvxc345ssdsds-508","time":"2026-11-23T04:13:20.123Z",
///  "datacontenttype":"application/json","version":42,"rootid":"plans/12xvxc345ssdsds-508",
///  "data":{...}}
/// ```
/// Extensions (lower-case names, CloudEvents §3.1.1): `version` (the store version of the commit,
/// a JSON integer; consumers apply an event only if it is newer than what they hold), `rootid` and
/// `parentid` ("collection/id" of the graph's root and of the parent object; omitted when empty).
struct CloudEvent {
    std::string id;       ///< Unique per event: the outbox id "<version>-<n>".
    std::string source;   ///< "/tessera/<collection>".
    std::string type;     ///< "tessera.<collection>.<action>".
    std::string subject;  ///< The document id.
    TimePoint time{};     ///< When the commit was applied (millisecond precision on the wire).
    std::string data_content_type = "application/json";  ///< `datacontenttype`.
    std::string data;           ///< JSON text: the stored object, or `{"id": subject}` for a delete.
    std::uint64_t version = 0;  ///< Extension `version`.
    std::string root_id;        ///< Extension `rootid` ("" when absent).
    std::string parent_id;      ///< Extension `parentid` ("" when absent).

    /// The event for an outbox record: `id`, `source` "/tessera/<collection>", `type`
    /// "tessera.<collection>.<action>", `subject` = document id, `time`, `version`, root and parent
    /// ids, and `data` = the stored object, or `{"id": <document id>}` when the record carries none
    /// (deletes). Pure; never fails.
    static CloudEvent from_store(const store::Event& event);

    /// Parses the structured-mode JSON text; `data` becomes canonical JSON text (`json::to_canonical`,
    /// the form the store keeps, so `from_json(e.to_json()) == e` for events made by `from_store`).
    /// Errors: `invalid` when it is not a JSON object,
    /// `specversion` is not "1.0", a required attribute (`id`, `source`, `type`) is missing or
    /// empty, or an attribute has the wrong type; `details.pointer` names the attribute.
    static Result<CloudEvent> from_json(std::string_view text);

    /// The structured-mode JSON text (`data` is spliced in as is, so it must be JSON text; an empty
    /// `data` is omitted).
    std::string to_json() const;

    /// The collection named by a Tessera `type` ("plans" for "tessera.plans.created"), or "" for
    /// any other type.
    std::string collection() const;
    /// The action named by a Tessera `type` ("created", "updated", "deleted", "expired"), or "".
    std::string action() const;
    /// The routing key the buses match patterns against: "<collection>.<action>" for a Tessera type,
    /// else `type` itself.
    std::string routing_key() const;

    friend bool operator==(const CloudEvent&, const CloudEvent&) = default;
};

/// True if `routing_key` matches the AMQP topic `pattern` (both are words separated by '.'): `*`
/// matches exactly one word, `#` zero or more words, anything else itself. "plans.*" matches
/// "plans.created"; "#" matches everything; "*.deleted" matches every delete.
bool topic_matches(std::string_view pattern, std::string_view routing_key) noexcept;

}  // namespace tessera::events
