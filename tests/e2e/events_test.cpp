// Events end to end: the real tessera-server with `--bus amqp://…` against a real rabbitmq-server,
// writes over HTTP, and a subscriber in this process reading the broker through the library (as
// another program would, see examples/event_listener). Duplicates are allowed on the wire; the checks
// deduplicate by event id.
//   events        10,000 writes → exactly 10,000 distinct events in per-document version order;
//                 a handler that throws for one message: retried, dead-lettered, listed and replayed
//                 through the admin API, while the others flow.
//   events.crash  the broker SIGKILLed and restarted mid-stream; the server SIGKILLed mid-stream and
//                 restarted: no event lost, and the server kept answering writes meanwhile.

#include <tessera/events/event_bus.hpp>

#include "support/http_client.hpp"
#include "support/rabbitmq_server.hpp"
#include "support/server_process.hpp"
#include "support/store_contract.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <algorithm>
#include <map>
#include <set>
#include <mutex>
#include <sys/wait.h>
#include <thread>
#include <unordered_map>

using namespace std::chrono_literals;
using tessera::events::Delivery;
using tessera::events::EventBus;
using tessera::test::HttpClient;
using tessera::test::RabbitMqServer;
using tessera::test::ServerProcess;

namespace {

constexpr auto kDeliveryDeadline = 180s;

// Collects what a subscription receives: first deliveries by event id, in arrival order.
class Collector {
public:
    tessera::events::Handler handler() {
        return [this](const Delivery& delivery) {
            std::lock_guard lock(mutex_);
            ++deliveries_;
            if (seen_.emplace(delivery.event.id, first_.size()).second) {
                first_.push_back({delivery.event.subject, delivery.event.action(), delivery.event.version});
                changed_.notify_all();
            }
        };
    }

    std::size_t distinct() const {
        std::lock_guard lock(mutex_);
        return first_.size();
    }
    std::size_t deliveries() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }

    /// Waits until `n` distinct events arrived (or the deadline).
    bool wait_for(std::size_t n, std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return first_.size() >= n; });
    }

    struct Seen {
        std::string subject;
        std::string action;
        std::uint64_t version;
    };
    /// Per document, the (action, version) of first deliveries in arrival order.
    std::map<std::string, std::vector<std::pair<std::string, std::uint64_t>>> by_document() const {
        std::lock_guard lock(mutex_);
        std::map<std::string, std::vector<std::pair<std::string, std::uint64_t>>> out;
        for (const auto& s : first_) out[s.subject].emplace_back(s.action, s.version);
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::unordered_map<std::string, std::size_t> seen_;
    std::vector<Seen> first_;
    std::size_t deliveries_ = 0;
};

// Every document's first deliveries are in strictly increasing version order, and there are
// `per_document` of them, the first a create.
void check_order(const Collector& collector, std::size_t documents, std::size_t per_document) {
    const auto by_document = collector.by_document();
    CHECK(by_document.size() == documents);
    std::size_t out_of_order = 0;
    std::size_t wrong_count = 0;
    for (const auto& [subject, seen] : by_document) {
        if (seen.size() != per_document || seen.front().first != "created") ++wrong_count;
        for (std::size_t i = 1; i < seen.size(); ++i) {
            if (seen[i].second <= seen[i - 1].second) ++out_of_order;
        }
    }
    CHECK(out_of_order == 0);
    CHECK(wrong_count == 0);
}

tessera::test::ServerOptions server_options(const RabbitMqServer& broker, std::string store) {
    tessera::test::ServerOptions options;
    options.store = std::move(store);
    options.schemas = TESSERA_SOURCE_DIR "/tests/data/schemas";
    options.extra_args = {"--bus", broker.url(), "--access-log", "off", "--relay-lease", "2s"};
    return options;
}

std::unique_ptr<EventBus> open_subscriber_bus(const RabbitMqServer& broker) {
    tessera::events::BusOptions options;
    options.reconnect_delay = 50ms;
    options.max_reconnect_delay = 1s;
    return EventBus::open(broker.url(), options).value();
}

