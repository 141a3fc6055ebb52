#include "search/sqlite/sqlite_index.hpp"

#include "search/sqlite/db.hpp"
#include "search/sqlite/layout.hpp"
#include "search/sqlite/sql_query.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace tessera::search::internal {
namespace {

using boost::json::value;

constexpr std::size_t kMaxIdleReaders = 8;
// The planner picks indexes by the statistics ANALYZE gathers (without them it takes an equality
// index over a range index that walks in sort order): gathered again once the index has changed by a
// quarter of its size, at least this many entries, and at open. analysis_limit keeps each run short.
constexpr std::uint64_t kAnalyzeAfter = 10000;
constexpr std::string_view kAnalyze = "PRAGMA analysis_limit = 1000; ANALYZE;";

std::string params(std::size_t from, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += (i ? ", ?" : "?") + std::to_string(from + i);
    return out;
}

// The write statements of one collection, as SQL text (prepared and cached by the writer's Db).
struct WriteSql {
    std::string select, insert, update, fts_insert, fts_delete, multi_delete, multi_insert, edges_delete, edges_insert;
    std::vector<std::size_t> single_slots;  // field slots with a column in o_i, in column order
};

WriteSql write_sql(const CollectionLayout& c) {
    WriteSql w;
    std::vector<std::string> columns{"id", "version", "deleted", "root", "parent", "body"};
    for (const auto& slot : c.fields) {
        if (slot.field.multi) continue;
        w.single_slots.push_back(slot.index);
        columns.push_back("f" + std::to_string(slot.index));
    }
    const std::string o = c.objects();
    w.select = "SELECT rowid, version, deleted, body FROM " + o + " WHERE id = ?1";
    w.insert = "INSERT INTO " + o + " (" + join(columns, ", ") + ") VALUES (" + params(1, columns.size()) + ")";
    std::vector<std::string> sets;
    for (std::size_t i = 1; i < columns.size(); ++i) sets.push_back(columns[i] + " = ?" + std::to_string(i + 1));
    w.update = "UPDATE " + o + " SET " + join(sets, ", ") + " WHERE rowid = ?" + std::to_string(columns.size() + 1);
    if (!c.fts_fields.empty()) {
        std::vector<std::string> fts_columns;
        for (std::size_t k = 0; k < c.fts_fields.size(); ++k) fts_columns.push_back("c" + std::to_string(k));
        w.fts_insert = "INSERT INTO " + c.fts() + " (rowid, " + join(fts_columns, ", ") + ") VALUES (?1, " +
                       params(2, fts_columns.size()) + ")";
        // A contentless FTS5 table forgets a row given the values it was indexed with.
        w.fts_delete = "INSERT INTO " + c.fts() + " (" + c.fts() + ", rowid, " + join(fts_columns, ", ") +
                       ") VALUES ('delete', ?1, " + params(2, fts_columns.size()) + ")";
    }
    w.multi_delete = "DELETE FROM " + c.multi() + " WHERE obj = ?1";
    w.multi_insert = "INSERT INTO " + c.multi() + " (obj, field, value) VALUES (?1, ?2, ?3)";
    w.edges_delete = "DELETE FROM " + c.edges() + " WHERE parent = ?1";
    w.edges_insert = "INSERT INTO " + c.edges() + " (parent, child_coll, child_id) VALUES (?1, ?2, ?3)";
    return w;
}

value to_json(const SqlValue& v, std::optional<FieldType> type) {
    if (std::holds_alternative<std::monostate>(v)) return nullptr;
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        if (type == FieldType::boolean) return *i != 0;
        if (type == FieldType::number) return static_cast<double>(*i);
        return *i;
    }
    if (const auto* d = std::get_if<double>(&v)) return *d;
    return value(std::get<std::string>(v));
}

class SqliteIndex final : public SearchIndex {
public:
    SqliteIndex(std::string path, const Catalog& catalog, std::chrono::microseconds query_timeout)
        : path_(std::move(path)), layout_(catalog), query_timeout_(query_timeout) {
        for (const auto& c : layout_.collections()) write_sql_.push_back(write_sql(c));
    }

