#include "search/sqlite/sql_query.hpp"

#include <boost/json/string.hpp>

#include <map>
#include <optional>
#include <set>

namespace tessera::search::internal {
namespace {

using boost::json::value;

// SQLite's default SQLITE_MAX_VARIABLE_NUMBER is 32766; stay below it.
constexpr std::size_t kMaxParams = 32000;

// The smallest string greater than every string starting with `prefix`, if there is one.
std::optional<std::string> successor(std::string prefix) {
    while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
    if (prefix.empty()) return std::nullopt;
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
    return prefix;
}

// The FTS5 query for a text clause's words: each word quoted (a word holds letters and digits only,
// so it cannot carry FTS5 syntax).
std::string fts_words(const std::vector<std::string>& words, Operator op) {
    std::vector<std::string> quoted;
    for (const auto& w : words) quoted.push_back("\"" + w + "\"");
    return "(" + join(quoted, op == Operator::and_ ? " AND " : " OR ") + ")";
}

std::string column_filter(const std::vector<int>& columns) {
    std::vector<std::string> names;
    for (int c : columns) names.push_back("c" + std::to_string(c));
    return "{" + join(names, " ") + "} : ";
}

// Statement-wide state: the parameters and unique names.
struct Statement {
    std::vector<SqlValue> params;
    int names = 0;

    std::string param(SqlValue v) {
        params.push_back(std::move(v));
        return "?" + std::to_string(params.size());
    }
    std::string name(std::string_view stem) { return std::string(stem) + std::to_string(++names); }
};

// One collection's part of a statement: the scoring joins and the WHERE clause.
class Branch {
public:
    Branch(const Layout& layout, const CollectionLayout& collection, Statement& statement)
        : layout_(layout), collection_(collection), st_(statement) {}

    // Pass 1: a materialised CTE per scoring text clause, in the order the clauses appear.
    void register_scores(const Query& q, bool required) {
        if (const auto* b = std::get_if<Bool>(&q.node)) {
            for (const auto& c : b->must) register_scores(c, required);
            for (const auto& c : b->should) register_scores(c, false);
            return;
        }
        auto match = fts_match(collection_, q);
        if (!match) return;
        const std::string s = st_.name("s");
        ctes_.push_back(s + "(rid, score) AS MATERIALIZED (SELECT rowid, -bm25(" + collection_.fts() + ") FROM " +
                        collection_.fts() + " WHERE " + collection_.fts() + " MATCH " + st_.param(*match) + ")");
        joins_ += std::string(required ? " JOIN " : " LEFT JOIN ") + s + " ON " + s + ".rid = o.rowid";
        scores_.push_back("COALESCE(" + s + ".score, 0)");
        scored_[&q] = required ? "1" : s + ".rid IS NOT NULL";
    }

    // Fields every match has a value for (conditions on must/filter chains from the top).
    void note_required_fields(const Query& q) {
        std::visit(
            [&](const auto& node) {
                using T = std::decay_t<decltype(node)>;
                if constexpr (std::is_same_v<T, Bool>) {
                    for (const auto& c : node.must) note_required_fields(c);
                    for (const auto& c : node.filter) note_required_fields(c);
                } else if constexpr (std::is_same_v<T, Term> || std::is_same_v<T, Terms> || std::is_same_v<T, Range> ||
                                     std::is_same_v<T, Prefix> || std::is_same_v<T, Exists>) {
                    non_null_.insert(node.field);
                }
            },
            q.node);
    }

    // Pass 2: the condition `q` puts on `alias` (a row of `c`).
    std::string where(const Query& q, const CollectionLayout& c, const std::string& alias) {
        if (auto it = scored_.find(&q); it != scored_.end()) return it->second;
        return std::visit([&](const auto& node) { return condition(q, node, c, alias); }, q.node);
    }

