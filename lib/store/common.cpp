#include "store/common.hpp"

#include <charconv>

namespace tessera::store::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// FNV-1a: enough to tell a cursor of another collection (or an edited one) from ours; cursors are
// not a security boundary, so no MAC.
std::uint32_t fnv1a(std::string_view collection, std::string_view id) noexcept {
    std::uint32_t hash = 2166136261u;
    auto mix = [&hash](std::string_view bytes) {
        for (const char c : bytes) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 16777619u;
        }
    };
    mix(collection);
    mix(std::string_view("\0", 1));
    mix(id);
    return hash;
}

void append_hex(std::string& out, std::string_view bytes) {
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += kHexDigits[byte >> 4];
        out += kHexDigits[byte & 0xF];
    }
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int high = hex_value(hex[i]);
        const int low = hex_value(hex[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
    }
    return out;
}

}  // namespace

const char* precondition_name(Precondition::Kind kind) noexcept {
    switch (kind) {
        case Precondition::Kind::any: return "any";
        case Precondition::Kind::absent: return "absent";
        case Precondition::Kind::exists: return "exists";
        case Precondition::Kind::version: return "version";
    }
    return "any";
}

std::int64_t to_micros(TimePoint time) noexcept {
    return std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
}

TimePoint from_micros(std::int64_t micros) noexcept {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(micros)));
}

TimePoint now(const StoreOptions& options) {
    return from_micros(to_micros(options.clock ? options.clock() : Clock::now()));
}

Error not_found(std::string_view collection, std::string_view id) {
    return Error(ErrorCode::not_found, "no document " + std::string(collection) + "/" + std::string(id),
                 {{"collection", collection}, {"id", id}});
}

Result<void> validate(const Batch& batch) {
    for (std::size_t i = 0; i < batch.ops.size(); ++i) {
        const Op& op = batch.ops[i];
        if (op.collection.empty() || op.id.empty()) {
            return Error(ErrorCode::invalid, "op " + std::to_string(i) + " has an empty collection or id",
                         {{"op", i}, {"collection", op.collection}, {"id", op.id}});
        }
    }
    return {};
}

std::optional<Error> check_precondition(const Op& op, std::size_t index, bool live, std::uint64_t actual_version) {
    const Precondition& pre = op.precondition;
    const std::uint64_t actual = live ? actual_version : 0;
    bool holds = true;
    switch (pre.kind) {
        case Precondition::Kind::any: break;
        case Precondition::Kind::absent: holds = !live; break;
        case Precondition::Kind::exists: holds = live; break;
        case Precondition::Kind::version: holds = live && actual_version == pre.version; break;
    }
    if (holds) return std::nullopt;
    boost::json::object details{{"op", index},
                                {"collection", op.collection},
                                {"id", op.id},
                                {"expected", precondition_name(pre.kind)},
                                {"actual_version", actual}};
    std::string message = "precondition failed for op " + std::to_string(index) + " (" + op.collection + "/" +
                          op.id + "): expected " + precondition_name(pre.kind);
    if (pre.kind == Precondition::Kind::version) {
        details["expected_version"] = pre.version;
        message += " " + std::to_string(pre.version);
    }
    message += live ? ", found version " + std::to_string(actual) : ", found none";
    return std::move(Error(ErrorCode::precondition_failed, std::move(message), std::move(details)).set_failed_op(index));
}

std::string make_event_id(std::uint64_t version, std::uint64_t n) {
    std::string id = std::to_string(version);
    id += '-';
    id += std::to_string(n);
    return id;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_event_id(std::string_view id) noexcept {
    const auto dash = id.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return std::nullopt;
    std::pair<std::uint64_t, std::uint64_t> parsed{};
    const char* end = id.data() + dash;
    auto [p1, e1] = std::from_chars(id.data(), end, parsed.first);
    if (e1 != std::errc{} || p1 != end) return std::nullopt;
    end = id.data() + id.size();
    auto [p2, e2] = std::from_chars(id.data() + dash + 1, end, parsed.second);
    if (e2 != std::errc{} || p2 != end) return std::nullopt;
    return parsed;
}

std::string encode_cursor(std::string_view collection, std::string_view last_id) {
    // "1.<hex id>.<hex checksum>": the leading 1 is the format, so it can change without breaking
    // the cursors of clients that page across an upgrade.
    std::string cursor = "1.";
    append_hex(cursor, last_id);
    cursor += '.';
    const std::uint32_t sum = fnv1a(collection, last_id);
    for (int shift = 28; shift >= 0; shift -= 4) cursor += kHexDigits[(sum >> shift) & 0xF];
    return cursor;
}

Result<std::string> decode_cursor(std::string_view collection, std::string_view cursor) {
    if (cursor.empty()) return std::string();
    auto invalid = [&] {
        return Error(ErrorCode::malformed, "malformed scan cursor", {{"cursor", cursor}, {"collection", collection}});
    };
    if (cursor.size() < 2 + 1 + 8 || cursor.substr(0, 2) != "1.") return invalid();
    const std::string_view body = cursor.substr(2);
    const auto dot = body.rfind('.');
    if (dot == std::string_view::npos || body.size() - dot - 1 != 8) return invalid();
    auto id = from_hex(body.substr(0, dot));
    if (!id || id->empty()) return invalid();
    if (encode_cursor(collection, *id) != cursor) return invalid();
    return std::move(*id);
}

void finish_page(Page& page, std::string_view collection, std::size_t limit) {
    if (page.documents.size() <= limit) return;
    page.documents.resize(limit);
    page.next_cursor = encode_cursor(collection, page.documents.back().id);
}

std::vector<DocumentRef> refs_of(std::string_view collection, std::span<const std::string> ids) {
    std::vector<DocumentRef> refs;
    refs.reserve(ids.size());
    for (const std::string& id : ids) refs.push_back({collection, id});
    return refs;
}

}  // namespace tessera::store::internal
