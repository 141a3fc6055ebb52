#include "schema/validator.hpp"

#include "schema/formats.hpp"
#include <tessera/json/pointer.hpp>

#include <valijson/adapters/boost_json_adapter.hpp>
#include <boost/json/serialize.hpp>
#include <valijson/constraint_builder.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

// Without exceptions valijson aborts the process on a malformed schema (exceptions.hpp).
#if !VALIJSON_USE_EXCEPTIONS
#error "lib/schema must be compiled with VALIJSON_USE_EXCEPTIONS=1"
#endif

namespace tessera::schema {
namespace {

namespace bj = boost::json;
namespace vj = valijson;
using vj::adapters::Adapter;

bool is_integral(double d) noexcept {
    return std::isfinite(d) && std::trunc(d) == d;
}

// The types `value` belongs to: every integer is also a number, and so is 1.0 (draft-07 §4.2.1).
unsigned type_bits(const Adapter& value) {
    if (value.isNull()) return kNullBit;
    if (value.isBool()) return kBooleanBit;
    if (value.isInteger()) return kIntegerBit | kNumberBit;
    if (value.isDouble()) return is_integral(value.getDouble()) ? (kIntegerBit | kNumberBit) : kNumberBit;
    if (value.isString()) return kStringBit;
    if (value.isArray()) return kArrayBit;
    if (value.isObject()) return kObjectBit;
    return 0;
}

std::string type_name(const Adapter& value) {
    const unsigned bits = type_bits(value);
    if ((bits & kIntegerBit) != 0) return "integer";
    if ((bits & kNumberBit) != 0) return "number";
    if ((bits & kNullBit) != 0) return "null";
    if ((bits & kBooleanBit) != 0) return "boolean";
    if ((bits & kStringBit) != 0) return "string";
    if ((bits & kArrayBit) != 0) return "array";
    return "object";
}

// "integer", "string or null", "object, array or null".
std::string describe(unsigned mask) {
    static constexpr std::pair<unsigned, const char*> kNames[] = {
        {kObjectBit, "object"},   {kArrayBit, "array"},     {kStringBit, "string"}, {kNumberBit, "number"},
        {kIntegerBit, "integer"}, {kBooleanBit, "boolean"}, {kNullBit, "null"}};
    std::vector<std::string> names;
    for (const auto& [bit, name] : kNames) {
        if ((mask & bit) != 0 && !(bit == kIntegerBit && (mask & kNumberBit) != 0)) names.emplace_back(name);
    }
    if (names.empty()) return "nothing";
    std::string text = names.front();
    for (std::size_t i = 1; i < names.size(); ++i) text += (i + 1 == names.size() ? " or " : ", ") + names[i];
    return text;
}

// <0, 0, >0 as `value` (a number) is below, at or above `bound`; exact when both are integers.
int compare(const Adapter& value, const Number& bound) {
    if (value.isInteger() && bound.integer) {
        const std::int64_t x = value.getInteger();
        return x < *bound.integer ? -1 : (x > *bound.integer ? 1 : 0);
    }
    const double x = value.isInteger() ? static_cast<double>(value.getInteger()) : value.getDouble();
    return x < bound.value ? -1 : (x > bound.value ? 1 : 0);
}

bool is_multiple(const Adapter& value, const Number& divisor) {
    if (value.isInteger() && divisor.integer) {
        // -1 divides everything, and INT64_MIN % -1 would overflow.
        return *divisor.integer == -1 || value.getInteger() % *divisor.integer == 0;
    }
    const double x = value.isInteger() ? static_cast<double>(value.getInteger()) : value.getDouble();
    // A quotient within rounding error of a whole number counts (0.0075 / 0.0001 = 75.00000000000001);
    // one too large for a double to hold a fraction is whole; an infinite one (1e308 / 0.12) is not.
    const double quotient = x / divisor.value;
    if (!std::isfinite(quotient)) return false;
    return std::fabs(quotient - std::round(quotient)) <=
           4 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(quotient));
}

// JSON equality as valijson defines it for enum and const (numbers by value: 1 == 1.0).
bool equal(const Adapter& target, const bj::value& value) {
    return vj::adapters::BoostJsonAdapter(value).equalTo(target, true);
}

// `value` as JSON, shortened for a message.
std::string show(const bj::value& value) {
    std::string text = bj::serialize(value);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
}

std::string show_all(const bj::array& values) {
    std::string text;
    for (std::size_t i = 0; i < values.size() && i < 5; ++i) text += (i == 0 ? "" : ", ") + show(values[i]);
    if (values.size() > 5) text += ", ...";
    return text;
}

bool search(const Pattern& pattern, const std::string& text, bool& failed) {
    try {
        return std::regex_search(text, *pattern.regex);
    } catch (const std::regex_error&) {
        // error_complexity / error_stack on a pathological input: not a match, and said so.
        failed = true;
        return false;
    }
}

// The keywords the bundler moved to `$tessera-checks` (see checks.hpp for why).
class ChecksConstraint final : public vj::constraints::PolyConstraint {
public:
    explicit ChecksConstraint(std::shared_ptr<const Checks> checks) : checks_(std::move(checks)) {}

