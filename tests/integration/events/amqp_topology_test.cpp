// Issue 11: a consumer cannot bind before the first write. The exchange used to be declared by the
// first publish, so a consumer started with the server got "NOT_FOUND - no exchange
// 'tessera.events'". The bus now declares its topology when it connects (the engine connects it at
// open) and again whenever it reconnects, publishing or not; `BusStats::connected` follows the broker.
// The consumer side here is bare rabbitmq-c, as another program would be: it declares a queue and
// binds it, but never the exchange.

#include <tessera/events/event_bus.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/store/memory_store.hpp>

#include "support/bus_contract.hpp"
#include "support/engine_fixture.hpp"
#include "support/rabbitmq_server.hpp"
#include "support/store_contract.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::events::BusOptions;
using tessera::events::CloudEvent;
using tessera::events::EventBus;
using tessera::test::eventually;
using tessera::test::RabbitMqServer;

namespace {

constexpr amqp_channel_t kChannel = 1;

// A consumer written against rabbitmq-c alone, no Tessera code: what the issue's consumer is.
class RawConsumer {
public:
    explicit RawConsumer(std::uint16_t port) : conn_(amqp_new_connection()) {
        amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
        const timeval timeout{5, 0};
        if (socket == nullptr || amqp_socket_open_noblock(socket, "127.0.0.1", port, &timeout) != AMQP_STATUS_OK) {
            throw std::runtime_error("raw consumer: cannot connect to port " + std::to_string(port));
        }
        const timeval rpc{10, 0};  // a broker that hangs fails the test instead of hanging it
        amqp_set_rpc_timeout(conn_, &rpc);
        require(amqp_login(conn_, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"),
                "login");
        amqp_channel_open(conn_, kChannel);
        require(amqp_get_rpc_reply(conn_), "channel.open");
    }
    ~RawConsumer() {
        (void)amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn_);
    }
    RawConsumer(const RawConsumer&) = delete;
    RawConsumer& operator=(const RawConsumer&) = delete;

    /// A server-named queue (exclusive: it goes with this connection).
    std::string declare_queue() {
        const auto* ok = amqp_queue_declare(conn_, kChannel, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
        require(amqp_get_rpc_reply(conn_), "queue.declare");
        return std::string(static_cast<const char*>(ok->queue.bytes), ok->queue.len);
    }

    /// queue.bind, without declaring the exchange. "" on success, else the broker's reply (after which
    /// the channel is closed: the test is over for this consumer).
    std::string bind(const std::string& queue, const std::string& exchange, const std::string& key) {
        amqp_queue_bind(conn_, kChannel, amqp_cstring_bytes(queue.c_str()), amqp_cstring_bytes(exchange.c_str()),
                        amqp_cstring_bytes(key.c_str()), amqp_empty_table);
        return failure(amqp_get_rpc_reply(conn_));
    }

    /// A passive queue.declare: "" if `queue` exists, else the broker's reply.
    std::string check_queue(const std::string& queue) {
        amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
        return failure(amqp_get_rpc_reply(conn_));
    }

    struct Got {
        std::string routing_key;
        std::string body;
    };
    /// basic.get with auto-ack; std::nullopt when the queue is empty.
    std::optional<Got> get(const std::string& queue) {
        amqp_rpc_reply_t reply = amqp_basic_get(conn_, kChannel, amqp_cstring_bytes(queue.c_str()), 1);
        require(reply, "basic.get");
        if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::nullopt;
        const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
        Got got{std::string(static_cast<const char*>(ok->routing_key.bytes), ok->routing_key.len), {}};
        amqp_message_t message;
        require(amqp_read_message(conn_, kChannel, &message, 0), "reading a message");
        got.body.assign(static_cast<const char*>(message.body.bytes), message.body.len);
        amqp_destroy_message(&message);
        amqp_maybe_release_buffers(conn_);
        return got;
    }

private:
    // "" for a normal reply; else what the broker (or rabbitmq-c) said.
    static std::string failure(const amqp_rpc_reply_t& reply) {
        if (reply.reply_type == AMQP_RESPONSE_NORMAL) return "";
        if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
            return std::string(static_cast<const char*>(close->reply_text.bytes), close->reply_text.len);
        }
        if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) return amqp_error_string2(reply.library_error);
        return "the broker closed the connection";
    }
    static void require(const amqp_rpc_reply_t& reply, const std::string& what) {
        if (auto failed = failure(reply); !failed.empty()) throw std::runtime_error("raw consumer: " + what + ": " + failed);
    }

    amqp_connection_state_t conn_;
};

// What a test bus uses: quick reconnects and checks, so a test observes changes in seconds.
BusOptions quick_options() {
    BusOptions options;
    options.reconnect_delay = 50ms;
    options.max_reconnect_delay = 500ms;
    options.connect_timeout = 5s;
    options.check_interval = 100ms;
    return options;
}

// Binds a fresh queue of a new raw consumer to the exchange; returns the consumer and its queue, or
// fails the test with the broker's answer.
struct Bound {
    std::unique_ptr<RawConsumer> consumer;
    std::string queue;
};
Bound bind_new_consumer(const RabbitMqServer& broker, const std::string& exchange, const std::string& key) {
    Bound out{std::make_unique<RawConsumer>(broker.port()), {}};
    out.queue = out.consumer->declare_queue();
    const std::string refused = out.consumer->bind(out.queue, exchange, key);
    REQUIRE_MESSAGE(refused.empty(), "binding to '" << exchange << "' without declaring it: " << refused);
    return out;
}