// PUTs {"value": v} to /api/counters/<id> for each (id, v), spread over `threads` clients (each
// document stays on one client, so its writes happen in order). Returns the number of non-2xx answers.
std::size_t write_all(const std::string& base, const std::vector<std::pair<std::string, int>>& writes, int threads) {
    std::atomic<std::size_t> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            HttpClient client(base);
            for (const auto& [id, value] : writes) {
                if (std::hash<std::string>{}(id) % static_cast<std::size_t>(threads) != static_cast<std::size_t>(t))
                    continue;
                auto response = client.request("PUT", "/api/counters/" + id, {{"Content-Type", "application/json"}},
                                               R"({"value":)" + std::to_string(value) + "}");
                if (response.status != 200 && response.status != 201) ++failures;
            }
        });
    }
    for (auto& worker : workers) worker.join();
    return failures;
}

// `documents` documents written `versions` times each, version-major (every document once, then
// every document again...), so one document's writes are spread over the whole run.
std::vector<std::pair<std::string, int>> plan_writes(const std::string& prefix, int documents, int versions) {
    std::vector<std::pair<std::string, int>> writes;
    for (int v = 0; v < versions; ++v) {
        for (int d = 0; d < documents; ++d) writes.emplace_back(prefix + std::to_string(d), v);
    }
    return writes;
}

// Writes `writes` in order from a background thread with one client, PUTting {"value": v} to
// /api/counters/<id>, until done or the server stops answering; tells how far it got.
class Writer {
public:
    Writer(std::string base, std::vector<std::pair<std::string, int>> writes)
        : thread_([this, base = std::move(base), writes = std::move(writes)] { run(base, writes); }) {}
    ~Writer() { join(); }

    void join() {
        if (thread_.joinable()) thread_.join();
    }
    /// Waits until `n` writes were answered (any way), or the writer ended, or the deadline.
    bool wait_for(std::size_t n, std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        return progress_.wait_for(lock, timeout, [&] { return answered_ >= n || done_; }) && answered_ >= n;
    }
    std::size_t acked() const {
        std::lock_guard lock(mutex_);
        return acked_.size();
    }
    std::size_t failed() const {
        std::lock_guard lock(mutex_);
        return failed_;
    }
    std::set<std::string> acked_ids() const {
        std::lock_guard lock(mutex_);
        return {acked_.begin(), acked_.end()};
    }

private:
    void run(const std::string& base, const std::vector<std::pair<std::string, int>>& writes) {
        HttpClient client(base, 5s);
        for (const auto& [id, value] : writes) {
            auto response = client.request("PUT", "/api/counters/" + id, {{"Content-Type", "application/json"}},
                                           R"({"value":)" + std::to_string(value) + "}");
            std::lock_guard lock(mutex_);
            ++answered_;
            if (response.status == 200 || response.status == 201) {
                acked_.push_back(id);
            } else {
                ++failed_;
            }
            progress_.notify_all();
            if (response.status == 0) break;  // the server is gone
        }
        std::lock_guard lock(mutex_);
        done_ = true;
        progress_.notify_all();
    }

    mutable std::mutex mutex_;
    std::condition_variable progress_;
    std::size_t answered_ = 0;
    std::size_t failed_ = 0;
    std::vector<std::string> acked_;
    bool done_ = false;
    std::thread thread_;  // last: starts once the members above exist
};

boost::json::object events_state(const std::string& base) {
    HttpClient client(base);
    auto response = client.get("/api/_events");
    REQUIRE(response.status == 200);
    return boost::json::parse(response.body).as_object();
}

// Once `expected` distinct events arrived: waits until the server's outbox is empty and nothing new
// arrives for a moment, so a surplus (an event that should not exist) would show.
void settle(const std::string& base, const Collector& collector) {
    CHECK(tessera::test::eventually([&] { return events_state(base).at("outbox").at("pending") == 0; }, 30s));
    std::size_t last = collector.distinct();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (int quiet = 0; quiet < 5 && std::chrono::steady_clock::now() < deadline;) {
        std::this_thread::sleep_for(100ms);
        const std::size_t now = collector.distinct();
        quiet = now == last ? quiet + 1 : 0;
        last = now;
    }
}

RabbitMqServer& shared_broker() {
    static RabbitMqServer broker;
    return broker;
}

}  // namespace