    bool validate(const Adapter& target,
                  const std::vector<std::string>& context,
                  vj::ValidationResults* results) const override {
        bool valid = true;
        const auto fail = [&](const std::vector<std::string>& where, const std::string& message) {
            valid = false;
            if (results != nullptr) results->pushError(where, message);
        };
        const Checks& checks = *checks_;
        if (checks.types && (type_bits(target) & *checks.types) == 0) {
            fail(context, "expected " + describe(*checks.types) + ", got " + type_name(target));
            if (results == nullptr) return false;
        }
        if (target.isInteger() || target.isDouble()) {
            if (checks.minimum && compare(target, *checks.minimum) < 0) {
                fail(context, "value must be at least " + checks.minimum->text);
            }
            if (checks.maximum && compare(target, *checks.maximum) > 0) {
                fail(context, "value must be at most " + checks.maximum->text);
            }
            if (checks.exclusive_minimum && compare(target, *checks.exclusive_minimum) <= 0) {
                fail(context, "value must be greater than " + checks.exclusive_minimum->text);
            }
            if (checks.exclusive_maximum && compare(target, *checks.exclusive_maximum) >= 0) {
                fail(context, "value must be less than " + checks.exclusive_maximum->text);
            }
            if (checks.multiple_of && !is_multiple(target, *checks.multiple_of)) {
                fail(context, "value must be a multiple of " + checks.multiple_of->text);
            }
        }
        if (checks.constant && !equal(target, *checks.constant))
            fail(context, "value must be " + show(*checks.constant));
        if (checks.allowed) {
            bool found = false;
            for (const auto& candidate : *checks.allowed) found = found || equal(target, candidate);
            if (!found) fail(context, "value must be one of " + show_all(*checks.allowed));
        }
        if (target.isString() && (!checks.format.empty() || checks.pattern)) {
            const std::string text = target.asString();
            if (!checks.format.empty() && !matches_format(checks.format, text)) {
                fail(context, "string is not a valid " + checks.format);
            }
            bool too_complex = false;
            if (checks.pattern && !search(*checks.pattern, text, too_complex)) {
                fail(context, std::string(too_complex ? "string is too complex to match against pattern '"
                                                      : "string does not match pattern '") +
                                  checks.pattern->source + "'");
            }
        }
        if (checks.closed && target.isObject()) {
            target.applyToObject([&](const std::string& name, const Adapter&) {
                if (allowed(*checks.closed, name)) return true;
                auto where = context;
                where.push_back("[" + name + "]");
                fail(where, "property '" + name + "' is not allowed");
                return results != nullptr;  // list every offender only when someone reads the list
            });
        }
        return valid;
    }

private:
    static bool allowed(const Checks::Closed& closed, const std::string& name) {
        if (closed.names.contains(name)) return true;
        bool ignored = false;
        for (const auto& pattern : closed.patterns) {
            if (search(pattern, name, ignored)) return true;
        }
        return false;
    }

