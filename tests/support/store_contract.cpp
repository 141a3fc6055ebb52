#include "support/store_contract.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tessera::test {
namespace {

using namespace std::chrono_literals;
using store::Batch;
using store::Document;
using store::Event;
using store::Op;
using store::Precondition;
using store::Store;
using store::TimePoint;

constexpr auto kLongLease = std::chrono::milliseconds(60'000);

Event make_event(std::string collection, std::string document_id, std::string action, std::string data) {
    Event event;
    event.collection = std::move(collection);
    event.document_id = std::move(document_id);
    event.action = std::move(action);
    event.data = std::move(data);
    return event;
}

Batch batch(std::vector<Op> ops, std::vector<Event> events = {}) { return Batch{std::move(ops), std::move(events)}; }

std::uint64_t commit_ok(Store& store, const Batch& b) {
    auto result = store.commit(b);
    REQUIRE_MESSAGE(result, (result ? "" : result.error().to_string()));
    return result->version;
}

std::uint64_t put_ok(Store& store, const std::string& collection, const std::string& id, const std::string& body) {
    return commit_ok(store, batch({Op::put(collection, id, body)}));
}

std::size_t pending(Store& store) {
    auto stats = store.outbox_stats();
    REQUIRE(stats);
    return stats->pending;
}

// Claims everything claimable (with a long lease) to look at the outbox's content.
std::vector<Event> claim_all(Store& store) {
    auto claimed = store.claim(100'000, kLongLease);
    REQUIRE_MESSAGE(claimed, (claimed ? "" : claimed.error().to_string()));
    return std::move(*claimed);
}

std::int64_t to_int(const std::string& text) {
    std::int64_t value = -1;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

void check_precondition_error(const Result<store::CommitResult>& result,
                              std::size_t op,
                              const std::string& collection,
                              const std::string& id,
                              const std::string& expected,
                              std::uint64_t actual_version) {
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == ErrorCode::precondition_failed);
    const auto& details = result.error().details();
    CHECK(result.error().failed_op() == op);
    CHECK(details.at("op").to_number<std::size_t>() == op);
    CHECK(details.at("collection").as_string() == collection);
    CHECK(details.at("id").as_string() == id);
    CHECK(details.at("expected").as_string() == expected);
    CHECK(details.at("actual_version").to_number<std::uint64_t>() == actual_version);
}

void documents(StoreBackend& backend, ManualClock& clock, const store::StoreOptions& options) {
    auto store = backend.create(options);
    CHECK_FALSE(store->backend().empty());
    CHECK(store->ping());

    const std::string body = R"({"name":"caf\u00e9 \"quoted\"","n":[1,2,3]})";
    const auto expires = clock.now() + 1h + 1500ns;
    const auto v1 = commit_ok(*store, batch({Op::put("plans", "p1", body, {}, expires)}));
    CHECK(v1 > 0);

    auto got = store->get("plans", "p1");
    REQUIRE(got);
    CHECK(got->collection == "plans");
    CHECK(got->id == "p1");
    CHECK(got->body == body);
    CHECK(got->version == v1);
    CHECK(got->created_at == clock.now());
    CHECK(got->updated_at == clock.now());
    REQUIRE(got->expires_at);
    // Times are kept to the microsecond, truncated toward the past.
    CHECK(*got->expires_at == clock.now() + 1h + 1us);

    auto missing = store->get("plans", "nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == ErrorCode::not_found);
    CHECK(store->get("services", "p1").error().code() == ErrorCode::not_found);

    const std::vector<std::string> ids{"nope", "p1", "p1"};
    auto many = store->get_many("plans", ids);
    REQUIRE(many);
    REQUIRE(many->size() == 3);
    CHECK_FALSE((*many)[0]);
    REQUIRE((*many)[1]);
    CHECK(*(*many)[1] == *got);
    CHECK((*many)[2] == (*many)[1]);
    auto none = store->get_many("plans", std::span<const std::string>());
    REQUIRE(none);
    CHECK(none->empty());

    // Bad input and empty batches write nothing and consume no version.
    auto empty_id = store->commit(batch({Op::put("plans", "", "{}")}));
    REQUIRE_FALSE(empty_id);
    CHECK(empty_id.error().code() == ErrorCode::invalid);
    auto empty_collection = store->commit(batch({Op::put("ok", "x", "{}"), Op::remove("", "x")}));
    REQUIRE_FALSE(empty_collection);
    CHECK(empty_collection.error().code() == ErrorCode::invalid);
    CHECK(store->get("ok", "x").error().code() == ErrorCode::not_found);
    auto nothing = store->commit(Batch{});
    REQUIRE(nothing);
    CHECK(nothing->version == 0);
    CHECK(put_ok(*store, "plans", "p2", "{}") == v1 + 1);
    CHECK(pending(*store) == 0);

    // A second handle sees the same data.
    auto other = backend.attach(options);
    auto seen = other->get("plans", "p1");
    REQUIRE(seen);
    CHECK(*seen == *got);

    // get_refs: any mix of collections, in order, repeats and misses included.
    put_ok(*store, "services", "s1", R"({"s":1})");
    const std::vector<store::DocumentRef> refs{
        {"plans", "p1"}, {"services", "s1"}, {"services", "p1"}, {"nowhere", "x"}, {"plans", "p1"}};
    auto each = store->get_refs(refs);
    REQUIRE(each);
    REQUIRE(each->size() == 5);
    REQUIRE((*each)[0]);
    CHECK(*(*each)[0] == *got);
    REQUIRE((*each)[1]);
    CHECK((*each)[1]->collection == "services");
    CHECK((*each)[1]->id == "s1");
    CHECK((*each)[1]->body == R"({"s":1})");
    CHECK_FALSE((*each)[2]);
    CHECK_FALSE((*each)[3]);
    CHECK((*each)[4] == (*each)[0]);
    auto no_refs = store->get_refs({});
    REQUIRE(no_refs);
    CHECK(no_refs->empty());
}

void versions(StoreBackend& backend, ManualClock& clock, const store::StoreOptions& options) {
    auto store = backend.create(options);
    const auto created = clock.now();
    const auto a1 = put_ok(*store, "a", "1", R"({"v":1})");
    const auto b1 = put_ok(*store, "b", "1", R"({"v":1})");
    CHECK(b1 > a1);

    clock.advance(5s);
    const auto a2 = put_ok(*store, "a", "1", R"({"v":2})");
    CHECK(a2 > b1);
    auto a = store->get("a", "1");
    REQUIRE(a);
    CHECK(a->version == a2);
    CHECK(a->body == R"({"v":2})");
    CHECK(a->created_at == created);
    CHECK(a->updated_at == clock.now());

    // Every op and event of one commit shares its version.
    const auto both = commit_ok(*store, batch({Op::put("a", "1", "{}"), Op::put("c", "9", "{}")},
                                              {make_event("a", "1", "updated", "{}"),
                                               make_event("c", "9", "created", "{}")}));
    CHECK(both > a2);
    CHECK(store->get("a", "1")->version == both);
    CHECK(store->get("c", "9")->version == both);
    const auto events = claim_all(*store);
    REQUIRE(events.size() == 2);
    CHECK(events[0].version == both);
    CHECK(events[1].version == both);

    // Versions keep growing across a delete and a re-create; created_at starts again.
    const auto removed = commit_ok(*store, batch({Op::remove("a", "1", Precondition::exists())}));
    CHECK(removed > both);
    CHECK(store->get("a", "1").error().code() == ErrorCode::not_found);
    clock.advance(1s);
    const auto again = commit_ok(*store, batch({Op::put("a", "1", "{}", Precondition::absent())}));
    CHECK(again > removed);
    a = store->get("a", "1");
    REQUIRE(a);
    CHECK(a->version == again);
    CHECK(a->created_at == clock.now());
}

void preconditions(StoreBackend& backend, ManualClock&, const store::StoreOptions& options) {
    auto store = backend.create(options);
    const auto v = put_ok(*store, "p", "1", "{}");

    check_precondition_error(store->commit(batch({Op::put("p", "1", "{}", Precondition::absent())})), 0, "p", "1",
                             "absent", v);
    check_precondition_error(store->commit(batch({Op::put("p", "2", "{}", Precondition::exists())})), 0, "p", "2",
                             "exists", 0);
    check_precondition_error(store->commit(batch({Op::remove("p", "2", Precondition::exists())})), 0, "p", "2",
                             "exists", 0);
    const auto stale = store->commit(batch({Op::put("p", "1", "{}", Precondition::at_version(v + 100))}));
    check_precondition_error(stale, 0, "p", "1", "version", v);
    CHECK(stale.error().details().at("expected_version").to_number<std::uint64_t>() == v + 100);
    check_precondition_error(store->commit(batch({Op::put("p", "2", "{}", Precondition::at_version(v))})), 0, "p",
                             "2", "version", 0);
    CHECK(store->get("p", "2").error().code() == ErrorCode::not_found);
    CHECK(store->get("p", "1")->version == v);

    const auto v2 = commit_ok(*store, batch({Op::put("p", "1", R"({"x":1})", Precondition::at_version(v))}));
    CHECK(store->get("p", "1")->body == R"({"x":1})");
    commit_ok(*store, batch({Op::put("p", "1", "{}", Precondition::exists())}));
    commit_ok(*store, batch({Op::put("p", "3", "{}", Precondition::absent())}));
    commit_ok(*store, batch({Op::remove("p", "nope")}));  // `any` on a missing document: nothing to do
    check_precondition_error(store->commit(batch({Op::remove("p", "1", Precondition::at_version(v2))})), 0, "p", "1",
                             "version", v2 + 1);
    commit_ok(*store, batch({Op::remove("p", "1", Precondition::at_version(v2 + 1))}));
    CHECK(store->get("p", "1").error().code() == ErrorCode::not_found);
}

void checks(StoreBackend& backend, ManualClock&, const store::StoreOptions& options) {
    auto store = backend.create(options);
    const auto v = put_ok(*store, "c", "1", R"({"a":1})");

    // A check writes nothing: the document keeps its body and version, the batch's other ops apply.
    const auto w = commit_ok(*store, batch({Op::check("c", "1", Precondition::at_version(v)), Op::put("c", "2", "{}"),
                                            Op::check("c", "absent-one", Precondition::absent())}));
    auto kept = store->get("c", "1");
    REQUIRE(kept);
    CHECK(kept->version == v);
    CHECK(kept->body == R"({"a":1})");
    CHECK(store->get("c", "2")->version == w);
    CHECK(store->get("c", "absent-one").error().code() == ErrorCode::not_found);

    // A failing check fails the whole batch and is named like any op.
    check_precondition_error(store->commit(batch({Op::put("c", "3", "{}"), Op::check("c", "1", Precondition::at_version(v + 1))})),
                             1, "c", "1", "version", v);
    CHECK(store->get("c", "3").error().code() == ErrorCode::not_found);
    check_precondition_error(store->commit(batch({Op::check("c", "1", Precondition::absent())})), 0, "c", "1", "absent", v);
    // A check sees the batch's earlier writes.
    commit_ok(*store, batch({Op::remove("c", "2"), Op::check("c", "2", Precondition::absent())}));
}

void atomicity(StoreBackend& backend, ManualClock&, const store::StoreOptions& options) {
    auto store = backend.create(options);
    const auto v = put_ok(*store, "x", "1", R"({"keep":true})");

    // The last op fails: nothing of the batch is written, no event is appended, and the error
    // names the op.
    auto failed = store->commit(batch({Op::put("y", "1", "{}", Precondition::absent()), Op::remove("x", "1"),
                                       Op::put("z", "1", "{}"), Op::put("x", "2", "{}", Precondition::at_version(v))},
                                      {make_event("y", "1", "created", "{}")}));
    check_precondition_error(failed, 3, "x", "2", "version", 0);
    CHECK(store->get("y", "1").error().code() == ErrorCode::not_found);
    CHECK(store->get("z", "1").error().code() == ErrorCode::not_found);
    REQUIRE(store->get("x", "1"));
    CHECK(store->get("x", "1")->body == R"({"keep":true})");
    CHECK(pending(*store) == 0);
    CHECK(*store->count("y") == 0);

    // The first op fails: same.
    auto first = store->commit(batch({Op::put("x", "1", "{}", Precondition::absent()), Op::put("y", "1", "{}")}));
    check_precondition_error(first, 0, "x", "1", "absent", v);
    CHECK(store->get("y", "1").error().code() == ErrorCode::not_found);

    // A later op on the same key sees the earlier one.
    const auto chained = commit_ok(
        *store, batch({Op::put("k", "1", "1", Precondition::absent()), Op::put("k", "1", "2", Precondition::exists()),
                       Op::remove("k", "1", Precondition::exists()), Op::put("k", "1", "3", Precondition::absent()),
                       Op::put("m", "1", "{}")},
                      {make_event("k", "1", "created", "3"), make_event("m", "1", "created", "{}")}));
    auto k = store->get("k", "1");
    REQUIRE(k);
    CHECK(k->body == "3");
    CHECK(k->version == chained);
    CHECK(store->get("m", "1")->version == chained);
    CHECK(pending(*store) == 2);

    // Preconditions see the batch's own writes when they fail, too.
    auto self = store->commit(batch({Op::remove("m", "1"), Op::put("m", "1", "{}", Precondition::exists())}));
    check_precondition_error(self, 1, "m", "1", "exists", 0);
    CHECK(store->get("m", "1"));
}

void ttl(StoreBackend& backend, ManualClock& clock, const store::StoreOptions& options) {
    auto store = backend.create(options);
    const auto t0 = clock.now();
    const auto v = commit_ok(*store, batch({Op::put("t", "1", R"({"last":"body"})", {}, t0 + 10s), Op::put("t", "2", "{}"),
                                            Op::put("t", "3", "{}", {}, t0 + 20s), Op::put("t", "4", "{}", {}, t0 + 10s)}));
    CHECK(*store->count("t") == 4);
    REQUIRE(store->get("t", "1"));

    // At its expiry instant the document is gone from every read at once.
    clock.advance(10s);
    CHECK(store->get("t", "1").error().code() == ErrorCode::not_found);
    const std::vector<std::string> ids{"1", "2", "3"};
    auto many = store->get_many("t", ids);
    REQUIRE(many);
    CHECK_FALSE((*many)[0]);
    CHECK((*many)[1]);
    CHECK((*many)[2]);
    const std::vector<store::DocumentRef> refs{{"t", "1"}, {"t", "2"}};
    auto each = store->get_refs(refs);
    REQUIRE(each);
    CHECK_FALSE((*each)[0]);
    CHECK((*each)[1]);
    auto page = store->scan("t", "", 10);
    REQUIRE(page);
    REQUIRE(page->documents.size() == 2);
    CHECK(page->documents[0].id == "2");
    CHECK(page->documents[1].id == "3");
    CHECK(*store->count("t") == 2);

    // Preconditions treat it as absent; a put re-creates it from scratch.
    check_precondition_error(store->commit(batch({Op::put("t", "4", "{}", Precondition::exists())})), 0, "t", "4",
                             "exists", 0);
    check_precondition_error(store->commit(batch({Op::remove("t", "4", Precondition::at_version(v))})), 0, "t", "4",
                             "version", 0);
    const auto recreated = commit_ok(*store, batch({Op::put("t", "4", R"({"new":1})", Precondition::absent())}));
    auto t4 = store->get("t", "4");
    REQUIRE(t4);
    CHECK(t4->created_at == clock.now());
    CHECK_FALSE(t4->expires_at);
    CHECK(*store->count("t") == 3);

    // The sweeper removes what expired and says so in the outbox.
    auto swept = store->sweep_expired(clock.now(), 100);
    REQUIRE(swept);
    CHECK(*swept == 1);
    auto events = claim_all(*store);
    REQUIRE(events.size() == 1);
    CHECK(events[0].action == "expired");
    CHECK(events[0].collection == "t");
    CHECK(events[0].document_id == "1");
    CHECK(events[0].data == R"({"last":"body"})");
    CHECK(events[0].version > recreated);
    CHECK(events[0].time == clock.now());
    CHECK(*store->sweep_expired(clock.now(), 100) == 0);
    CHECK(*store->count("t") == 3);

    // Sweeping in the future removes t/3 although reads at the current clock still see it: the
    // caller chooses `now`. The limit is respected.
    commit_ok(*store, batch({Op::put("u", "1", "{}", {}, clock.now() + 1s), Op::put("u", "2", "{}", {}, clock.now() + 2s),
                             Op::put("u", "3", "{}", {}, clock.now() + 3s)}));
    CHECK(*store->sweep_expired(clock.now() + 1h, 2) == 2);
    CHECK(*store->sweep_expired(clock.now() + 1h, 100) == 2);
    CHECK(*store->count("u") == 0);
    CHECK(*store->count("t") == 2);
}

void concurrent_sweep(StoreBackend& backend, ManualClock& clock, const store::StoreOptions& options) {
    auto store = backend.create(options);
    auto other = backend.attach(options);
    constexpr int kDocuments = 60;
    Batch b;
    for (int i = 0; i < kDocuments; ++i) b.ops.push_back(Op::put("s", std::to_string(i), "{}", {}, clock.now() + 1s));
    commit_ok(*store, b);
    clock.advance(1s);

    // Two sweepers (as two processes would) race: every document is swept, and announced, once.
    std::atomic<std::size_t> removed{0};
    std::atomic<int> failures{0};
    auto sweeper = [&](Store& s) {
        for (int round = 0; round < kDocuments; ++round) {
            auto n = s.sweep_expired(clock.now(), 7);
            if (!n) {
                ++failures;
                return;
            }
            if (*n == 0) return;
            removed += *n;
        }
    };
    std::thread first(sweeper, std::ref(*store));
    std::thread second(sweeper, std::ref(*other));
    first.join();
    second.join();
    CHECK(failures == 0);
    CHECK(removed == kDocuments);
    const auto events = claim_all(*store);
    CHECK(events.size() == static_cast<std::size_t>(kDocuments));
    std::set<std::string> ids;
    for (const auto& event : events) ids.insert(event.document_id);
    CHECK(ids.size() == static_cast<std::size_t>(kDocuments));
}

void pagination(StoreBackend& backend, ManualClock&, const store::StoreOptions& options) {
    auto store = backend.create(options);
    auto empty = store->scan("none", "", 5);
    REQUIRE(empty);
    CHECK(empty->documents.empty());
    CHECK(empty->next_cursor.empty());

    // Byte-wise id order: upper case before lower case, "a" before "a0", 0xFF last.
    const std::vector<std::string> ids{"a", "B", "a0", "\xff", "b", "A", "0", "zz", "z"};
    Batch b;
    for (const auto& id : ids) b.ops.push_back(Op::put("c", id, "\"" + std::to_string(id.size()) + "\""));
    commit_ok(*store, b);
    std::vector<std::string> expected = ids;
    std::sort(expected.begin(), expected.end());

    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto page = store->scan("c", cursor, 4);
        REQUIRE(page);
        CHECK(page->documents.size() <= 4);
        for (const auto& d : page->documents) {
            CHECK(d.collection == "c");
            seen.push_back(d.id);
        }
        cursor = page->next_cursor;
        ++pages;
    } while (!cursor.empty() && pages < 100);
    CHECK(pages == 3);
    CHECK(seen == expected);

    // Exactly `limit` left: one full page and no cursor (no empty last page).
    auto all = store->scan("c", "", ids.size());
    REQUIRE(all);
    CHECK(all->documents.size() == ids.size());
    CHECK(all->next_cursor.empty());

    auto first = store->scan("c", "", 2);
    REQUIRE(first);
    REQUIRE_FALSE(first->next_cursor.empty());
    CHECK(store->scan("c", "garbage", 2).error().code() == ErrorCode::malformed);
    CHECK(store->scan("other", first->next_cursor, 2).error().code() == ErrorCode::malformed);
    std::string tampered = first->next_cursor;
    tampered[2] = tampered[2] == '6' ? '7' : '6';
    CHECK(store->scan("c", tampered, 2).error().code() == ErrorCode::malformed);

    // A cursor stays valid when the document it points at is deleted.
    commit_ok(*store, batch({Op::remove("c", first->documents.back().id)}));
    auto rest = store->scan("c", first->next_cursor, 100);
    REQUIRE(rest);
    CHECK(rest->documents.size() == ids.size() - 2);
}

void pagination_under_writes(StoreBackend& backend, ManualClock&, const store::StoreOptions& options) {
    auto store = backend.create(options);
    constexpr int kStable = 150;
    Batch b;
    auto stable_id = [](int i) {
        char id[16];
        std::snprintf(id, sizeof id, "s%04d", i);
        return std::string(id);
    };
    for (int i = 0; i < kStable; ++i) b.ops.push_back(Op::put("w", stable_id(i), "0"));
    commit_ok(*store, b);

    // A writer inserts and deletes other documents among the stable ones and rewrites stable ones
    // while the reader pages through.
    std::atomic<bool> stop{false};
    std::atomic<bool> writer_done{false};
    std::atomic<int> writer_errors{0};
    std::atomic<int> writes{0};
    std::thread writer([&] {
        for (int i = 0; !stop && i < 200'000; ++i) {
            Batch w;
            const std::string id = stable_id(i % kStable);
            w.ops.push_back(Op::put("w", id + "-new" + std::to_string(i), "1"));
            w.ops.push_back(Op::put("w", id, std::to_string(i)));
            if (i >= 3) w.ops.push_back(Op::remove("w", stable_id((i - 3) % kStable) + "-new" + std::to_string(i - 3)));
            if (!store->commit(w)) ++writer_errors;
            ++writes;
        }
        writer_done = true;
    });
    std::map<std::string, int> seen;
    std::string previous;
    bool ordered = true;
    std::string cursor;
    int pages = 0;
    do {
        auto page = store->scan("w", cursor, 7);
        REQUIRE(page);
        for (const auto& d : page->documents) {
            ordered = ordered && d.id > previous;
            previous = d.id;
            ++seen[d.id];
        }
        cursor = page->next_cursor;
        // Let the writer get some commits in between pages on every backend.
        if (++pages % 4 == 0) {
            const int target = writes + 1;
            eventually([&] { return writes >= target || writer_done; }, 1000ms);
        }
    } while (!cursor.empty() && pages < 10'000);
    stop = true;
    writer.join();

    CHECK(writer_errors == 0);
    CHECK(writes > 0);
    CHECK(ordered);
    for (int i = 0; i < kStable; ++i) CHECK_MESSAGE(seen[stable_id(i)] == 1, stable_id(i));
    for (const auto& [id, times] : seen) CHECK_MESSAGE(times == 1, id);
}

void outbox(StoreBackend& backend, ManualClock& clock, const store::StoreOptions& options) {
    auto store = backend.create(options);
    CHECK(pending(*store) == 0);
    CHECK_FALSE(store->outbox_stats()->oldest);
    CHECK(store->claim(10, kLongLease)->empty());

    Event created = make_event("plans", "1", "created", R"({"a":1})");
    created.root_id = "1";
    created.parent_id = "plans/0";
    created.id = "ignored";
    created.version = 12345;
    created.attempts = 7;
    const auto t1 = clock.now();
    const auto v1 = commit_ok(*store, batch({Op::put("plans", "1", R"({"a":1})")},
                                            {created, make_event("plans", "1", "audit", "")}));
    clock.advance(1s);
    const auto v2 = commit_ok(*store, batch({}, {make_event("plans", "2", "deleted", "")}));  // events only
    CHECK(v2 > v1);

    auto stats = store->outbox_stats();
    REQUIRE(stats);
    CHECK(stats->pending == 3);
    REQUIRE(stats->oldest);
    CHECK(*stats->oldest == t1);

    auto claimed = store->claim(2, kLongLease);
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 2);
    const Event& first = (*claimed)[0];
    CHECK(first.id == std::to_string(v1) + "-0");
    CHECK(first.version == v1);
    CHECK(first.time == t1);
    CHECK(first.collection == "plans");
    CHECK(first.document_id == "1");
    CHECK(first.action == "created");
    CHECK(first.data == R"({"a":1})");
    CHECK(first.root_id == "1");
    CHECK(first.parent_id == "plans/0");
    CHECK(first.attempts == 0);
    CHECK((*claimed)[1].id == std::to_string(v1) + "-1");
    CHECK((*claimed)[1].action == "audit");
    CHECK((*claimed)[1].data.empty());

    // Leased events are not handed out again; the rest are, in order.
    auto next = store->claim(10, kLongLease);
    REQUIRE(next);
    REQUIRE(next->size() == 1);
    CHECK((*next)[0].id == std::to_string(v2) + "-0");
    CHECK((*next)[0].version == v2);
    CHECK((*next)[0].time == t1 + 1s);
    CHECK(store->claim(10, kLongLease)->empty());

    // Acknowledged events are gone for good; unknown and malformed ids are ignored.
    const std::vector<std::string> acks{first.id, "999999-0", "nonsense", "", "1-x"};
    REQUIRE(store->ack(acks));
    CHECK(pending(*store) == 2);
    stats = store->outbox_stats();
    CHECK(*stats->oldest == t1);  // v1-1 is still pending
    const std::vector<std::string> rest{(*claimed)[1].id, (*next)[0].id};
    REQUIRE(store->ack(rest));
    CHECK(pending(*store) == 0);
    CHECK_FALSE(store->outbox_stats()->oldest);
    REQUIRE(store->ack(rest));  // twice is fine
    CHECK(store->claim(10, kLongLease)->empty());
    CHECK(store->claim(0, kLongLease)->empty());
}

void outbox_lease(StoreBackend& backend, ManualClock& clock, const store::StoreOptions& options) {
    auto store = backend.create(options);
    const auto v = commit_ok(*store, batch({}, {make_event("a", "1", "created", "{}"), make_event("a", "2", "created", "{}")}));
    // Long enough that the claims just below always happen within it, even on a loaded machine.
    constexpr auto kLease = std::chrono::milliseconds(1000);
    auto claimed = store->claim(1, kLease);
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    CHECK((*claimed)[0].attempts == 0);

    // An unacknowledged claim comes back once its lease has run out, with `attempts` counting the
    // earlier claims, ahead of later events. (The manual clock drives memory and sqlite; Redis
    // measures the lease on its own clock, hence the bounded wait.)
    auto other = store->claim(5, kLongLease);
    REQUIRE(other);
    REQUIRE(other->size() == 1);
    CHECK((*other)[0].id == std::to_string(v) + "-1");
    clock.advance(kLease);
    std::vector<Event> again;
    const bool returned = eventually(
        [&] {
            auto c = store->claim(5, kLease);
            if (c && !c->empty()) again = std::move(*c);
            return !again.empty();
        },
        5000ms);
    REQUIRE(returned);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == std::to_string(v) + "-0");
    CHECK(again[0].attempts == 1);
    CHECK(again[0].action == "created");
    CHECK(again[0].document_id == "1");