    const std::vector<std::string>& ctes() const noexcept { return ctes_; }
    const std::string& joins() const noexcept { return joins_; }
    // A real literal: an integer constant in ORDER BY would name a column.
    std::string score() const { return scores_.empty() ? "0.0" : join(scores_, " + "); }
    bool non_null(const std::string& field) const { return non_null_.contains(field); }

private:
    // The MATCH expression of a text clause on `c`, or nullopt if it cannot match there.
    static std::optional<std::string> fts_match(const CollectionLayout& c, const Query& q) {
        if (c.fts_fields.empty()) return std::nullopt;
        auto column_of = [&](const std::string& field) -> int {
            const FieldSlot* slot = c.find(field);
            return slot == nullptr ? -1 : slot->fts_column;
        };
        if (const auto* m = std::get_if<Match>(&q.node)) {
            const int column = column_of(m->field);
            auto words = query_words(m->text);
            if (column < 0 || words.empty()) return std::nullopt;
            return column_filter({column}) + fts_words(words, m->op);
        }
        if (const auto* m = std::get_if<MatchPhrase>(&q.node)) {
            const int column = column_of(m->field);
            auto words = words_of(m->text);
            if (column < 0 || words.empty()) return std::nullopt;
            return column_filter({column}) + "\"" + join(words, " ") + "\"";
        }
        if (const auto* m = std::get_if<MultiMatch>(&q.node)) {
            auto words = query_words(m->text);
            if (words.empty()) return std::nullopt;
            if (m->fields.empty()) return fts_words(words, m->op);
            std::vector<int> columns;
            for (const auto& f : m->fields) {
                if (int column = column_of(f); column >= 0) columns.push_back(column);
            }
            if (columns.empty()) return std::nullopt;
            return column_filter(columns) + fts_words(words, m->op);
        }
        return std::nullopt;
    }

    std::string text_condition(const Query& q, const CollectionLayout& c, const std::string& alias) {
        auto match = fts_match(c, q);
        if (!match) return "0";
        return alias + ".rowid IN (SELECT rowid FROM " + c.fts() + " WHERE " + c.fts() + " MATCH " + st_.param(*match) + ")";
    }

    std::string condition(const Query& q, const MatchAll&, const CollectionLayout&, const std::string&) {
        (void)q;
        return "1";
    }
    std::string condition(const Query& q, const Match&, const CollectionLayout& c, const std::string& alias) {
        return text_condition(q, c, alias);
    }
    std::string condition(const Query& q, const MultiMatch&, const CollectionLayout& c, const std::string& alias) {
        return text_condition(q, c, alias);
    }
    std::string condition(const Query& q, const MatchPhrase&, const CollectionLayout& c, const std::string& alias) {
        return text_condition(q, c, alias);
    }

    // `test` ("= ?1", "IN (?1, ?2)", ">= ?1 AND ... < ?2" with X for the value) on field `field`.
    template <class MakeTest>
    std::string on_field(const std::string& field, const CollectionLayout& c, const std::string& alias, MakeTest make_test) {
        const FieldSlot* slot = c.find(field);
        if (slot == nullptr) return "0";
        if (!slot->field.multi) return make_test(alias + ".f" + std::to_string(slot->index), slot->field.type);
        const std::string m = st_.name("m");
        return alias + ".rowid IN (SELECT " + m + ".obj FROM " + c.multi() + " " + m + " WHERE " + m +
               ".field = " + std::to_string(slot->index) + " AND " + make_test(m + ".value", slot->field.type) + ")";
    }