    vj::constraints::Constraint* cloneInto(void* memory) const override { return new (memory) ChecksConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(ChecksConstraint); }

    std::shared_ptr<const Checks> checks_;
};

class ChecksBuilder final : public vj::ConstraintBuilder {
public:
    explicit ChecksBuilder(const std::vector<std::shared_ptr<const Checks>>& table) : table_(table) {}

    vj::constraints::Constraint* make(const Adapter& value) const override {
        std::int64_t index = -1;
        if (!value.getInteger(index) || index < 0 || static_cast<std::size_t>(index) >= table_.size()) {
            throw std::runtime_error("malformed $tessera-checks");
        }
        return new ChecksConstraint(table_[static_cast<std::size_t>(index)]);
    }

private:
    const std::vector<std::shared_ptr<const Checks>>& table_;
};

// valijson's context is ["<root>", "[name]", "[0]", ...]; each step is one reference token.
std::string to_pointer(const std::vector<std::string>& context) {
    std::string pointer;
    for (std::size_t i = 1; i < context.size(); ++i) {
        std::string_view step = context[i];
        if (step.size() >= 2 && step.front() == '[' && step.back() == ']') step = step.substr(1, step.size() - 2);
        pointer = tessera::json::append_token(pointer, step);
    }
    return pointer;
}

// valijson reports a failure once where it happens and again at every enclosing property, item and
// combinator ("Failed to validate against schema associated with property name 'x'"). Those echoes
// are wrappers: dropped when the failure beneath them was reported, kept (as a plain message at the
// child's pointer) when it was not, e.g. after a propertyNames failure, which valijson never reports.
struct Item {
    std::string pointer;  // for a wrapper: the pointer of the child it wraps
    std::string message;
    bool wrapper = false;
};

std::string quoted(std::string_view text, std::string_view prefix, std::string_view suffix) {
    if (!text.starts_with(prefix) || !text.ends_with(suffix) || text.size() < prefix.size() + suffix.size()) return {};
    return std::string(text.substr(prefix.size(), text.size() - prefix.size() - suffix.size()));
}

// valijson's "String should be no more than 5 characters in length." and kin, in our words.
std::string rewrite_count(std::string_view text) {
    static constexpr struct {
        std::string_view prefix, suffix, before, plural, singular;
    } kCounts[] = {
        {"String should be no more than ", " characters in length.", "string must be at most ", " characters long",
         " character long"},
        {"String should be no fewer than ", " characters in length.", "string must be at least ", " characters long",
         " character long"},
        {"Array should contain no more than ", " elements.", "array must have at most ", " items", " item"},
        {"Array should contain no fewer than ", " elements.", "array must have at least ", " items", " item"},
        {"Object should have no more than ", " properties.", "object must have at most ", " properties", " property"},
        {"Object should have no fewer than ", " properties.", "object must have at least ", " properties", " property"},
    };
    for (const auto& count : kCounts) {
        if (auto number = quoted(text, count.prefix, count.suffix); !number.empty()) {
            return std::string(count.before) + number + std::string(number == "1" ? count.singular : count.plural);
        }
    }
    return {};
}

Item translate(const vj::ValidationResults::Error& error) {
    Item item{to_pointer(error.context), {}, true};
    const std::string_view text = error.description;

    if (text.starts_with("Failed to validate against schema associated with property name '")) {
        item.pointer = tessera::json::append_token(
            item.pointer, quoted(text, "Failed to validate against schema associated with property name '", "'."));
        return item;
    }
    if (text.starts_with("Failed to validate item #")) {
        // "against corresponding item schema." is reported at the item already; the others at the array.
        if (!text.ends_with("against corresponding item schema.")) {
            const auto digits = text.substr(25, text.find(' ', 25) - 25);
            item.pointer = tessera::json::append_token(item.pointer, digits);
        }
        return item;
    }
    for (const std::string_view echo :
         {"Failed to validate against schema associated with pattern",
          "Failed to validate against additional properties schema", "Failed to validate against child schema #",
          "Failed to validate against dependent schema", "Failed to validate against a conditional schema"}) {
        if (text.starts_with(echo)) return item;
    }

    item.wrapper = false;
    if (auto name = quoted(text, "Missing required property '", "'."); !name.empty()) {
        item.message = "required property '" + name + "' is missing";
    } else if (auto dependency = quoted(text, "Missing dependency '", "'."); !dependency.empty()) {
        item.message = "required property '" + dependency + "' is missing (dependencies)";
    } else if (text == "Target should not validate against schema specified in 'not' constraint.") {
        item.message = "value must not match the schema in 'not'";
    } else if (text == "Failed to validate against any schemas allowed by anyOf constraint.") {
        item.message = "value matches none of the schemas in anyOf";
    } else if (text == "Failed to validate against any child schemas allowed by oneOf constraint.") {
        item.message = "value matches none of the schemas in oneOf";
    } else if (text == "Failed to validate against exactly one child schema.") {
        item.message = "value matches more than one of the schemas in oneOf";
    } else if (text == "Failed to any values against subschema in 'contains' constraint.") {
        item.message = "array has no item matching 'contains'";
    } else if (text == "Array contains more items than allowed by items constraint." ||
               text.starts_with("Cannot validate item #")) {
        item.message = "array has more items than allowed (additionalItems)";
    } else if (const auto rewritten = rewrite_count(text); !rewritten.empty()) {
        item.message = rewritten;
    } else if (auto pair = quoted(text, "Elements at indexes #", " violate uniqueness constraint."); !pair.empty()) {
        item.message = "items " + pair + " are equal (uniqueItems)";
    } else {
        // Anything else valijson says reads well enough once in our style.
        item.message = std::string(text);
        if (item.message.ends_with('.')) item.message.pop_back();
        if (!item.message.empty() && item.message.front() >= 'A' && item.message.front() <= 'Z') {
            item.message.front() = static_cast<char>(item.message.front() - 'A' + 'a');
        }
    }
    return item;
}

std::vector<ValidationError> to_errors(const vj::ValidationResults& results) {
    // A document can hold tens of thousands of failures (one per unknown key): the sets below view
    // the items' strings instead of copying them, and the errors take them over at the end.
    std::vector<Item> items;
    items.reserve(results.numErrors());
    for (const auto& error : results) items.push_back(translate(error));
    std::set<std::string_view, std::less<>> leaves;  // pointers of real failures
    std::set<std::string_view, std::less<>> all;     // and of wrappers
    for (const auto& item : items) (item.wrapper ? all : leaves).insert(item.pointer);
    all.insert(leaves.begin(), leaves.end());

    // A wrapper is covered by a failure at its own pointer, or by anything strictly beneath it.
    const auto covered = [&](const std::string& pointer) {
        if (leaves.contains(pointer)) return true;
        const std::string below = pointer + "/";
        const auto next = all.lower_bound(std::string_view(below));
        return next != all.end() && next->starts_with(below);
    };

    std::vector<bool> keep(items.size(), false);
    std::set<std::pair<std::string_view, std::string_view>> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto& item = items[i];
        if (item.wrapper) {
            if (covered(item.pointer)) continue;
            item.message = std::string(kGenericMismatch);
        }
        keep[i] = seen.emplace(item.pointer, item.message).second;
    }
    seen.clear();
    leaves.clear();
    all.clear();
    std::vector<ValidationError> errors;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (keep[i]) errors.push_back({std::move(items[i].pointer), std::move(items[i].message)});
    }
    if (errors.empty()) errors.push_back({"", std::string(kGenericMismatch)});
    return errors;
}