    Result<void> start() {
        const bool memory = path_ == ":memory:";
        if (!memory) {
            std::error_code ec;
            const auto parent = std::filesystem::path(path_).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent, ec);
        }
        auto writer = Db::open(path_, false);
        if (!writer) return std::move(writer).error();
        writer_ = std::move(*writer);
        std::string pragmas = "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;";
        if (!memory) pragmas = "PRAGMA journal_mode = WAL; PRAGMA mmap_size = 268435456;" + pragmas;
        if (auto done = writer_->exec(pragmas); !done) return done;
        shared_ = memory;
        if (auto laid_out = ensure_layout(); !laid_out) return laid_out;
        auto meta = writer_->prepare("SELECT key, value FROM meta WHERE key IN ('entries', 'generation')");
        if (!meta) return std::move(meta).error();
        while (true) {
            auto row = meta->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(0, meta->integer(1)));
            if (meta->text(0) == "entries") live_entries_ = n;
            else generation_.store(n);
        }
        if (live_entries_ > 0) (void)writer_->exec(std::string(kAnalyze));
        return {};
    }

    Result<ApplyResult> apply(std::span<const IndexOp> ops, bool /*refresh: visible on commit*/) override {
        std::lock_guard lock(write_mutex_);
        std::unique_lock shared_lock(shared_mutex_, std::defer_lock);
        if (shared_) shared_lock.lock();
        if (auto begun = writer_->exec("BEGIN IMMEDIATE"); !begun) return std::move(begun).error();
        ApplyResult result;
        std::int64_t entries_delta = 0;
        std::uint64_t max_version = 0;
        for (const auto& op : ops) {
            auto applied = apply_one(op, entries_delta);
            if (!applied) {
                (void)writer_->exec("ROLLBACK");
                return std::move(applied).error();
            }
            if (*applied) {
                ++result.applied;
                max_version = std::max(max_version, op.version);
            } else {
                ++result.stale;
            }
        }
        if (result.applied > 0) {
            auto bumped = writer_->prepare(
                "UPDATE meta SET value = CASE key WHEN 'generation' THEN value + 1 WHEN 'entries' THEN value + ?1"
                " WHEN 'max_version' THEN max(value, ?2) ELSE value END WHERE key IN ('generation', 'entries', 'max_version')");
            if (!bumped) return rollback<ApplyResult>(std::move(bumped).error());
            bumped->bind(1, entries_delta);
            bumped->bind(2, static_cast<std::int64_t>(max_version));
            if (auto done = bumped->step(); !done) return rollback<ApplyResult>(std::move(done).error());
        }
        if (auto committed = writer_->exec("COMMIT"); !committed) return rollback<ApplyResult>(std::move(committed).error());
        if (result.applied > 0) generation_.fetch_add(1, std::memory_order_acq_rel);
        live_entries_ = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(live_entries_) + entries_delta));
        changed_since_analyze_ += result.applied;
        if (changed_since_analyze_ >= kAnalyzeAfter && changed_since_analyze_ * 4 >= live_entries_) {
            changed_since_analyze_ = 0;
            (void)writer_->exec(std::string(kAnalyze));  // statistics only: a failure costs plans, not data
        }
        return result;
    }

    Result<SearchResult> search(const SearchRequest& request) override {
        auto statements = build_search(layout_, request);
        if (!statements) return std::move(statements).error();
        return with_reader([&](Db& db) -> Result<SearchResult> {
            // One snapshot for the page, the count and the aggregations, within the time limit.
            if (auto begun = db.exec("BEGIN"); !begun) return std::move(begun).error();
            db.set_deadline(std::chrono::steady_clock::now() + query_timeout_);
            auto result = run_search(db, request, *statements);
            db.set_deadline(std::nullopt);
            (void)db.exec(result ? "COMMIT" : "ROLLBACK");
            return result;
        });
    }

    Result<std::optional<std::uint64_t>> version_of(std::string_view collection, std::string_view id) override {
        const CollectionLayout* c = layout_.find(collection);
        if (c == nullptr) return Error(ErrorCode::invalid, "collection " + std::string(collection) + " is not in the search index");
        return with_reader([&](Db& db) -> Result<std::optional<std::uint64_t>> {
            auto s = db.prepare("SELECT version FROM " + c->objects() + " WHERE id = ?1");
            if (!s) return std::move(s).error();
            const std::string key(id);
            s->bind(1, key);
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) return std::optional<std::uint64_t>{};
            return std::optional<std::uint64_t>{static_cast<std::uint64_t>(s->integer(0))};
        });
    }

    Result<void> clear(std::string_view collection) override {
        std::lock_guard lock(write_mutex_);
        std::unique_lock shared_lock(shared_mutex_, std::defer_lock);
        if (shared_) shared_lock.lock();
        std::string sql = "BEGIN IMMEDIATE;";
        for (const auto& c : layout_.collections()) {
            if (!collection.empty() && c.name != collection) continue;
            sql += "DELETE FROM " + c.objects() + "; DELETE FROM " + c.multi() + "; DELETE FROM " + c.edges() + ";";
            if (!c.fts_fields.empty()) sql += "INSERT INTO " + c.fts() + " (" + c.fts() + ") VALUES ('delete-all');";
        }
        std::vector<std::string> live, versions;
        for (const auto& c : layout_.collections()) {
            live.push_back("(SELECT count(*) FROM " + c.objects() + " WHERE deleted = 0)");
            versions.push_back("(SELECT coalesce(max(version), 0) FROM " + c.objects() + ")");
        }
        sql += "UPDATE meta SET value = value + 1 WHERE key = 'generation';";
        sql += "UPDATE meta SET value = " + (live.empty() ? "0" : join(live, " + ")) + " WHERE key = 'entries';";
        sql += "UPDATE meta SET value = max(" + (versions.empty() ? "0, 0" : join(versions, ", ") + ", 0") +
               ") WHERE key = 'max_version';";
        sql += "COMMIT;";
        if (auto done = writer_->exec(sql); !done) {
            (void)writer_->exec("ROLLBACK");
            return done;
        }
        generation_.fetch_add(1, std::memory_order_acq_rel);
        return {};
    }

    Result<IndexState> state() override {
        return with_reader([&](Db& db) -> Result<IndexState> {
            auto s = db.prepare("SELECT key, value FROM meta WHERE key IN ('entries', 'max_version', 'generation')");
            if (!s) return std::move(s).error();
            IndexState state;
            while (true) {
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) break;
                const std::string key = s->text(0);
                const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(0, s->integer(1)));
                if (key == "entries") state.entries = n;
                if (key == "max_version") state.max_version = n;
                if (key == "generation") state.generation = n;
            }
            return state;
        });
    }

    // This process applies every change to its index file (the server's indexer, a refresh): the count
    // it keeps is the file's, read at open and advanced with each commit, without a read per search.
    Result<std::uint64_t> generation() override { return generation_.load(std::memory_order_acquire); }

    Result<void> ping() override {
        return with_reader([&](Db& db) -> Result<void> { return db.exec("SELECT 1"); });
    }

    std::string_view backend() const noexcept override { return "sqlite"; }