TEST_SUITE("events") {
    TEST_CASE(
        "events: 10,000 writes through the API give exactly 10,000 distinct events, in per-document version order") {
        auto& broker = shared_broker();
        auto bus = open_subscriber_bus(broker);
        Collector collector;
        tessera::events::SubscribeOptions options{.name = "e2e-ten-thousand", .prefetch = 500};
        auto subscription = bus->subscribe("counters.*", collector.handler(), options).value();
        ServerProcess server(server_options(broker, "memory:"));

        const auto writes = plan_writes("t", 2000, 5);
        REQUIRE(writes.size() == 10000);
        const auto start = std::chrono::steady_clock::now();
        CHECK(write_all(server.base_url(), writes, 4) == 0);
        const double write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        REQUIRE_MESSAGE(collector.wait_for(10000, kDeliveryDeadline), "got " << collector.distinct());
        const double all_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        settle(server.base_url(), collector);
        MESSAGE("10,000 writes in " << write_seconds << " s; all events delivered after " << all_seconds << " s ("
                                    << collector.deliveries() - collector.distinct() << " duplicates)");
        CHECK(collector.distinct() == 10000);
        check_order(collector, 2000, 5);
        CHECK(events_state(server.base_url()).at("relay").at("published").to_number<std::uint64_t>() >= 10000);
    }

    TEST_CASE(
        "events: a handler that throws for one message: retried, dead-lettered, listed and replayed via the API; "
        "others flow") {
        auto& broker = shared_broker();
        ServerProcess server(server_options(broker, "memory:"));
        auto bus = open_subscriber_bus(broker);
        std::atomic<bool> refuse{true};
        std::atomic<int> poison_calls{0};
        Collector collector;
        auto collect = collector.handler();
        tessera::events::SubscribeOptions options{.name = "e2e-dead-letters", .max_attempts = 3, .retry_delay = 50ms};
        auto subscription = bus->subscribe(
                                   "counters.*",
                                   [&](const Delivery& delivery) {
                                       if (delivery.event.subject == "poison") {
                                           ++poison_calls;
                                           if (refuse) throw std::runtime_error("cannot index poison");
                                       }
                                       collect(delivery);
                                   },
                                   options)
                                .value();
        std::vector<std::pair<std::string, int>> writes;
        for (int i = 0; i < 20; ++i) writes.emplace_back(i == 7 ? "poison" : "ok" + std::to_string(i), 1);
        REQUIRE(write_all(server.base_url(), writes, 1) == 0);

        REQUIRE(collector.wait_for(19, 60s));  // the others flow
        HttpClient client(server.base_url());
        boost::json::array letters;
        REQUIRE(tessera::test::eventually(
            [&] {
                auto listed = client.get("/api/_events/deadletters");
                if (listed.status != 200) return false;
                letters = boost::json::parse(listed.body).as_array();
                return letters.size() == 1;
            },
            60s));
        CHECK(poison_calls == 3);
        const auto& letter = letters[0].as_object();
        CHECK(letter.at("subscription") == "e2e-dead-letters");
        CHECK(letter.at("attempts") == 3);
        CHECK(letter.at("error") == "cannot index poison");
        CHECK(letter.at("event").at("subject") == "poison");
        CHECK(letter.at("event").at("type") == "tessera.counters.created");
        // The broker counts ready messages: the listing above holds the dead letter for a moment.
        CHECK(tessera::test::eventually(
            [&] { return client.get("/metrics").body.find("tessera_events_dead_letters 1\n") != std::string::npos; },
            10s));
        CHECK(collector.distinct() == 19);

        refuse = false;
        auto replayed =
            client.request("POST", "/api/_events/deadletters/" + std::string(letter.at("id").as_string()) + "/replay");
        CHECK(replayed.status == 200);
        CHECK(collector.wait_for(20, 60s));
        CHECK(poison_calls == 4);
        CHECK(tessera::test::eventually([&] { return client.get("/api/_events/deadletters").body == "[]"; }, 30s));
        CHECK(client.request("POST", "/api/_events/deadletters/e2e-dead-letters:0-0/replay").status == 404);
    }
}