    std::string condition(const Query&, const Term& t, const CollectionLayout& c, const std::string& alias) {
        return on_field(t.field, c, alias, [&](const std::string& x, FieldType type) {
            SqlValue v = Layout::to_sql(t.value, type);
            if (std::holds_alternative<std::monostate>(v)) return std::string("0");
            return x + " = " + st_.param(std::move(v));
        });
    }
    std::string condition(const Query&, const Terms& t, const CollectionLayout& c, const std::string& alias) {
        return on_field(t.field, c, alias, [&](const std::string& x, FieldType type) {
            std::vector<std::string> params;
            for (const auto& value : t.values) {
                SqlValue v = Layout::to_sql(value, type);
                if (!std::holds_alternative<std::monostate>(v)) params.push_back(st_.param(std::move(v)));
            }
            if (params.empty()) return std::string("0");
            return x + " IN (" + join(params, ", ") + ")";
        });
    }
    std::string condition(const Query&, const Range& r, const CollectionLayout& c, const std::string& alias) {
        return on_field(r.field, c, alias, [&](const std::string& x, FieldType type) {
            std::vector<std::string> tests;
            auto bound = [&](const std::optional<value>& b, const char* op) {
                if (!b) return;
                SqlValue v = Layout::to_sql(*b, type);
                tests.push_back(std::holds_alternative<std::monostate>(v) ? "0" : x + op + st_.param(std::move(v)));
            };
            bound(r.gt, " > ");
            bound(r.gte, " >= ");
            bound(r.lt, " < ");
            bound(r.lte, " <= ");
            return tests.empty() ? x + " IS NOT NULL" : join(tests, " AND ");
        });
    }
    std::string condition(const Query&, const Exists& e, const CollectionLayout& c, const std::string& alias) {
        return on_field(e.field, c, alias, [&](const std::string& x, FieldType) { return x + " IS NOT NULL"; });
    }
    std::string condition(const Query&, const Prefix& p, const CollectionLayout& c, const std::string& alias) {
        return on_field(p.field, c, alias, [&](const std::string& x, FieldType) {
            std::string test = x + " >= " + st_.param(p.value);
            if (auto upper = successor(p.value)) test += " AND " + x + " < " + st_.param(std::move(*upper));
            return test;
        });
    }
    std::string condition(const Query&, const Ids& ids, const CollectionLayout&, const std::string& alias) {
        if (ids.values.empty()) return "0";
        std::vector<std::string> params;
        for (const auto& id : ids.values) params.push_back(st_.param(id));
        return alias + ".id IN (" + join(params, ", ") + ")";
    }
    std::string condition(const Query&, const Bool& b, const CollectionLayout& c, const std::string& alias) {
        std::vector<std::string> parts;
        for (const auto& q : b.must) parts.push_back(where(q, c, alias));
        for (const auto& q : b.filter) parts.push_back(where(q, c, alias));
        // A comparison with a missing value is NULL: COALESCE makes it the "no match" it means.
        for (const auto& q : b.must_not) parts.push_back("NOT COALESCE((" + where(q, c, alias) + "), 0)");
        const std::uint32_t minimum = b.minimum_should_match.value_or(
            !b.should.empty() && b.must.empty() && b.filter.empty() ? 1u : 0u);
        if (minimum > 0) {
            std::vector<std::string> counted;
            for (const auto& q : b.should) counted.push_back("COALESCE((" + where(q, c, alias) + "), 0)");
            parts.push_back("(" + (counted.empty() ? std::string("0") : join(counted, " + ")) + ") >= " +
                            std::to_string(minimum));
        }
        if (parts.empty()) return "1";
        return "(" + join(parts, " AND ") + ")";
    }
    std::string condition(const Query&, const HasChild& h, const CollectionLayout& c, const std::string& alias) {
        const CollectionLayout* child = layout_.find(h.type);
        if (child == nullptr) return "0";
        const std::string e = st_.name("e"), ch = st_.name("ch");
        // The matching children drive and find their links through e_i_child: CROSS JOIN fixes
        // SQLite's join order. Left to itself it puts the links outer and probes o_j's id index once
        // per link for every value of an IN list in the child's condition (a text match, a nested
        // has_child) — links x matches steps, minutes at 1M entities (tests/bench/search_bench.cpp).
        return alias + ".rowid IN (SELECT " + e + ".parent FROM " + child->objects() + " " + ch + " CROSS JOIN " +
               c.edges() + " " + e + " ON " + e + ".child_coll = " + std::to_string(child->index) + " AND " + e +
               ".child_id = " + ch + ".id WHERE " + ch + ".deleted = 0 AND (" + where(*h.query, *child, ch) + "))";
    }
    std::string condition(const Query&, const HasParent& h, const CollectionLayout& c, const std::string& alias) {
        const CollectionLayout* parent = layout_.find(h.parent_type);
        if (parent == nullptr) return "0";
        const std::string e = st_.name("e"), p = st_.name("p");
        return alias + ".id IN (SELECT " + e + ".child_id FROM " + parent->edges() + " " + e + " JOIN " + parent->objects() +
               " " + p + " ON " + p + ".rowid = " + e + ".parent WHERE " + e + ".child_coll = " + std::to_string(c.index) +
               " AND " + p + ".deleted = 0 AND (" + where(*h.query, *parent, p) + "))";
    }

