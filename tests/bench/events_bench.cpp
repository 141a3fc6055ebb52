// Events end to end (write → subscriber), for the inproc and RabbitMQ buses, next to a bare
// rabbitmq-c loop on the same broker in the same run. Not a test: tests/bench/events.sh runs it.
//
//   tessera-events-bench [--events N] [--rate R] [--seconds S] [--writers W] [--prefetch P]
//
// It starts a throw-away rabbitmq-server (tests/support/rabbitmq_server), then for each bus:
//   throughput  an Engine (memory store, background relay) takes N creates from W threads; a
//               subscriber counts distinct events; events/s = N / (last event in − first write).
//               inproc: subscribed on engine.bus(); amqp: a second EventBus on the same broker (as
//               another process would), durable queue, prefetch P.
//   steady      R writes/s for S seconds; every event's latency (arrival − commit time) and the
//               outbox lag (age of the oldest unacknowledged event, what /metrics reports as
//               tessera_events_relay_lag_seconds) sampled every 2 ms: p50/p99 latency, p99 lag, and
//               the relay's own commit → confirm histogram (p99 as a bucket bound).
// and finally the bare loop: rabbitmq-c only, no Tessera code: one connection publishes N persistent
// messages of the mean size the amqp run carried, to a durable queue, in batches of the relay's size
// (256) each waiting for its publisher confirms; another consumes with manual acks and prefetch P.
// Both sides use quorum queues (what Tessera declares for named subscriptions).
#include <tessera/events/event_bus.hpp>
#include <tessera/model/engine.hpp>

#include "support/rabbitmq_server.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_set>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tessera::events::Delivery;

struct Settings {
    int events = 20000;
    int rate = 2000;
    int seconds = 10;
    int writers = 2;
    int prefetch = 256;
};

constexpr std::size_t kRelayBatch = 256;  // RelayOptions::batch_size's default

double percentile(std::vector<double> values, double q) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size())))];
}

