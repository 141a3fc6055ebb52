#include <tessera/store/store.hpp>

#include "crash_harness.hpp"
#include "support/store_contract.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using tessera::ErrorCode;
using tessera::store::Batch;
using tessera::store::Op;
using tessera::store::Store;

// Each create() gets a new database file in one temporary directory; attach() opens the last
// one again, as a second process would.
class SqliteBackend final : public tessera::test::StoreBackend {
public:
    explicit SqliteBackend(std::string query = "") : query_(std::move(query)) {}
    std::shared_ptr<Store> create(const tessera::store::StoreOptions& options) override {
        url_ = "sqlite:" + (dir_.path() / ("store-" + std::to_string(++count_) + ".db")).string() + query_;
        return tessera::test::open_store(url_, options);
    }
    std::shared_ptr<Store> attach(const tessera::store::StoreOptions& options) override { return tessera::test::open_store(url_, options); }

private:
    tessera::test::TempDir dir_;
    std::string query_;
    std::string url_;
    int count_ = 0;
};

// Crash test body: a writer process is SIGKILLed mid-stream; every commit it acknowledged must
// be in the database when it is opened again.
void check_crash_safety(const std::string& url) {
    const auto acknowledged = tessera::test::run_crash_writer(url, 300);
    auto store = tessera::test::open_store(url);
    tessera::test::check_acknowledged_commits(*store, acknowledged);
}

}  // namespace

TEST_SUITE("store.sqlite") {
    TEST_CASE("SqliteStore: conforms to the Store contract") {
        SqliteBackend backend;
        tessera::test::run_store_contract(backend);
    }

    TEST_CASE("SqliteStore: conforms to the Store contract with synchronous=full") {
        SqliteBackend backend("?synchronous=full");
        tessera::test::run_store_contract(backend);
    }

    TEST_CASE("SqliteStore: documents, sequence and outbox survive closing and reopening") {
        tessera::test::TempDir dir;
        const std::string url = "sqlite:" + (dir.path() / "reopen.db").string();
        std::uint64_t version = 0;
        {
            auto store = tessera::test::open_store(url);
            CHECK(store->backend() == "sqlite");
            tessera::store::Event event;
            event.collection = "plans";
            event.document_id = "1";
            event.action = "created";
            version = store->commit(Batch{{Op::put("plans", "1", R"({"a":1})")}, {event}}).value().version;
        }
        auto store = tessera::test::open_store(url);
        auto document = store->get("plans", "1");
        REQUIRE(document);
        CHECK(document->version == version);
        CHECK(store->outbox_stats().value().pending == 1);
        CHECK(store->commit(Batch{{Op::put("plans", "2", "{}")}, {}}).value().version == version + 1);
    }

    TEST_CASE("SqliteStore: the URL's missing parent directories are created") {
        tessera::test::TempDir dir;
        const auto path = dir.path() / "var" / "deeper" / "tessera.db";
        auto store = tessera::test::open_store("sqlite:" + path.string());
        CHECK(std::filesystem::exists(path));
        CHECK(store->ping());
    }

    TEST_CASE("SqliteStore: a path that cannot be created is unavailable") {
        tessera::test::TempDir dir;
        const auto blocker = dir.path() / "file";
        { std::ofstream(blocker) << "not a directory"; }
        auto store = Store::open("sqlite:" + (blocker / "sub" / "t.db").string());
        REQUIRE_FALSE(store);
        CHECK(store.error().code() == ErrorCode::unavailable);

        auto not_a_database = Store::open("sqlite:" + blocker.string());
        REQUIRE_FALSE(not_a_database);
        CHECK(not_a_database.error().code() == ErrorCode::internal);
        CHECK(not_a_database.error().details().contains("backend"));
    }

    TEST_CASE("SqliteStore: acknowledged commits survive SIGKILL of the writer (synchronous=normal)") {
        tessera::test::TempDir dir;
        check_crash_safety("sqlite:" + (dir.path() / "crash.db").string());
    }

    TEST_CASE("SqliteStore: acknowledged commits survive SIGKILL of the writer (synchronous=full)") {
        tessera::test::TempDir dir;
        check_crash_safety("sqlite:" + (dir.path() / "crash.db").string() + "?synchronous=full");
    }
}