    const Layout& layout_;
    const CollectionLayout& collection_;
    Statement& st_;
    std::vector<std::string> ctes_;
    std::string joins_;
    std::vector<std::string> scores_;
    std::map<const Query*, std::string> scored_;
    std::set<std::string> non_null_;
};

// One collection's branch, built: its FROM ... WHERE text and what the select lists need.
struct BuiltBranch {
    const CollectionLayout* collection = nullptr;
    std::string from_where;   // "FROM o_i o <joins> WHERE o.deleted = 0 AND (...)"
    std::string score;        // the score expression
    std::vector<std::string> sort_exprs;
    std::vector<bool> nullable;  // per sort key: may be NULL here
};

struct Built {
    Statement statement;
    std::vector<std::string> ctes;
    std::vector<BuiltBranch> branches;
};

// `scored`: the text clauses that score become bm25 CTEs (the hits); else they are plain FTS5
// membership tests, which match the same rows without computing a score per match (counts and
// aggregations, where bm25 over a common word's every match cost as much as the page itself).
Built build_branches(const Layout& layout, const SearchRequest& request, bool scored) {
    Built built;
    for (const auto& name : request.collections) {
        const CollectionLayout* c = layout.find(name);
        if (c == nullptr) continue;
        Branch branch(layout, *c, built.statement);
        if (scored) branch.register_scores(request.query, true);
        branch.note_required_fields(request.query);
        BuiltBranch out;
        out.collection = c;
        const std::string condition = branch.where(request.query, *c, "o");
        out.from_where = "FROM " + c->objects() + " o" + branch.joins() + " WHERE o.deleted = 0 AND " + condition;
        out.score = branch.score();
        for (const auto& key : request.sort) {
            if (key.field == "_score") {
                out.sort_exprs.push_back(out.score);
                out.nullable.push_back(false);
                continue;
            }
            const FieldSlot* slot = c->find(key.field);
            if (slot == nullptr || slot->field.multi) {
                out.sort_exprs.push_back("NULL");
                out.nullable.push_back(true);
            } else {
                out.sort_exprs.push_back("o.f" + std::to_string(slot->index));
                out.nullable.push_back(!branch.non_null(key.field));
            }
        }
        for (const auto& cte : branch.ctes()) built.ctes.push_back(cte);
        built.branches.push_back(std::move(out));
    }
    return built;
}

std::string with_clause(const std::vector<std::string>& ctes) {
    return ctes.empty() ? std::string() : "WITH " + join(ctes, ", ") + " ";
}

SqlValue after_value(const value& v, std::optional<FieldType> type) {
    if (v.is_null()) return {};
    if (!type) return v.is_number() ? SqlValue(v.to_number<double>()) : SqlValue{};  // _score
    if (*type == FieldType::date && v.is_number()) return static_cast<std::int64_t>(v.to_number<double>());
    return Layout::to_sql(v, *type);
}

// "After the hit whose sort values are `after`": lexicographic over the keys, missing values last.
Result<std::string> after_predicate(const Layout& layout, const SearchRequest& request,
                                    const std::vector<std::string>& exprs, const std::vector<bool>& nullable,
                                    const std::string& collection_expr, const std::string& id_expr, Statement& st) {
    std::vector<std::string> alternatives, equal_so_far;
    auto add_key = [&](const std::string& e, const SqlValue& v, bool descending, bool may_be_null) {
        std::vector<std::string> terms = equal_so_far;
        if (std::holds_alternative<std::monostate>(v)) {
            equal_so_far.push_back(e + " IS NULL");
            return;  // nothing sorts after a missing value but other missing values
        }
        const std::string p = st.param(v);
        std::string after = e + (descending ? " < " : " > ") + p;
        if (may_be_null) after = "(" + after + " OR " + e + " IS NULL)";
        terms.push_back(after);
        alternatives.push_back("(" + join(terms, " AND ") + ")");
        equal_so_far.push_back(e + " = " + p);
    };
    for (std::size_t i = 0; i < request.sort.size(); ++i) {
        const auto& key = request.sort[i];
        const auto type = key.field == "_score" ? std::nullopt : layout.field_type(request.collections, key.field);
        add_key(exprs[i], after_value(request.search_after[i], type), key.descending, nullable[i]);
    }
    const value& collection = request.search_after[request.sort.size()];
    const value& id = request.search_after[request.sort.size() + 1];
    const CollectionLayout* c = collection.is_string() ? layout.find(collection.get_string()) : nullptr;
    if (c == nullptr || !id.is_string()) {
        return Error(ErrorCode::malformed, "search_after names no searchable collection", {{"pointer", "/search_after"}});
    }
    add_key(collection_expr, std::int64_t(c->index), false, false);
    add_key(id_expr, std::string(id.get_string()), false, false);
    return "(" + join(alternatives, " OR ") + ")";
}

std::string order_by(const SearchRequest& request, const std::vector<std::string>& exprs,
                     const std::vector<bool>& nullable, std::string_view tie) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < request.sort.size(); ++i) {
        std::string k = exprs[i];
        if (request.sort[i].descending) {
            k += " DESC";  // SQLite puts NULLs last in descending order already
        } else if (nullable[i]) {
            k += " NULLS LAST";
        }
        keys.push_back(std::move(k));
    }
    keys.emplace_back(tie);
    return " ORDER BY " + join(keys, ", ");
}

