#pragma once
// Private: what every Store backend shares — batch validation, precondition checks and their
// error, time in microseconds, event ids and scan cursors — so the backends agree to the byte.

#include <tessera/store/store.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::store::internal {

/// Microseconds since the Unix epoch, rounded toward the past (the precision every backend keeps).
std::int64_t to_micros(TimePoint time) noexcept;
TimePoint from_micros(std::int64_t micros) noexcept;

/// `options.clock()` (or `Clock::now()`), truncated to microseconds.
TimePoint now(const StoreOptions& options);

/// True if a document with this expiry is visible at `now`.
inline bool is_live(const std::optional<TimePoint>& expires_at, TimePoint now) noexcept {
    return !expires_at || *expires_at > now;
}

/// The `not_found` error for collection/id (missing or expired: reads do not tell them apart).
Error not_found(std::string_view collection, std::string_view id);

/// `invalid` if an op has an empty collection or id.
Result<void> validate(const Batch& batch);

/// "any", "absent", "exists" or "version": the name in errors and in the Redis commit script.
const char* precondition_name(Precondition::Kind kind) noexcept;

/// The `precondition_failed` error if op `index` may not be applied to a document that is live
/// (`live`) at `actual_version`; std::nullopt if it may.
std::optional<Error> check_precondition(const Op& op, std::size_t index, bool live, std::uint64_t actual_version);

/// "<version>-<n>": the id of the n-th event of the commit at `version`.
std::string make_event_id(std::uint64_t version, std::uint64_t n);

/// The (version, n) of an id made by `make_event_id`; std::nullopt for anything else.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_event_id(std::string_view id) noexcept;

/// An opaque cursor resuming `collection` after `last_id`.
std::string encode_cursor(std::string_view collection, std::string_view last_id);

/// The id an `encode_cursor(collection, …)` cursor resumes after ("" for an empty cursor), or
/// `invalid` for a cursor that was not made for `collection`.
Result<std::string> decode_cursor(std::string_view collection, std::string_view cursor);

/// Fills `page.next_cursor` from `page`, which holds up to `limit + 1` documents in id order (the
/// extra one only tells that more follow), and drops the extra document.
void finish_page(Page& page, std::string_view collection, std::size_t limit);

/// `ids` of one collection as DocumentRefs (views into `ids`): get_many in terms of get_refs.
std::vector<DocumentRef> refs_of(std::string_view collection, std::span<const std::string> ids);

}  // namespace tessera::store::internal
