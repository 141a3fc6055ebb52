#include <tessera/json/patch.hpp>

#include "json/pointer_tokens.hpp"

#include <tessera/json/equal.hpp>
#include <tessera/json/pointer.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::json {
namespace {

// RFC 7386 §2, MergePatch(Target, Patch), applied in place so unchanged subtrees are not copied.
void merge_into(boost::json::value& target, const boost::json::value& patch) {
    const auto* members = patch.if_object();
    if (members == nullptr) {
        target = patch;
        return;
    }
    if (!target.is_object()) target.emplace_object();
    auto& object = target.get_object();
    for (const auto& member : *members) {
        if (member.value().is_null()) {
            // Member order is visible to clients; erase() would move the last member into the gap.
            object.stable_erase(member.key());
        } else {
            // operator[] inserts null for a new name, which merges like RFC 7386's undefined.
            merge_into(object[member.key()], member.value());
        }
    }
}

enum class OpKind { add, remove, replace, move, copy, test };

// RFC 6902 §4.1–§4.6: which members each operation requires besides "op" and "path".
struct OpSpec {
    std::string_view name;
    OpKind kind;
    bool needs_from;
    bool needs_value;
};
constexpr std::array<OpSpec, 6> kOpSpecs{{
    {"add", OpKind::add, false, true},
    {"remove", OpKind::remove, false, false},
    {"replace", OpKind::replace, false, true},
    {"move", OpKind::move, true, false},
    {"copy", OpKind::copy, true, false},
    {"test", OpKind::test, false, true},
}};

// One operation of a JSON Patch, read and checked before it is applied, so that a malformed
// operation is `invalid` whatever the document holds. Words its errors with the details the
// header promises (`op`, `pointer`).
class Operation {
public:
    // RFC 6902 §4: members not defined for the operation are ignored.
    static Result<Operation> read(std::size_t index, const boost::json::value& element) {
        Operation operation(index);
        const auto* members = element.if_object();
        if (members == nullptr) return operation.fail(ErrorCode::malformed, "an operation must be an object");
        const auto* name = members->if_contains("op");
        if (name == nullptr || !name->is_string()) return operation.fail(ErrorCode::malformed, "\"op\" must be a string");
        const auto spec = std::find_if(kOpSpecs.begin(), kOpSpecs.end(),
                                       [&](const OpSpec& s) { return s.name == name->get_string(); });
        if (spec == kOpSpecs.end()) return operation.fail(ErrorCode::malformed, "unknown operation");
        operation.spec_ = &*spec;
        auto path = operation.read_pointer(*members, "path");
        if (!path) return std::move(path).error();
        operation.path_ = std::move(*path);
        if (spec->needs_from) {
            auto from = operation.read_pointer(*members, "from");
            if (!from) return std::move(from).error();
            operation.from_ = std::move(*from);
        }
        if (spec->needs_value) {
            // Any JSON value, null included; only its absence is an error.
            operation.value_ = members->if_contains("value");
            if (operation.value_ == nullptr) return operation.fail(ErrorCode::malformed, "\"value\" is required");
        }
        return operation;
    }

    OpKind kind() const noexcept { return spec_->kind; }
    const std::vector<std::string>& path() const noexcept { return path_; }
    const std::vector<std::string>& from() const noexcept { return from_; }
    // Requires: the operation needs a value (add, replace, test).
    const boost::json::value& value() const noexcept { return *value_; }

    // The document lacks what the operation needs at `member`: RFC 6902 §5 makes that an error of
    // applying the patch (`conflict`), not a malformed one; the pointer layer's `invalid` (removing
    // the root) makes the patch `malformed`, because it fails on every document.
    Error fail_at(std::string_view member, const Error& error) const {
        auto code = error.code() == ErrorCode::not_found ? ErrorCode::conflict : error.code();
        if (code == ErrorCode::invalid) code = ErrorCode::malformed;
        return fail(code, "\"" + std::string(member) + "\": " + error.message());
    }

    Error fail(ErrorCode code, const std::string& message) const {
        std::string text = "JSON Patch operation " + std::to_string(index_);
        if (spec_ != nullptr) text.append(" (").append(spec_->name).append(")");
        text.append(": ").append(message);
        return Error(code, std::move(text), {{"op", index_}, {"pointer", append_index("", index_)}});
    }

private:
    explicit Operation(std::size_t index) noexcept : index_(index) {}

    Result<std::vector<std::string>> read_pointer(const boost::json::object& members, std::string_view member) const {
        const std::string quoted = "\"" + std::string(member) + "\"";
        const auto* text = members.if_contains(member);
        if (text == nullptr || !text->is_string()) return fail(ErrorCode::malformed, quoted + " must be a string");
        auto tokens = parse_pointer(std::string_view(text->get_string().data(), text->get_string().size()));
        if (!tokens) return fail(ErrorCode::malformed, quoted + ": " + tokens.error().message());
        return tokens;
    }