Result<SqlStatement> hits_statement(const Layout& layout, const SearchRequest& request) {
    Built built = build_branches(layout, request, true);
    Statement& st = built.statement;
    if (built.branches.empty()) return SqlStatement{"SELECT 0, '', 0, 0 WHERE 0", {}};
    std::string sql;
    if (built.branches.size() == 1) {
        // One collection: the columns directly, so SQLite can walk an index in sort order.
        const BuiltBranch& b = built.branches.front();
        sql = "SELECT " + std::to_string(b.collection->index) + ", o.id, o.version, " + b.score;
        for (const auto& e : b.sort_exprs) sql += ", " + e;
        sql += " " + b.from_where;
        if (!request.search_after.empty()) {
            auto after = after_predicate(layout, request, b.sort_exprs, b.nullable,
                                         std::to_string(b.collection->index), "o.id", st);
            if (!after) return std::move(after).error();
            sql += " AND " + *after;
        }
        sql += order_by(request, b.sort_exprs, b.nullable, "o.id");
    } else {
        std::vector<std::string> selects, aliases;
        std::vector<bool> nullable(request.sort.size(), false);
        for (std::size_t i = 0; i < request.sort.size(); ++i) aliases.push_back("k" + std::to_string(i));
        for (const auto& b : built.branches) {
            std::string s = "SELECT " + std::to_string(b.collection->index) + " AS c, o.id AS id, o.version AS v, " +
                            b.score + " AS score";
            for (std::size_t i = 0; i < b.sort_exprs.size(); ++i) {
                s += ", " + b.sort_exprs[i] + " AS " + aliases[i];
                nullable[i] = nullable[i] || b.nullable[i];
            }
            selects.push_back(s + " " + b.from_where);
        }
        sql = "SELECT * FROM (" + join(selects, " UNION ALL ") + ")";
        if (!request.search_after.empty()) {
            auto after = after_predicate(layout, request, aliases, nullable, "c", "id", st);
            if (!after) return std::move(after).error();
            sql += " WHERE " + *after;
        }
        sql += order_by(request, aliases, nullable, "c, id");
    }
    sql += " LIMIT " + st.param(static_cast<std::int64_t>(request.size)) + " OFFSET " +
           st.param(static_cast<std::int64_t>(request.from));
    return SqlStatement{with_clause(built.ctes) + sql, std::move(st.params)};
}