private:
    // A layout other than ours (or none) is dropped: the caller sees max_version 0 and rebuilds.
    Result<void> ensure_layout() {
        auto found = writer_->prepare("SELECT count(*) FROM sqlite_master WHERE name = 'meta'");
        if (!found) return std::move(found).error();
        auto row = found->step();
        if (!row) return std::move(row).error();
        const bool has_meta = found->integer(0) > 0;
        std::string digest;
        if (has_meta) {
            auto s = writer_->prepare("SELECT value FROM meta WHERE key = 'layout'");
            if (!s) return std::move(s).error();
            auto r = s->step();
            if (!r) return std::move(r).error();
            if (*r) digest = s->text(0);
        }
        if (has_meta && digest == layout_.digest()) return {};
        std::vector<std::string> drops;
        {
            auto tables = writer_->prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND (name = 'meta' OR name GLOB 'o_[0-9]*' OR"
                " name GLOB 'm_[0-9]*' OR name GLOB 'e_[0-9]*' OR (name GLOB 't_[0-9]*' AND sql LIKE 'CREATE VIRTUAL%'))");
            if (!tables) return std::move(tables).error();
            while (true) {
                auto r = tables->step();
                if (!r) return std::move(r).error();
                if (!*r) break;
                drops.push_back("DROP TABLE IF EXISTS \"" + tables->text(0) + "\";");
            }
        }
        std::string sql = "BEGIN IMMEDIATE;";
        for (const auto& d : drops) sql += d;
        sql += layout_.create_sql();
        sql += "INSERT INTO meta (key, value) VALUES ('layout', '" + layout_.digest() +
               "'), ('generation', 1), ('entries', 0), ('max_version', 0);";
        sql += "COMMIT;";
        if (auto done = writer_->exec(sql); !done) {
            (void)writer_->exec("ROLLBACK");
            return done;
        }
        return {};
    }

    template <class F>
    auto with_reader(F&& f) -> decltype(f(std::declval<Db&>())) {
        if (shared_) {
            std::lock_guard lock(shared_mutex_);
            return f(*writer_);
        }
        std::unique_ptr<Db> db;
        {
            std::lock_guard lock(readers_mutex_);
            if (!idle_readers_.empty()) {
                db = std::move(idle_readers_.back());
                idle_readers_.pop_back();
            }
        }
        if (!db) {
            auto opened = Db::open(path_, true);
            if (!opened) return std::move(opened).error();
            db = std::move(*opened);
            (void)db->exec("PRAGMA mmap_size = 268435456; PRAGMA cache_size = -16384;");
        }
        auto result = f(*db);
        std::lock_guard lock(readers_mutex_);
        if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(db));
        return result;
    }

    template <class T>
    Result<T> rollback(Error error) {
        (void)writer_->exec("ROLLBACK");
        return error;
    }

    // Applies one op inside the open transaction: true if it changed the entry.
    Result<bool> apply_one(const IndexOp& op, std::int64_t& entries_delta) {
        const CollectionLayout* c = layout_.find(op.collection);
        if (c == nullptr) return Error(ErrorCode::invalid, "collection " + op.collection + " is not in the search index");
        const WriteSql& sql = write_sql_[c->index];
        value body;
        if (op.kind == IndexOp::Kind::upsert) {
            boost::system::error_code ec;
            body = boost::json::parse(op.body, ec);
            if (ec || !body.is_object()) {
                return Error(ErrorCode::invalid, "indexed body of " + op.collection + "/" + op.id + " is not a JSON object");
            }
        }
        std::optional<std::int64_t> rowid;
        bool was_live = false;
        std::string old_body;
        {
            auto s = writer_->prepare(sql.select);
            if (!s) return std::move(s).error();
            s->bind(1, op.id);
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (*row) {
                if (static_cast<std::uint64_t>(s->integer(1)) >= op.version) return false;  // stale or duplicate
                rowid = s->integer(0);
                was_live = s->integer(2) == 0;
                old_body = s->text(3);
            }
        }
        if (rowid && was_live) {
            if (auto forgotten = forget(*c, sql, *rowid, old_body); !forgotten) return std::move(forgotten).error();
            --entries_delta;
        }
        const bool live = op.kind == IndexOp::Kind::upsert;
        Extracted extracted;
        if (live) extracted = layout_.extract(*c, body);
        {
            auto s = writer_->prepare(rowid ? sql.update : sql.insert);
            if (!s) return std::move(s).error();
            std::vector<SqlValue> values{op.id, static_cast<std::int64_t>(op.version), std::int64_t{live ? 0 : 1},
                                         op.root, op.parent, live ? SqlValue(op.body) : SqlValue{}};
            for (std::size_t slot : sql.single_slots) values.push_back(live ? extracted.single[slot] : SqlValue{});
            if (rowid) {
                // UPDATE binds everything but the id, then the rowid.
                for (std::size_t i = 1; i < values.size(); ++i) s->bind(static_cast<int>(i + 1), values[i]);
                s->bind(static_cast<int>(values.size() + 1), *rowid);
            } else {
                s->bind_all(values);
            }
            if (auto done = s->step(); !done) return std::move(done).error();
        }
        if (!rowid) rowid = writer_->last_rowid();
        if (live) {
            if (auto indexed = remember(*c, sql, *rowid, extracted); !indexed) return std::move(indexed).error();
            ++entries_delta;
        }
        return true;
    }

    // Removes a live row's text, multi values and links (its old body says what the text was).
    Result<void> forget(const CollectionLayout& c, const WriteSql& sql, std::int64_t rowid, const std::string& old_body) {
        if (!c.fts_fields.empty()) {
            boost::system::error_code ec;
            const value old = boost::json::parse(old_body, ec);
            const Extracted before = layout_.extract(c, ec ? value(boost::json::object{}) : old);
            auto s = writer_->prepare(sql.fts_delete);
            if (!s) return std::move(s).error();
            s->bind(1, rowid);
            for (std::size_t k = 0; k < before.text.size(); ++k) s->bind(static_cast<int>(k + 2), before.text[k]);
            if (auto done = s->step(); !done) return std::move(done).error();
        }
        for (const std::string* statement : {&sql.multi_delete, &sql.edges_delete}) {
            auto s = writer_->prepare(*statement);
            if (!s) return std::move(s).error();
            s->bind(1, rowid);
            if (auto done = s->step(); !done) return std::move(done).error();
        }
        return {};
    }

    Result<void> remember(const CollectionLayout& c, const WriteSql& sql, std::int64_t rowid, const Extracted& x) {
        if (!c.fts_fields.empty()) {
            auto s = writer_->prepare(sql.fts_insert);
            if (!s) return std::move(s).error();
            s->bind(1, rowid);
            for (std::size_t k = 0; k < x.text.size(); ++k) s->bind(static_cast<int>(k + 2), x.text[k]);
            if (auto done = s->step(); !done) return std::move(done).error();
        }
        for (const auto& [slot, v] : x.multi) {
            auto s = writer_->prepare(sql.multi_insert);
            if (!s) return std::move(s).error();
            s->bind(1, rowid);
            s->bind(2, static_cast<std::int64_t>(slot));
            s->bind(3, v);
            if (auto done = s->step(); !done) return std::move(done).error();
        }
        for (const auto& [child, id] : x.children) {
            auto s = writer_->prepare(sql.edges_insert);
            if (!s) return std::move(s).error();
            s->bind(1, rowid);
            s->bind(2, static_cast<std::int64_t>(child));
            s->bind(3, id);
            if (auto done = s->step(); !done) return std::move(done).error();
        }
        return {};
    }

    Result<SearchResult> run_search(Db& db, const SearchRequest& request, const SqlSearch& statements) {
        SearchResult result;
        {
            auto s = db.prepare(statements.hits.sql);
            if (!s) return std::move(s).error();
            s->bind_all(statements.hits.params);
            std::vector<std::optional<FieldType>> types;
            for (const auto& key : request.sort) {
                types.push_back(key.field == "_score" ? std::nullopt : layout_.field_type(request.collections, key.field));
            }
            while (true) {
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) break;
                Hit hit;
                const auto index = static_cast<std::size_t>(s->integer(0));
                if (index >= layout_.collections().size()) continue;
                hit.collection = layout_.collections()[index].name;
                hit.id = s->text(1);
                hit.version = static_cast<std::uint64_t>(s->integer(2));
                hit.score = s->real(3);
                for (std::size_t k = 0; k < request.sort.size(); ++k) {
                    const int column = static_cast<int>(k + 4);
                    hit.sort_values.push_back(request.sort[k].field == "_score" ? value(s->real(column))
                                                                                : to_json(s->value(column), types[k]));
                }
                hit.sort_values.emplace_back(hit.collection);
                hit.sort_values.emplace_back(hit.id);
                result.hits.push_back(std::move(hit));
            }
        }
        if (statements.count) {
            auto s = db.prepare(statements.count->sql);
            if (!s) return std::move(s).error();
            s->bind_all(statements.count->params);
            std::uint64_t total = 0;
            while (true) {
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) break;
                total += static_cast<std::uint64_t>(s->integer(0));
            }
            result.total = std::min(total, statements.count_limit);
            result.total_exact = total <= statements.count_limit;
        } else {
            result.total = 0;
            result.total_exact = false;
        }
        for (std::size_t a = 0; a < request.aggregations.size(); ++a) {
            std::vector<Bucket> buckets;
            const SqlStatement& statement = statements.aggregations[a];
            if (!statement.sql.empty()) {
                auto s = db.prepare(statement.sql);
                if (!s) return std::move(s).error();
                s->bind_all(statement.params);
                const auto type = layout_.field_type(request.collections, request.aggregations[a].field);
                while (true) {
                    auto row = s->step();
                    if (!row) return std::move(row).error();
                    if (!*row) break;
                    buckets.push_back(Bucket{to_json(s->value(0), type), static_cast<std::uint64_t>(s->integer(1))});
                }
            }
            result.aggregations.emplace_back(request.aggregations[a].name, std::move(buckets));
        }
        return result;
    }

    const std::string path_;
    const Layout layout_;
    const std::chrono::microseconds query_timeout_;
    std::vector<WriteSql> write_sql_;
    bool shared_ = false;  // one connection for everything (":memory:")
    std::atomic<std::uint64_t> generation_{0};
    std::uint64_t live_entries_ = 0;           // under write_mutex_
    std::uint64_t changed_since_analyze_ = 0;  // under write_mutex_
    std::unique_ptr<Db> writer_;
    std::mutex write_mutex_;
    std::mutex shared_mutex_;
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<Db>> idle_readers_;
};

}  // namespace

Result<std::unique_ptr<SearchIndex>> open_sqlite_index(const std::string& path, const Catalog& catalog,
                                                       const IndexOptions& options) {
    auto index = std::make_unique<SqliteIndex>(path, catalog, options.query_timeout);
    if (auto started = index->start(); !started) return std::move(started).error();
    return std::unique_ptr<SearchIndex>(std::move(index));
}

}  // namespace tessera::search::internal