// Counts distinct events and keeps each one's latency (arrival − commit).
class Sink {
public:
    tessera::events::Handler handler() {
        return [this](const Delivery& delivery) {
            const auto now = std::chrono::system_clock::now();
            std::lock_guard lock(mutex_);
            if (!seen_.insert(delivery.event.id).second) return;
            latencies_.push_back(std::chrono::duration<double>(now - delivery.event.time).count());
            if (sampled_ < 1000) {  // the message size, from a sample: formatting every event would cost
                bytes_ += delivery.event.to_json().size();
                ++sampled_;
            }
            last_ = Clock::now();
            if (seen_.size() >= target_) done_.notify_all();
        };
    }
    void expect(std::size_t n) {
        std::lock_guard lock(mutex_);
        target_ = seen_.size() + n;
    }
    bool wait(std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        return done_.wait_for(lock, timeout, [&] { return seen_.size() >= target_; });
    }
    Clock::time_point last() const {
        std::lock_guard lock(mutex_);
        return last_;
    }
    std::vector<double> take_latencies() {
        std::lock_guard lock(mutex_);
        return std::exchange(latencies_, {});
    }
    double mean_bytes() const {
        std::lock_guard lock(mutex_);
        return sampled_ == 0 ? 0 : static_cast<double>(bytes_) / static_cast<double>(sampled_);
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable done_;
    std::unordered_set<std::string> seen_;
    std::vector<double> latencies_;
    std::size_t bytes_ = 0;
    std::size_t sampled_ = 0;
    std::size_t target_ = 0;
    Clock::time_point last_{};
};

tessera::model::Engine open_engine(const std::string& bus_url) {
    tessera::model::EngineConfig config;
    config.schemas = TESSERA_SOURCE_DIR "/tests/data/schemas";
    config.store_url = "memory:";
    config.bus_url = bus_url;
    config.sweep_interval = 0ms;
    auto engine = tessera::model::Engine::open(config);
    if (!engine) throw std::runtime_error("engine: " + engine.error().to_string());
    return std::move(*engine);
}

void create(tessera::model::Collection& counters, char prefix, int n) {
    // Built with += : GCC 12 at -O3 warns (-Wrestrict, a false positive) about "t" + std::string.
    std::string id(1, prefix);
    id += std::to_string(n);
    auto created = counters.create(boost::json::object{{"value", n}}, id);
    if (!created) throw std::runtime_error("write: " + created.error().to_string());
}

struct BusFigures {
    double events_per_second = 0;
    double latency_p50 = 0;
    double latency_p99 = 0;
    double lag_p99 = 0;
    double relay_delay_p99 = 0;
    double mean_bytes = 0;
};

BusFigures run_bus(const std::string& name, const std::string& bus_url, const Settings& settings) {
    auto engine = open_engine(bus_url);
    Sink sink;
    std::unique_ptr<tessera::events::EventBus> remote;  // amqp: the subscriber is "another program"
    tessera::events::EventBus* subscriber_bus = &engine.bus();
    if (name == "amqp") {
        remote = tessera::events::EventBus::open(bus_url).value();
        subscriber_bus = remote.get();
    }
    tessera::events::SubscribeOptions options;
    options.name = "bench-" + name + "-" + std::to_string(getpid());
    options.prefetch = static_cast<std::uint16_t>(settings.prefetch);
    auto subscription = subscriber_bus->subscribe("counters.*", sink.handler(), options).value();
    auto& counters = *engine.collection("counters");
    BusFigures figures;

    // Throughput: as fast as the writers go.
    sink.expect(static_cast<std::size_t>(settings.events));
    const auto start = Clock::now();
    std::vector<std::thread> writers;
    for (int w = 0; w < settings.writers; ++w) {
        writers.emplace_back([&, w] {
            for (int i = w; i < settings.events; i += settings.writers) create(counters, 't', i);
        });
    }
    for (auto& writer : writers) writer.join();
    if (!sink.wait(300s)) throw std::runtime_error(name + ": events missing after 300 s");
    figures.events_per_second = settings.events / std::chrono::duration<double>(sink.last() - start).count();
    figures.mean_bytes = sink.mean_bytes();
    (void)sink.take_latencies();

    // Steady load: R writes/s, latency per event and sampled outbox lag.
    const auto delay_before = engine.relay().stats().delay;  // the burst above is not steady load
    const int total = settings.rate * settings.seconds;
    sink.expect(static_cast<std::size_t>(total));
    std::atomic<bool> writing{true};
    std::vector<double> lags;
    std::thread sampler([&] {
        while (writing) {
            if (auto stats = engine.store().outbox_stats(); stats && stats->oldest) {
                lags.push_back(
                    std::chrono::duration<double>(std::chrono::system_clock::now() - *stats->oldest).count());
            } else {
                lags.push_back(0);
            }
            std::this_thread::sleep_for(2ms);
        }
    });
    const auto steady_start = Clock::now();
    for (int i = 0; i < total; ++i) {
        std::this_thread::sleep_until(steady_start + std::chrono::microseconds(1'000'000LL * i / settings.rate));
        create(counters, 's', i);
    }
    if (!sink.wait(300s)) throw std::runtime_error(name + ": steady events missing after 300 s");
    writing = false;
    sampler.join();
    const auto latencies = sink.take_latencies();
    figures.latency_p50 = percentile(latencies, 0.50);
    figures.latency_p99 = percentile(latencies, 0.99);
    figures.lag_p99 = percentile(lags, 0.99);
    auto delay = engine.relay().stats().delay;
    for (std::size_t i = 0; i < delay.counts.size(); ++i) delay.counts[i] -= delay_before.counts[i];
    delay.count -= delay_before.count;
    figures.relay_delay_p99 = delay.quantile(0.99);
    return figures;
}

// ---- The bare rabbitmq-c loop: no Tessera code from here on. ----------------------------------------

void check(amqp_rpc_reply_t reply, const char* what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error(std::string("rabbitmq-c: ") + what);
}

amqp_connection_state_t raw_connect(int port) {
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn);
    if (amqp_socket_open(socket, "127.0.0.1", port) != AMQP_STATUS_OK) throw std::runtime_error("rabbitmq-c: connect");
    check(amqp_login(conn, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    check(amqp_get_rpc_reply(conn), "channel.open");
    return conn;
}

double run_raw(int port, int messages, std::size_t size, int prefetch) {
    const std::string queue = "bench-raw-" + std::to_string(getpid());
    const std::string body(size, 'x');
    amqp_connection_state_t publisher = raw_connect(port);
    // A quorum queue, as Tessera's named subscriptions use: same broker work per message.
    amqp_table_entry_t quorum{};
    quorum.key = amqp_cstring_bytes("x-queue-type");
    quorum.value.kind = AMQP_FIELD_KIND_UTF8;
    quorum.value.value.bytes = amqp_cstring_bytes("quorum");
    amqp_queue_declare(publisher, 1, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0, amqp_table_t{1, &quorum});
    check(amqp_get_rpc_reply(publisher), "queue.declare");
    amqp_confirm_select(publisher, 1);
    check(amqp_get_rpc_reply(publisher), "confirm.select");

    std::atomic<int> consumed{0};
    Clock::time_point last{};
    std::thread consumer([&] {
        amqp_connection_state_t conn = raw_connect(port);
        amqp_basic_qos(conn, 1, 0, static_cast<std::uint16_t>(prefetch), 0);
        amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue.c_str()), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
        check(amqp_get_rpc_reply(conn), "basic.consume");
        while (consumed < messages) {
            amqp_maybe_release_buffers(conn);
            amqp_envelope_t envelope;
            if (amqp_consume_message(conn, &envelope, nullptr, 0).reply_type != AMQP_RESPONSE_NORMAL) continue;
            amqp_basic_ack(conn, 1, envelope.delivery_tag, 0);
            amqp_destroy_envelope(&envelope);
            ++consumed;
        }
        last = Clock::now();
        amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn);
    });

    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.content_type = amqp_cstring_bytes("application/cloudevents+json");
    props.delivery_mode = 2;
    const auto start = Clock::now();
    std::uint64_t next_tag = 1;
    for (int sent = 0; sent < messages;) {
        const std::uint64_t first = next_tag;
        for (std::size_t i = 0; i < kRelayBatch && sent < messages; ++i, ++sent, ++next_tag) {
            amqp_basic_publish(publisher, 1, amqp_empty_bytes, amqp_cstring_bytes(queue.c_str()), 0, 0, &props,
                               amqp_bytes_t{body.size(), const_cast<char*>(body.data())});
        }
        std::uint64_t confirmed = first - 1;  // acks arrive in order on one channel
        while (confirmed < next_tag - 1) {
            amqp_frame_t frame;
            if (amqp_simple_wait_frame(publisher, &frame) != AMQP_STATUS_OK)
                throw std::runtime_error("rabbitmq-c: confirms");
            if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
                const auto* ack = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
                confirmed = std::max(confirmed, ack->delivery_tag);
            }
        }
        amqp_maybe_release_buffers(publisher);
    }
    consumer.join();
    amqp_queue_delete(publisher, 1, amqp_cstring_bytes(queue.c_str()), 0, 0);
    amqp_connection_close(publisher, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(publisher);
    return messages / std::chrono::duration<double>(last - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    Settings settings;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (flag == "--events")
            settings.events = value;
        else if (flag == "--rate")
            settings.rate = value;
        else if (flag == "--seconds")
            settings.seconds = value;
        else if (flag == "--writers")
            settings.writers = value;
        else if (flag == "--prefetch")
            settings.prefetch = value;
        else {
            std::fprintf(
                stderr,
                "usage: tessera-events-bench [--events N] [--rate R] [--seconds S] [--writers W] [--prefetch P]\n");
            return 2;
        }
    }
    try {
        tessera::test::RabbitMqServer broker;
        std::printf(
            "broker: rabbitmq-server on 127.0.0.1:%u; %d events, %d writers; steady %d writes/s for %d s; prefetch "
            "%d\n",
            broker.port(), settings.events, settings.writers, settings.rate, settings.seconds, settings.prefetch);
        const auto inproc = run_bus("inproc", "inproc", settings);
        const auto amqp = run_bus("amqp", broker.url(), settings);
        const auto size = static_cast<std::size_t>(amqp.mean_bytes + 0.5);
        const double raw = run_raw(broker.port(), settings.events, size, settings.prefetch);

        std::printf("\n%-22s %14s %16s %18s %18s %16s\n", "pipeline", "events/s", "vs bare amqp", "latency p50/p99",
                    "outbox lag p99", "relay delay p99");
        auto row = [&](const char* label, const BusFigures& f, bool ratio) {
            char latency[64];
            std::snprintf(latency, sizeof latency, "%.1f / %.1f ms", f.latency_p50 * 1e3, f.latency_p99 * 1e3);
            char lag[32];
            std::snprintf(lag, sizeof lag, "%.1f ms", f.lag_p99 * 1e3);
            char delay[32];
            std::snprintf(delay, sizeof delay, "<= %.1f ms", f.relay_delay_p99 * 1e3);
            char versus[32] = "";
            if (ratio) std::snprintf(versus, sizeof versus, "%.0f %%", 100.0 * f.events_per_second / raw);
            std::printf("%-22s %14.0f %16s %18s %18s %16s\n", label, f.events_per_second, versus, latency, lag, delay);
        };
        row("tessera inproc", inproc, false);
        row("tessera amqp", amqp, true);
        std::printf("%-22s %14.0f %16s\n", "bare rabbitmq-c", raw, "100 %");
        std::printf(
            "\n(messages of %zu bytes: the mean CloudEvent; latency = arrival - commit time, which the wire keeps to "
            "the "
            "millisecond; relay delay from the relay's histogram buckets)\n",
            size);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera-events-bench: %s\n", e.what());
        return 1;
    }
}