SqlStatement count_statement(const Layout& layout, const SearchRequest& request, std::uint64_t limit) {
    Built built = build_branches(layout, request, false);
    Statement& st = built.statement;
    std::vector<std::string> counts;
    const std::int64_t capped = limit >= static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(limit);
    for (const auto& b : built.branches) {
        counts.push_back("SELECT count(*) FROM (SELECT 1 " + b.from_where + " LIMIT " + st.param(capped) + ")");
    }
    if (counts.empty()) counts.emplace_back("SELECT 0");
    return SqlStatement{with_clause(built.ctes) + join(counts, " UNION ALL "), std::move(st.params)};
}

SqlStatement aggregation_statement(const Layout& layout, const SearchRequest& request, const TermsAggregation& agg) {
    Built built = build_branches(layout, request, false);
    Statement& st = built.statement;
    std::vector<std::string> parts;
    for (const auto& b : built.branches) {
        const FieldSlot* slot = b.collection->find(agg.field);
        if (slot == nullptr) continue;
        const std::string k = std::to_string(slot->index);
        if (!slot->field.multi) {
            parts.push_back("SELECT o.f" + k + " AS key, count(*) AS n " + b.from_where + " AND o.f" + k +
                            " IS NOT NULL GROUP BY o.f" + k);
        } else {
            const std::string m = b.collection->multi();
            parts.push_back("SELECT value AS key, count(DISTINCT obj) AS n FROM " + m + " WHERE field = " + k +
                            " AND obj IN (SELECT o.rowid " + b.from_where + ") GROUP BY value");
        }
    }
    if (parts.empty()) return SqlStatement{};
    return SqlStatement{with_clause(built.ctes) + "SELECT key, sum(n) FROM (" + join(parts, " UNION ALL ") +
                            ") GROUP BY key ORDER BY 2 DESC, 1 ASC LIMIT " + st.param(static_cast<std::int64_t>(agg.size)),
                        std::move(st.params)};
}

}  // namespace

Result<SqlSearch> build_search(const Layout& layout, const SearchRequest& request) {
    SqlSearch out;
    auto hits = hits_statement(layout, request);
    if (!hits) return std::move(hits).error();
    out.hits = std::move(*hits);
    if (request.track_total_hits > 0) {
        out.count_limit = request.track_total_hits;
        // One more than tracked tells "at least" from "exactly".
        const std::uint64_t limit = request.track_total_hits == UINT64_MAX ? UINT64_MAX : request.track_total_hits + 1;
        out.count = count_statement(layout, request, limit);
    }
    for (const auto& agg : request.aggregations) out.aggregations.push_back(aggregation_statement(layout, request, agg));
    if (out.hits.params.size() > kMaxParams || (out.count && out.count->params.size() > kMaxParams)) {
        return Error(ErrorCode::malformed, "the query is too large for the embedded index (too many values)", {{"pointer", "/query"}});
    }
    return out;
}

}  // namespace tessera::search::internal