    clock.advance(kLease);
    again.clear();
    REQUIRE(eventually(
        [&] {
            auto c = store->claim(5, kLongLease);
            if (c && !c->empty()) again = std::move(*c);
            return !again.empty();
        },
        5000ms));
    CHECK(again[0].attempts == 2);
    const std::vector<std::string> done{again[0].id};
    REQUIRE(store->ack(done));
    CHECK(pending(*store) == 1);  // the one under the long lease
}

void concurrent_compare_and_set(StoreBackend& backend, ManualClock&, const store::StoreOptions& options) {
    auto store = backend.create(options);
    put_ok(*store, "cas", "counter", "0");

    constexpr int kThreads = 8;
    constexpr int kIncrementsPerThread = 15;
    struct Outcome {
        std::vector<std::uint64_t> won_at;  // precondition versions this thread won
        std::vector<std::uint64_t> committed;
        int conflicts = 0;
        std::string error;
    };
    std::vector<Outcome> outcomes(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            Outcome& out = outcomes[static_cast<std::size_t>(t)];
            for (int attempt = 0; attempt < 100'000 && static_cast<int>(out.won_at.size()) < kIncrementsPerThread;
                 ++attempt) {
                auto current = store->get("cas", "counter");
                if (!current) {
                    out.error = current.error().to_string();
                    return;
                }
                const std::string next = std::to_string(to_int(current->body) + 1);
                auto done = store->commit(
                    batch({Op::put("cas", "counter", next, Precondition::at_version(current->version))},
                          {make_event("cas", "counter", "updated", next)}));
                if (done) {
                    out.won_at.push_back(current->version);
                    out.committed.push_back(done->version);
                } else if (done.error().code() == ErrorCode::precondition_failed) {
                    ++out.conflicts;
                } else {
                    out.error = done.error().to_string();
                    return;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();

    std::multiset<std::uint64_t> won_at;
    std::set<std::uint64_t> committed;
    for (const auto& out : outcomes) {
        CHECK_MESSAGE(out.error.empty(), out.error);
        CHECK(out.won_at.size() == static_cast<std::size_t>(kIncrementsPerThread));
        won_at.insert(out.won_at.begin(), out.won_at.end());
        committed.insert(out.committed.begin(), out.committed.end());
    }
    const std::size_t total = static_cast<std::size_t>(kThreads * kIncrementsPerThread);
    // Exactly one winner per version: no two commits succeeded from the same version.
    CHECK(std::set<std::uint64_t>(won_at.begin(), won_at.end()).size() == won_at.size());
    CHECK(won_at.size() == total);
    CHECK(committed.size() == total);
    auto final_state = store->get("cas", "counter");
    REQUIRE(final_state);
    CHECK(to_int(final_state->body) == static_cast<std::int64_t>(total));
    CHECK(final_state->version == *committed.rbegin());
    CHECK(pending(*store) == total);
}

}  // namespace

ManualClock::ManualClock()
    : micros_(std::make_shared<std::atomic<std::int64_t>>(
          std::chrono::floor<std::chrono::seconds>(store::Clock::now()).time_since_epoch() / 1us)) {}

store::TimePoint ManualClock::now() const noexcept {
    return store::TimePoint(std::chrono::duration_cast<store::TimePoint::duration>(std::chrono::microseconds(*micros_)));
}

void ManualClock::advance(std::chrono::microseconds by) noexcept { *micros_ += by.count(); }

std::function<store::TimePoint()> ManualClock::function() const {
    return [micros = micros_] {
        return store::TimePoint(std::chrono::duration_cast<store::TimePoint::duration>(std::chrono::microseconds(*micros)));
    };
}

std::unique_ptr<store::Store> open_store(const std::string& url, const store::StoreOptions& options) {
    auto store = Store::open(url, options);
    REQUIRE_MESSAGE(store, (store ? "" : store.error().to_string()));
    return std::move(*store);
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

void run_store_contract(StoreBackend& backend) {
    ManualClock clock;
    store::StoreOptions options;
    options.clock = clock.function();

    SUBCASE("documents: put, get, get_many, fields, bad input") { documents(backend, clock, options); }
    SUBCASE("versions: one store-wide sequence, monotonic per document") { versions(backend, clock, options); }
    SUBCASE("preconditions: any, absent, exists, version") { preconditions(backend, clock, options); }
    SUBCASE("atomicity: a failing op writes nothing of its batch") { atomicity(backend, clock, options); }
    SUBCASE("check ops: assert a precondition, write nothing") { checks(backend, clock, options); }
    SUBCASE("ttl: expired is invisible at once; the sweep removes and announces") { ttl(backend, clock, options); }
    SUBCASE("ttl: concurrent sweepers sweep each document once") { concurrent_sweep(backend, clock, options); }
    SUBCASE("scan: byte-wise id order, cursors, bad cursors") { pagination(backend, clock, options); }
    SUBCASE("scan: no skipped or repeated documents under concurrent writes") {
        pagination_under_writes(backend, clock, options);
    }
    SUBCASE("outbox: order, assigned fields, claim and ack") { outbox(backend, clock, options); }
    SUBCASE("outbox: an unacknowledged claim comes back after its lease") { outbox_lease(backend, clock, options); }
    SUBCASE("compare-and-set from 8 threads: one winner per version") {
        concurrent_compare_and_set(backend, clock, options);
    }
}

}  // namespace tessera::test