    std::size_t index_;
    const OpSpec* spec_ = nullptr;
    std::vector<std::string> path_;
    std::vector<std::string> from_;
    const boost::json::value* value_ = nullptr;
};

// Keeps a patch's document within `PatchLimits`: the size of its canonical text, estimated as it
// grows, and the bytes the patch made us walk or copy. A copy is measured before it is made, so an
// operation that would cross the limit fails before it allocates.
class Budget {
public:
    explicit Budget(const PatchLimits& limits) noexcept
        : max_bytes_(limits.max_document_bytes),
          max_work_(limits.max_document_bytes > std::numeric_limits<std::size_t>::max() / PatchLimits::kWorkFactor
                        ? std::numeric_limits<std::size_t>::max()
                        : limits.max_document_bytes * PatchLimits::kWorkFactor) {}

    // The document the patch starts from.
    Result<void> start(const boost::json::value& document) {
        size_ = measure(document, std::numeric_limits<std::size_t>::max());
        return check(nullptr);
    }
    // `value` joins the document (add, copy, the new value of replace): measured first.
    Result<std::size_t> grow(const boost::json::value& value, const Operation& operation) {
        const std::size_t room = size_ < max_bytes_ ? max_bytes_ - size_ : 0;
        const std::size_t added = measure(value, room);
        size_ += added;
        if (auto fits = check(&operation); !fits) return std::move(fits).error();
        return added;
    }
    // `value` left the document (remove, the old value of replace).
    Result<void> shrink(const boost::json::value& value, const Operation& operation) {
        const std::size_t removed = measure(value, std::numeric_limits<std::size_t>::max());
        size_ -= std::min(size_, removed);
        return check(&operation);
    }

private:
    // The length of `value`'s canonical text, give or take a few bytes a number; stops once past `cap`.
    std::size_t measure(const boost::json::value& value, std::size_t cap) {
        std::size_t total = 0;
        walk(value, cap, total);
        work_ += total;
        return total;
    }

    static void walk(const boost::json::value& value, std::size_t cap, std::size_t& total) {
        if (total > cap) return;
        switch (value.kind()) {
            case boost::json::kind::null: total += 4; return;
            case boost::json::kind::bool_: total += 5; return;
            case boost::json::kind::int64:
            case boost::json::kind::uint64:
            case boost::json::kind::double_: total += 24; return;  // at most, as canonical text prints them
            case boost::json::kind::string: total += string_size(value.get_string()); return;
            case boost::json::kind::array:
                total += 2;
                for (const auto& element : value.get_array()) {
                    total += 1;
                    walk(element, cap, total);
                    if (total > cap) return;
                }
                return;
            case boost::json::kind::object:
                total += 2;
                for (const auto& member : value.get_object()) {
                    total += 2 + string_size(member.key());
                    walk(member.value(), cap, total);
                    if (total > cap) return;
                }
                return;
        }
    }

    static std::size_t string_size(boost::json::string_view text) {
        std::size_t size = text.size() + 2;
        for (const char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20) size += 5;  // \u00XX
            if (c == '"' || c == '\\') size += 1;
        }
        return size;
    }

    Result<void> check(const Operation* operation) const {
        if (size_ <= max_bytes_ && work_ <= max_work_) return {};
        const std::string what = size_ > max_bytes_
                                     ? "the patched document would exceed " + std::to_string(max_bytes_) + " bytes"
                                     : "the patch copies or walks more than " + std::to_string(max_work_) +
                                           " bytes of document";
        if (operation == nullptr) {
            return Error(ErrorCode::too_large, "the document is larger than " + std::to_string(max_bytes_) + " bytes",
                         {{"limit", max_bytes_}});
        }
        auto error = operation->fail(ErrorCode::too_large, what);
        error.details()["limit"] = size_ > max_bytes_ ? max_bytes_ : max_work_;
        return error;
    }

    std::size_t max_bytes_;
    std::size_t max_work_;
    std::size_t size_ = 0;
    std::size_t work_ = 0;
};

// RFC 6902 §4.1 "add" at the operation's "path"; "move" and "copy" end with it too (§4.4, §4.5).
Result<void> add_at_path(boost::json::value& document, const Operation& operation, boost::json::value value) {
    auto done = set_at(document, operation.path(), std::move(value));
    if (!done) return operation.fail_at("path", done.error());
    return {};
}

