#include "search/sqlite/layout.hpp"

#include <tessera/search/query.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cmath>

namespace tessera::search::internal {
namespace {

using boost::json::value;

constexpr std::string_view kLinkMember = "$entity";
constexpr std::size_t kMaxValuesPerField = 4096;  // a huge array indexes its first values only

const char* column_type(FieldType type) {
    switch (type) {
        case FieldType::string: return "TEXT";
        case FieldType::number: return "REAL";
        case FieldType::integer:
        case FieldType::boolean:
        case FieldType::date: return "INTEGER";
    }
    return "";
}

// Every value at `path` (dotted) below `node`, arrays flattened at any level.
void collect(const value& node, std::string_view path, std::vector<const value*>& out) {
    if (out.size() >= kMaxValuesPerField) return;
    if (node.is_array()) {
        for (const auto& element : node.get_array()) collect(element, path, out);
        return;
    }
    if (path.empty()) {
        out.push_back(&node);
        return;
    }
    if (!node.is_object()) return;
    const auto dot = path.find('.');
    const std::string_view head = path.substr(0, dot);
    const std::string_view rest = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (const value* child = node.get_object().if_contains(head)) collect(*child, rest, out);
}

// The links {"$entity": "collection/id"} anywhere in `node`.
void links(const value& node, std::vector<std::string_view>& out, int depth) {
    if (depth > 64) return;
    if (node.is_array()) {
        for (const auto& element : node.get_array()) links(element, out, depth + 1);
    } else if (node.is_object()) {
        const auto& o = node.get_object();
        if (o.size() == 1) {
            if (const value* target = o.if_contains(kLinkMember); target && target->is_string()) {
                out.push_back(target->get_string());
                return;
            }
        }
        for (const auto& [key, member] : o) links(member, out, depth + 1);
    }
}

}  // namespace

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += separator;
        out += parts[i];
    }
    return out;
}

std::optional<FieldType> Layout::field_type(const std::vector<std::string>& collections, std::string_view path) const {
    for (const auto& name : collections) {
        if (const CollectionLayout* c = find(name)) {
            if (const FieldSlot* slot = c->find(path)) return slot->field.type;
        }
    }
    return std::nullopt;
}

const FieldSlot* CollectionLayout::find(std::string_view path) const noexcept {
    auto it = std::find_if(fields.begin(), fields.end(), [&](const FieldSlot& s) { return s.field.path == path; });
    return it == fields.end() ? nullptr : &*it;
}

Layout::Layout(const Catalog& catalog) {
    digest_ = "tessera-search-2";
    for (const auto& c : catalog.collections()) {
        CollectionLayout layout;
        layout.index = collections_.size();
        layout.name = c.collection;
        digest_ += "|" + c.collection + ":";
        for (const auto& f : c.fields) {
            FieldSlot slot{f, layout.fields.size(), -1};
            if (f.type == FieldType::string) {
                slot.fts_column = static_cast<int>(layout.fts_fields.size());
                layout.fts_fields.push_back(slot.index);
            }
            layout.fields.push_back(std::move(slot));
            digest_ += f.path + "/" + std::string(to_string(f.type)) + (f.multi ? "*" : "") + (f.indexed ? "" : "-") + ",";
        }
        for (const auto& index : c.indexes) {
            std::vector<std::size_t> columns;
            digest_ += "(";
            for (const auto& path : index) {
                if (const FieldSlot* slot = layout.find(path)) columns.push_back(slot->index);
                digest_ += path + ",";
            }
            digest_ += ")";
            layout.composite_indexes.push_back(std::move(columns));
        }
        collections_.push_back(std::move(layout));
    }
}

const CollectionLayout* Layout::find(std::string_view collection) const noexcept {
    auto it = std::find_if(collections_.begin(), collections_.end(),
                           [&](const CollectionLayout& c) { return c.name == collection; });
    return it == collections_.end() ? nullptr : &*it;
}