// Where `pointer` is in document order: the position of each step among its siblings.
std::vector<std::size_t> position_of(const bj::value& instance, std::string_view pointer) {
    std::vector<std::size_t> position;
    const bj::value* node = &instance;
    for (const auto& token : tessera::json::parse_pointer(pointer).value_or(std::vector<std::string>{})) {
        std::size_t index = std::numeric_limits<std::size_t>::max();
        const bj::value* child = nullptr;
        if (const auto* object = node ? node->if_object() : nullptr) {
            const auto found = object->find(token);
            if (found != object->end()) {
                index = static_cast<std::size_t>(found - object->begin());
                child = &found->value();
            }
        } else if (const auto* array = node ? node->if_array() : nullptr) {
            index = std::strtoull(token.c_str(), nullptr, 10);
            if (index < array->size()) child = &(*array)[index];
        }
        position.push_back(index);
        node = child;
    }
    return position;
}

// valijson reports constraint by constraint; people read documents top to bottom.
void sort_in_document_order(const bj::value& instance, std::vector<ValidationError>& errors) {
    std::vector<std::pair<std::vector<std::size_t>, ValidationError>> keyed;
    keyed.reserve(errors.size());
    for (auto& error : errors) keyed.emplace_back(position_of(instance, error.pointer), std::move(error));
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < errors.size(); ++i) errors[i] = std::move(keyed[i].second);
}