// The next message of `queue`, waiting up to `timeout` for one (bounded polling).
std::optional<RawConsumer::Got> next_message(RawConsumer& consumer,
                                             const std::string& queue,
                                             std::chrono::milliseconds timeout) {
    std::optional<RawConsumer::Got> got;
    eventually([&] { return static_cast<bool>(got = consumer.get(queue)); }, timeout);
    return got;
}

}  // namespace

TEST_SUITE("events.amqp.topology") {
    TEST_CASE("AmqpBus: issue 11 — the exchange exists once the bus connected, before any publish") {
        RabbitMqServer broker;  // fresh: nothing declared on it yet
        auto registry = tessera::schema::Registry::open(tessera::test::test_schemas()).value();
        tessera::model::EngineConfig config;
        config.bus_url = broker.url();
        config.bus_options = quick_options();
        config.sweep_interval = 0ms;
        auto engine = tessera::model::Engine::open(std::move(registry), std::make_unique<tessera::store::MemoryStore>(),
                                                   config)
                          .value();
        // Engine::open connected the bus: nothing was published, yet it is up.
        CHECK(engine.bus().stats().connected);
        CHECK(engine.bus().stats().published == 0);

        // The consumer that starts with the server: binds without declaring the exchange.
        auto bound = bind_new_consumer(broker, "tessera.events", "notes.*");
        CHECK_MESSAGE(bound.consumer->check_queue("tessera.deadletter").empty(), "the dead-letter queue is declared too");
        CHECK(engine.bus().connect());  // idempotent: the same connection, asked again
        CHECK(engine.bus().stats().reconnects == 0);

        // And the first write's event reaches its queue.
        auto created = engine.collection("notes")->create(boost::json::parse(R"({"text": "first"})"));
        REQUIRE_MESSAGE(created, (created ? "" : created.error().to_string()));
        auto got = next_message(*bound.consumer, bound.queue, 30s);
        REQUIRE_MESSAGE(got, "the first write's event never reached the consumer's queue");
        CHECK(got->routing_key == "notes.created");
        auto event = CloudEvent::from_json(got->body);
        REQUIRE(event);
        CHECK(event->subject == created->id);
        CHECK(engine.bus().stats().published == 1);
    }

    TEST_CASE(
        "AmqpBus: issue 11 — a broker down at start-up or restarted empty gets the topology without any publish; "
        "connected follows it") {
        RabbitMqServer broker;
        const std::string exchange = "issue11.events";
        BusOptions options = quick_options();
        options.exchange = exchange;
        options.dead_letter_queue = "issue11.deadletter";
        auto bus = EventBus::open(broker.url(), options).value();
        CHECK_FALSE(bus->stats().connected);  // opening connects nothing

        // Down at start-up: connect() says so at once (not fatal), and the bus picks the broker up
        // when it comes.
        broker.stop();
        const auto start = std::chrono::steady_clock::now();
        auto connected = bus->connect();
        REQUIRE_FALSE(connected);
        CHECK(connected.error().code() == ErrorCode::unavailable);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        CHECK_FALSE(bus->stats().connected);
        broker.start();
        REQUIRE_MESSAGE(eventually([&] { return bus->stats().connected; }, 30s),
                        "the bus did not notice the broker coming up");
        {
            auto bound = bind_new_consumer(broker, exchange, "#");
            CHECK(bound.consumer->check_queue(options.dead_letter_queue).empty());
        }

        // Restarted with an empty data directory (a replacement node): the exchange is gone with it,
        // and comes back from the bus alone — nothing is published meanwhile.
        const auto reconnects = bus->stats().reconnects;
        broker.stop();
        broker.wipe_data();
        CHECK_MESSAGE(eventually([&] { return !bus->stats().connected; }, 10s),
                      "stats().connected stayed true with the broker down");
        broker.start();
        REQUIRE_MESSAGE(eventually([&] { return bus->stats().connected; }, 30s),
                        "the bus did not notice the broker coming back");
        CHECK(bus->stats().reconnects > reconnects);
        CHECK(bus->stats().published == 0);
        auto bound = bind_new_consumer(broker, exchange, "#");
        CHECK(bound.consumer->check_queue(options.dead_letter_queue).empty());

        // Killed (no goodbye on the socket) while idle: noticed too.
        broker.kill();
        CHECK_MESSAGE(eventually([&] { return !bus->stats().connected; }, 10s),
                      "stats().connected stayed true with the broker killed");
        broker.start();
        REQUIRE(eventually([&] { return bus->stats().connected; }, 30s));
        bound = bind_new_consumer(broker, exchange, "#");

        // The bus still publishes, and what it publishes reaches the consumer bound before.
        const std::vector<CloudEvent> batch{tessera::test::make_test_event("notes", "a", "created", 1)};
        REQUIRE(bus->publish(batch));
        auto got = next_message(*bound.consumer, bound.queue, 30s);
        REQUIRE(got);
        CHECK(got->routing_key == "notes.created");

        // A broker that holds its sockets open but answers nothing (SIGSTOP): noticed within
        // connect_timeout (5 s here) of the next check, not confirm_timeout.
        broker.pause();
        CHECK_MESSAGE(eventually([&] { return !bus->stats().connected; }, 15s),
                      "stats().connected stayed true with the broker not answering");
        broker.resume();
        CHECK(eventually([&] { return bus->stats().connected; }, 30s));
    }

    TEST_CASE("EventBus: inproc's connect() succeeds with nothing to do") {
        auto inproc = EventBus::open("inproc").value();
        CHECK(inproc->connect());
        CHECK(inproc->stats().connected);
    }
}