std::string Layout::create_sql() const {
    std::string sql = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;";
    for (const auto& c : collections_) {
        const std::string o = c.objects();
        sql += "CREATE TABLE " + o +
               " (id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, deleted INTEGER NOT NULL, root TEXT NOT NULL,"
               " parent TEXT NOT NULL, body TEXT";
        for (const auto& slot : c.fields) {
            if (!slot.field.multi) sql += ", f" + std::to_string(slot.index) + " " + column_type(slot.field.type);
        }
        sql += ");";
        for (const auto& slot : c.fields) {
            if (slot.field.multi || !slot.field.indexed) continue;
            const std::string column = "f" + std::to_string(slot.index);
            sql += "CREATE INDEX " + o + "_" + column + " ON " + o + " (" + column + ");";
        }
        for (std::size_t n = 0; n < c.composite_indexes.size(); ++n) {
            std::string columns;
            for (const std::size_t k : c.composite_indexes[n]) columns += (columns.empty() ? "f" : ", f") + std::to_string(k);
            sql += "CREATE INDEX " + o + "_x" + std::to_string(n) + " ON " + o + " (" + columns + ");";
        }
        const std::string m = c.multi();
        sql += "CREATE TABLE " + m + " (obj INTEGER NOT NULL, field INTEGER NOT NULL, value);";
        sql += "CREATE INDEX " + m + "_value ON " + m + " (field, value);";
        sql += "CREATE INDEX " + m + "_obj ON " + m + " (obj);";
        const std::string e = c.edges();
        sql += "CREATE TABLE " + e + " (parent INTEGER NOT NULL, child_coll INTEGER NOT NULL, child_id TEXT NOT NULL);";
        sql += "CREATE INDEX " + e + "_child ON " + e + " (child_coll, child_id);";
        sql += "CREATE INDEX " + e + "_parent ON " + e + " (parent);";
        if (!c.fts_fields.empty()) {
            sql += "CREATE VIRTUAL TABLE " + c.fts() + " USING fts5(";
            for (std::size_t k = 0; k < c.fts_fields.size(); ++k) sql += (k ? ", c" : "c") + std::to_string(k);
            sql += ", content='', tokenize='unicode61 remove_diacritics 2');";
        }
    }
    return sql;
}

SqlValue Layout::to_sql(const value& v, FieldType type) {
    switch (type) {
        case FieldType::string:
            if (v.is_string()) return std::string(v.get_string());
            return {};
        case FieldType::integer:
            if (v.is_int64()) return v.get_int64();
            if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
                return static_cast<std::int64_t>(v.get_uint64());
            }
            if (v.is_double() && std::isfinite(v.get_double()) && v.get_double() == std::floor(v.get_double()) &&
                std::fabs(v.get_double()) < 9.0e15) {
                return static_cast<std::int64_t>(v.get_double());
            }
            return {};
        case FieldType::number:
            if (v.is_number()) return v.to_number<double>();
            return {};
        case FieldType::boolean:
            if (v.is_bool()) return std::int64_t{v.get_bool() ? 1 : 0};
            return {};
        case FieldType::date:
            if (v.is_string()) {
                if (auto ms = date_millis(v.get_string())) return *ms;
            }
            return {};
    }
    return {};
}

Extracted Layout::extract(const CollectionLayout& collection, const value& body) const {
    Extracted out;
    out.single.resize(collection.fields.size());
    out.text.resize(collection.fts_fields.size());
    std::vector<const value*> found;
    for (const auto& slot : collection.fields) {
        found.clear();
        collect(body, slot.field.path, found);
        for (const value* v : found) {
            SqlValue sql = to_sql(*v, slot.field.type);
            if (std::holds_alternative<std::monostate>(sql)) continue;
            if (slot.fts_column >= 0) {
                std::string& text = out.text[static_cast<std::size_t>(slot.fts_column)];
                if (!text.empty()) text.push_back(' ');
                text += std::get<std::string>(sql);
            }
            if (slot.field.multi) {
                out.multi.emplace_back(slot.index, std::move(sql));
            } else if (std::holds_alternative<std::monostate>(out.single[slot.index])) {
                out.single[slot.index] = std::move(sql);
            }
        }
    }
    std::vector<std::string_view> targets;
    links(body, targets, 0);
    for (const auto target : targets) {
        const auto slash = target.find('/');
        if (slash == std::string_view::npos) continue;
        if (const CollectionLayout* child = find(target.substr(0, slash))) {
            out.children.emplace_back(child->index, std::string(target.substr(slash + 1)));
        }
    }
    return out;
}

}  // namespace tessera::search::internal