bool has_uint64(const bj::value& value) {
    if (value.is_uint64()) return true;
    if (const auto* array = value.if_array()) {
        for (const auto& item : *array) {
            if (has_uint64(item)) return true;
        }
    } else if (const auto* object = value.if_object()) {
        for (const auto& member : *object) {
            if (has_uint64(member.value())) return true;
        }
    }
    return false;
}

// valijson's Boost.JSON adapter sees only int64 and double; a uint64 beyond INT64_MAX would be
// "not a number" to it, so it becomes the double it is closest to.
void widen_uint64(bj::value& value) {
    if (value.is_uint64()) {
        value = static_cast<double>(value.get_uint64());
    } else if (auto* array = value.if_array()) {
        for (auto& item : *array) widen_uint64(item);
    } else if (auto* object = value.if_object()) {
        for (auto& member : *object) widen_uint64(member.value());
    }
}

}  // namespace

struct Validator::Impl {
    Bundle bundle;  // owns the checks the compiled constraints point to
    vj::Schema schema;

    bool run(const bj::value& instance, vj::ValidationResults* results) const {
        const bj::value* target = &instance;
        bj::value widened;
        if (has_uint64(instance)) {
            widened = instance;
            widen_uint64(widened);
            target = &widened;
        }
        // A fresh valijson::Validator per call: its regex cache is mutable and unguarded, so one
        // shared instance would race. It is cheap (an empty map) and our patterns never use it.
        vj::Validator validator;
        const vj::adapters::BoostJsonAdapter adapter(*target);
        return validator.validate(schema, adapter, results);
    }
};

Validator::Validator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Validator::~Validator() = default;

Result<std::unique_ptr<Validator>> Validator::compile(Bundle bundle) {
    auto impl = std::make_unique<Impl>();
    impl->bundle = std::move(bundle);
    try {
        vj::SchemaParser parser(vj::SchemaParser::kDraft7);
        auto builder = std::make_unique<ChecksBuilder>(impl->bundle.checks);
        parser.addConstraintBuilder("$tessera-checks", builder.get());
        builder.release();  // the parser owns it now
        const vj::adapters::BoostJsonAdapter adapter(impl->bundle.document);
        parser.populateSchema(adapter, impl->schema);
    } catch (const std::exception& e) {
        return Error(ErrorCode::invalid, std::string("not a valid schema: ") + e.what(),
                     {{"backend", {{"valijson", e.what()}}}});
    }
    return std::unique_ptr<Validator>(new Validator(std::move(impl)));
}

bool Validator::is_valid(const bj::value& instance) const {
    try {
        return impl_->run(instance, nullptr);
    } catch (const std::exception&) {
        return false;
    }
}

std::vector<ValidationError> Validator::validate(const bj::value& instance) const {
    try {
        if (impl_->run(instance, nullptr)) return {};
        vj::ValidationResults results;
        impl_->run(instance, &results);
        auto errors = to_errors(results);
        sort_in_document_order(instance, errors);
        return errors;
    } catch (const std::exception& e) {
        return {{"", std::string("the document could not be validated: ") + e.what()}};
    }
}

}  // namespace tessera::schema