TEST_SUITE("events.crash") {
    TEST_CASE(
        "events: broker SIGKILLed and restarted mid-stream: the server keeps answering writes, every event arrives") {
        RabbitMqServer broker;
        auto bus = open_subscriber_bus(broker);
        Collector collector;
        auto subscription = bus->subscribe("counters.*", collector.handler(), {.name = "e2e-broker-kill"}).value();
        ServerProcess server(server_options(broker, "memory:"));
        const auto writes = plan_writes("b", 500, 6);  // 3,000 writes

        Writer writer(server.base_url(), writes);
        REQUIRE(writer.wait_for(700, 60s));
        broker.kill();  // mid-stream: writes keep coming, the relay is publishing
        REQUIRE(writer.wait_for(2000, 60s));
        // Nothing can be published meanwhile: the events wait in the outbox.
        CHECK(events_state(server.base_url()).at("outbox").at("pending").to_number<std::uint64_t>() > 0);
        HttpClient client(server.base_url());
        CHECK(client.get("/readyz").status == 200);
        broker.start();
        writer.join();
        CHECK(writer.acked() == 3000);  // every write answered 2xx, before, during and after the outage
        CHECK(writer.failed() == 0);

        REQUIRE_MESSAGE(collector.wait_for(3000, kDeliveryDeadline), "got " << collector.distinct());
        settle(server.base_url(), collector);
        CHECK(collector.distinct() == 3000);
        check_order(collector, 500, 6);
        MESSAGE((collector.deliveries() - collector.distinct()) << " duplicates after the broker crash");
    }

    TEST_CASE("events: tessera-server SIGKILLed mid-stream and restarted on the same SQLite store: no event lost") {
        RabbitMqServer broker;
        tessera::test::TempDir dir;
        const auto options = server_options(broker, "sqlite:" + (dir.path() / "events.db").string());
        auto bus = open_subscriber_bus(broker);
        Collector collector;
        auto subscription = bus->subscribe("counters.*", collector.handler(), {.name = "e2e-server-kill"}).value();

        std::vector<std::pair<std::string, int>> writes;  // one create per document: one event per write
        for (int i = 0; i < 2000; ++i) writes.emplace_back(std::string("s").append(std::to_string(i)), 0);
        std::set<std::string> acked;
        {
            ServerProcess server(options);
            Writer writer(server.base_url(), writes);
            REQUIRE(writer.wait_for(300, 60s));
            // A broker that takes publishes but never confirms them: the relay hangs on a batch, and
            // what is written from now on stays in the outbox...
            broker.pause();
            REQUIRE(writer.wait_for(800, 60s));
            // ...when the server dies, mid-write.
            const int status = server.stop(SIGKILL);
            CHECK(WIFSIGNALED(status));
            writer.join();
            acked = writer.acked_ids();
            broker.resume();
        }
        MESSAGE(acked.size() << " writes acknowledged before the kill");
        ServerProcess restarted(options);  // its relay claims what the dead one left (after the 2 s lease)
        std::vector<std::pair<std::string, int>> more;
        for (int i = 2000; i < 2200; ++i) more.emplace_back(std::string("s").append(std::to_string(i)), 0);
        CHECK(write_all(restarted.base_url(), more, 4) == 0);
        for (const auto& [id, value] : more) acked.insert(id);

        auto delivered_all_acked = [&] {
            const auto by_document = collector.by_document();
            for (const auto& id : acked) {
                if (!by_document.contains(id)) return false;
            }
            return true;
        };
        REQUIRE_MESSAGE(tessera::test::eventually(delivered_all_acked, kDeliveryDeadline),
                        "got " << collector.distinct());
        settle(restarted.base_url(), collector);
        // Every acknowledged write's event arrived; beyond those, only writes the kill interrupted
        // (committed, but their answer never came) may have one too. Nothing else.
        const auto by_document = collector.by_document();
        std::size_t unexpected = 0;
        for (const auto& [id, seen] : by_document) {
            const bool attempted =
                std::any_of(writes.begin(), writes.end(), [&](const auto& w) { return w.first == id; }) ||
                acked.contains(id);
            if (!attempted || seen.size() != 1 || seen.front().first != "created") ++unexpected;
        }
        CHECK(unexpected == 0);
        CHECK(collector.distinct() >= acked.size());
    }
}