Result<void> apply(boost::json::value& document, const Operation& operation, Budget& budget) {
    const auto missing = [&](std::string_view member) {
        return operation.fail(ErrorCode::conflict, "\"" + std::string(member) + "\": no value exists there");
    };
    switch (operation.kind()) {
        case OpKind::add:
            // Adding onto an existing member replaces it; not counting what it replaces errs on the safe side.
            if (auto fits = budget.grow(operation.value(), operation); !fits) return std::move(fits).error();
            return add_at_path(document, operation, operation.value());
        case OpKind::remove: {
            auto removed = remove_at(document, operation.path());
            if (!removed) return operation.fail_at("path", removed.error());
            return budget.shrink(*removed, operation);
        }
        case OpKind::replace: {
            // RFC 6902 §4.3: the target must exist; replacing it in place equals remove + add.
            auto* target = find_at(document, operation.path());
            if (target == nullptr) return missing("path");
            if (auto fits = budget.shrink(*target, operation); !fits) return fits;
            if (auto fits = budget.grow(operation.value(), operation); !fits) return std::move(fits).error();
            *target = operation.value();
            return {};
        }
        case OpKind::move: {
            // RFC 6902 §4.4: "from" must not be a proper prefix of "path"; the move is a remove
            // followed by an add, so "path" is evaluated after the removal.
            const auto& from = operation.from();
            const auto& path = operation.path();
            if (from.size() < path.size() && std::equal(from.begin(), from.end(), path.begin())) {
                return operation.fail(ErrorCode::malformed, "a value cannot be moved into one of its own children");
            }
            if (from == path) return find_at(document, from) != nullptr ? Result<void>() : missing("from");
            auto removed = remove_at(document, from);
            if (!removed) return operation.fail_at("from", removed.error());
            return add_at_path(document, operation, std::move(*removed));
        }
        case OpKind::copy: {
            const auto* source = find_at(document, operation.from());
            if (source == nullptr) return missing("from");
            // Measured before it is copied: 19 copies of a list onto itself would be 2^19 of it.
            if (auto fits = budget.grow(*source, operation); !fits) return std::move(fits).error();
            return add_at_path(document, operation, *source);
        }
        case OpKind::test: {
            // RFC 6902 §4.6 equality is json::equal: numbers by value, members in any order.
            const auto* target = find_at(document, operation.path());
            if (target == nullptr) return missing("path");
            if (!equal(*target, operation.value())) {
                return operation.fail(ErrorCode::conflict, "the value at \"path\" is different");
            }
            return {};
        }
    }
    return operation.fail(ErrorCode::internal, "unhandled operation");
}

}  // namespace

boost::json::value merge_patch(boost::json::value target, const boost::json::value& patch) {
    merge_into(target, patch);
    return target;
}

boost::json::value make_merge_patch(const boost::json::value& from, const boost::json::value& to) {
    const auto* before = from.if_object();
    const auto* after = to.if_object();
    // RFC 7386 §2: a non-object patch replaces the target wholesale.
    if (before == nullptr || after == nullptr) return to;
    boost::json::object patch;
    for (const auto& member : *before) {
        if (!after->contains(member.key())) patch.emplace(member.key(), nullptr);
    }
    for (const auto& member : *after) {
        const auto* old = before->if_contains(member.key());
        // A null member cannot be expressed (null means "remove"), as the header notes.
        if (member.value().is_null() || (old != nullptr && equal(*old, member.value()))) continue;
        if (old != nullptr && old->is_object() && member.value().is_object()) {
            auto nested = make_merge_patch(*old, member.value());
            if (!nested.get_object().empty()) patch.emplace(member.key(), std::move(nested));
        } else {
            patch.emplace(member.key(), member.value());
        }
    }
    return patch;
}

Result<boost::json::value> apply_json_patch(const boost::json::value& document,
                                            const boost::json::value& patch,
                                            const PatchLimits& limits) {
    const auto* operations = patch.if_array();
    if (operations == nullptr) {
        return Error(ErrorCode::malformed, "a JSON Patch must be an array of operations", {{"pointer", ""}});
    }
    // RFC 6902 §5: evaluation stops at the first error. Working on a copy makes the whole patch
    // atomic: the caller's document is never touched and a failure returns nothing partial.
    Budget budget(limits);
    if (auto fits = budget.start(document); !fits) return std::move(fits).error();
    boost::json::value result = document;
    for (std::size_t i = 0; i < operations->size(); ++i) {
        auto operation = Operation::read(i, (*operations)[i]);
        if (!operation) return std::move(operation).error();
        auto applied = apply(result, *operation, budget);
        if (!applied) return std::move(applied).error();
    }
    return result;
}

}  // namespace tessera::json
