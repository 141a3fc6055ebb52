#include "events/amqp/amqp_bus.hpp"

#include <tessera/log.hpp>

#include "common/time_format.hpp"
#include "events/amqp/amqp_connection.hpp"
#include "events/common.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tessera::events {
namespace {

constexpr std::string_view kComponent = "events.amqp";
constexpr amqp_channel_t kChannel = 1;
constexpr std::size_t kMaxErrorText = 1024;
// How often a consumer thread looks up from the socket to see whether it was cancelled.
constexpr std::chrono::milliseconds kPoll{100};

constexpr std::string_view kAttemptsHeader = "x-tessera-attempts";
constexpr std::string_view kSubscriptionHeader = "x-tessera-subscription";
constexpr std::string_view kErrorHeader = "x-tessera-error";
constexpr std::string_view kFailedAtHeader = "x-tessera-failed-at";
constexpr std::string_view kRoutingKeyHeader = "x-tessera-routing-key";
constexpr std::string_view kReplayedHeader = "x-tessera-replayed";

std::string retry_queue_name(std::string_view queue) {
    return "tessera.retry." + std::string(queue);
}

// Durable queues are quorum queues. A classic queue caught restarting by a publish (just after the
// broker came back) is skipped and the publish still confirmed — the message is lost (RabbitMQ
// documents this for "crashed" classic queues). A quorum queue confirms only what it committed.
const std::pair<std::string, std::string> kQuorum{"x-queue-type", "quorum"};

struct Consumer {
    std::string pattern;
    Handler handler;
    SubscribeOptions options;
    std::string queue;             // as declared (a server-named queue gets a new name per connection)
    amqp::Connection connection;   // consumes
    amqp::Connection republisher;  // retry and dead-letter copies, with confirms; opened on first need
    std::atomic<bool> stopping{false};
    std::mutex mutex;  // for `wake`: the reconnect delay, cut short by cancel()
    std::condition_variable wake;
    std::mutex join_mutex;  // `thread` is joined once, whoever cancels
    std::thread thread;
};

// The dead letter a message of the dead-letter queue describes.
DeadLetter to_dead_letter(const amqp::Received& message) {
    DeadLetter out;
    out.subscription = message.string_header(kSubscriptionHeader);
    out.error = message.string_header(kErrorHeader);
    out.attempts = static_cast<std::uint32_t>(std::max<std::int64_t>(0, message.int_header(kAttemptsHeader, 0)));
    if (auto time = common::parse_rfc3339(message.string_header(kFailedAtHeader))) {
        out.time = *time;
    } else {
        out.time = std::chrono::system_clock::time_point(std::chrono::seconds(message.timestamp));
    }
    if (auto event = CloudEvent::from_json(message.body)) {
        out.event = std::move(*event);
    } else {
        // Parked because it was unusable: keep its raw text, as a JSON string, to show what came.
        out.event.id = message.message_id;
        out.event.data_content_type.clear();
        out.event.data = boost::json::serialize(boost::json::string(message.body));
    }
    out.id = internal::dead_letter_id(out.subscription, out.event.id.empty() ? message.message_id : out.event.id);
    return out;
}

}  // namespace

struct AmqpBus::Impl {
    Impl(amqp::Address a, BusOptions o) : address(std::move(a)), options(std::move(o)) {}

    // Opens `connection` with the bus's timeouts; heartbeat only where a thread keeps reading.
    Result<void> connect(amqp::Connection& connection, bool heartbeat, std::string_view name) const {
        return connection.open(address, options.connect_timeout, options.confirm_timeout,
                               heartbeat ? options.heartbeat : std::chrono::seconds(0), name);
    }

    // Publishes `messages` on `connection` (channel 1 in confirm mode; `open` opens it when closed) and
    // waits for every confirm. A connection that fails on first use after sitting idle (the broker
    // restarted meanwhile) is reopened once at once. Returns how many came back unroutable.
    Result<std::size_t> publish_confirmed(amqp::Connection& connection,
                                          const std::function<Result<void>()>& open,
                                          std::span<const amqp::Message> messages) {
        for (int attempt = 0;; ++attempt) {
            const bool fresh = !connection.is_open();
            if (fresh) {
                if (auto opened = open(); !opened) return std::move(opened).error();
            }
            const auto deadline = std::chrono::steady_clock::now() + options.confirm_timeout;
            const std::uint64_t first = connection.next_tag();
            Result<std::size_t> sent = std::size_t{0};
            for (const auto& message : messages) {
                if (auto published = connection.publish(kChannel, message); !published) {
                    sent = std::move(published).error();
                    break;
                }
            }
            if (sent) sent = connection.wait_confirms(kChannel, first, connection.next_tag() - 1, deadline);
            if (sent || fresh || attempt > 0 || sent.error().code() == ErrorCode::timeout) return sent;
            log::debug(kComponent, "connection went stale; reconnecting", {{"error", sent.error().to_json()}});
        }
    }

    // Opens the publisher and declares the topology on it: the exchange (consumers elsewhere bind to
    // it) and the dead-letter queue. Every (re)connection does, as a broker that came back may have
    // lost them (a new node, a wiped data directory). Requires: publish_mutex is held.
    Result<void> open_publisher() {
        auto opened = connect(publisher, false, "tessera publisher");
        if (opened) opened = publisher.open_channel(kChannel);
        if (opened) opened = publisher.confirm_select(kChannel);
        if (opened) opened = publisher.declare_exchange(kChannel, options.exchange);
        if (opened) {
            auto dlq = declare_dead_letter_queue(publisher);
            if (!dlq) opened = std::move(dlq).error();
        }
        if (opened && publisher_failed) {
            ++counters.reconnects;
            log::info(kComponent, "publisher connected again", {{"broker", address.display()}});
        }
        return opened;
    }

    // Makes sure the publisher can publish: an open one is asked one cheap question (exchange.declare,
    // which also puts back an exchange someone deleted), a closed or failed one is opened again.
    // Records the outcome in `connected`. Requires: publish_mutex is held.
    Result<void> keep_publisher() {
        Result<void> kept;
        if (publisher.is_open()) {
            // Within connect_timeout, not confirm_timeout: a broker that stopped answering shows in
            // seconds, and the publishes this holds back wait no longer than that.
            publisher.set_rpc_timeout(options.connect_timeout);
            kept = publisher.declare_exchange(kChannel, options.exchange);
            if (publisher.is_open()) publisher.set_rpc_timeout(options.confirm_timeout);
        }
        if (!publisher.is_open()) kept = open_publisher();
        if (!kept) {
            publisher.close(false);
            publisher_failed = true;
            if (connected.exchange(false)) {
                log::warn(kComponent, "lost the broker; reconnecting in the background",
                          {{"broker", address.display()}, {"error", kept.error().to_json()}});
            }
            return kept;
        }
        publisher_failed = false;
        proven_at = std::chrono::steady_clock::now();
        connected = true;
        return kept;
    }

    // The keeper thread (started by connect()): while the bus lives, checks the publisher every
    // check_interval when idle and reconnects it with the reconnect backoff when it is down, so
    // `connected` stays current and a broker that came back gets the topology without a publish.
    void run_keeper() noexcept {
        internal::block_async_signals();
        auto delay = options.reconnect_delay;
        std::unique_lock lock(keeper_mutex);
        while (!keeper_stopping) {
            lock.unlock();
            bool up = false;
            try {
                up = keep_if_idle();
            } catch (...) {
                // Only allocation can throw here; the next round tries again.
                up = false;
            }
            lock.lock();
            if (keeper_stopping) break;
            const auto wait = up ? options.check_interval : delay;
            delay = up ? options.reconnect_delay : std::min(delay * 2, options.max_reconnect_delay);
            keeper_wake.wait_for(lock, wait, [&] { return keeper_stopping; });
        }
    }

    // One round of the keeper; returns whether the bus can publish.
    bool keep_if_idle() {
        std::unique_lock lock(publish_mutex, std::try_to_lock);
        // A publish in flight tells connected itself when it ends; the keeper does not queue behind it.
        if (!lock.owns_lock()) return connected;
        // A publish confirmed this recently proves the connection: no question needed.
        if (publisher.is_open() && std::chrono::steady_clock::now() - proven_at < options.check_interval) return true;
        return static_cast<bool>(keep_publisher());
    }

    void start_keeper() {
        std::lock_guard lock(keeper_mutex);
        if (keeper.joinable() || keeper_stopping || options.check_interval.count() <= 0) return;
        keeper = std::thread([this] { run_keeper(); });
    }

    void stop_keeper() noexcept {
        {
            std::lock_guard lock(keeper_mutex);
            keeper_stopping = true;
        }
        keeper_wake.notify_all();
        if (keeper.joinable()) keeper.join();
    }

    // The durable dead-letter queue (idempotent; the broker answers with its message count).
    Result<amqp::Connection::Queue> declare_dead_letter_queue(amqp::Connection& connection) const {
        return connection.declare_queue(kChannel, options.dead_letter_queue, true, {kQuorum});
    }

    // Connects `c` and puts its queues in place: exchange, dead-letter queue, its queue, its delay
    // queue, the binding, the prefetch, the consumer.
    Result<void> set_up(Consumer& c) {
        auto& conn = c.connection;
        const bool named = !c.options.name.empty();
        auto done = connect(conn, true, "tessera consumer " + (named ? c.options.name : c.pattern));
        if (done) done = conn.open_channel(kChannel);
        if (done) done = conn.declare_exchange(kChannel, options.exchange);
        if (done) {
            auto dlq = declare_dead_letter_queue(conn);
            if (!dlq) done = std::move(dlq).error();
        }
        if (done) {
            auto queue = named ? conn.declare_queue(kChannel, c.options.name, true, {kQuorum})
                               : conn.declare_queue(kChannel, "", false);
            if (queue) {
                c.queue = queue->name;
            } else {
                done = std::move(queue).error();
            }
        }
        if (done) {
            // Expired retries go back to the subscription's queue through the default exchange; a
            // quorum queue does that at least once when told so (which needs reject-publish). A
            // server-named queue's delay queue is a classic one that outlives it by an hour at most.
            std::vector<std::pair<std::string, std::string>> strings{{"x-dead-letter-exchange", ""},
                                                                     {"x-dead-letter-routing-key", c.queue}};
            std::vector<std::pair<std::string, std::int64_t>> ints;
            if (named) {
                strings.push_back(kQuorum);
                strings.emplace_back("x-dead-letter-strategy", "at-least-once");
                strings.emplace_back("x-overflow", "reject-publish");
            } else {
                ints.emplace_back("x-expires", 3'600'000);
            }
            auto retry = conn.declare_queue(kChannel, retry_queue_name(c.queue), named, strings, ints);
            if (!retry) done = std::move(retry).error();
        }
        if (done) done = conn.bind_queue(kChannel, c.queue, options.exchange, c.pattern);
        if (done) done = conn.qos(kChannel, c.options.prefetch);
        if (done) done = conn.consume(kChannel, c.queue);
        return done;
    }

    void run_consumer(const std::shared_ptr<Consumer>& consumer) noexcept {
        internal::block_async_signals();
        Consumer& c = *consumer;
        auto delay = options.reconnect_delay;
        while (!c.stopping) {
            try {
                if (!c.connection.is_open()) {
                    auto set_up_again = set_up(c);
                    if (!set_up_again) {
                        log::warn(kComponent, "cannot subscribe; retrying",
                                  {{"queue", c.options.name},
                                   {"retry_ms", delay.count()},
                                   {"error", set_up_again.error().to_json()}});
                        std::unique_lock lock(c.mutex);
                        c.wake.wait_for(lock, delay, [&] { return c.stopping.load(); });
                        delay = std::min(delay * 2, options.max_reconnect_delay);
                        continue;
                    }
                    ++counters.reconnects;
                    delay = options.reconnect_delay;
                    log::info(kComponent, "consumer connected again", {{"queue", c.queue}});
                }
                auto delivery = c.connection.next_delivery(kPoll);
                if (delivery && !*delivery) continue;
                Result<void> handled = delivery ? handle(c, **delivery) : Result<void>(std::move(delivery).error());
                if (!handled) {
                    // The broker puts back what we did not acknowledge when the connection goes.
                    log::warn(kComponent, "consumer connection lost; reconnecting",
                              {{"queue", c.queue}, {"error", handled.error().to_json()}});
                    c.connection.close(false);
                    c.republisher.close(false);
                }
            } catch (const std::exception& e) {
                log::error(kComponent, "consumer failed; reconnecting", {{"queue", c.queue}, {"what", e.what()}});
                c.connection.close(false);
                c.republisher.close(false);
            }
        }
        c.connection.close();
        c.republisher.close();
    }

    // Runs the handler for one delivery, then acknowledges it — after the broker has confirmed its
    // retry or dead-letter copy, if it failed.
    Result<void> handle(Consumer& c, const amqp::Received& message) {
        const auto previous = std::clamp<std::int64_t>(message.int_header(kAttemptsHeader, 0), 0, 1'000'000);
        std::uint32_t attempt = static_cast<std::uint32_t>(previous) + 1;
        std::string error;
        auto event = CloudEvent::from_json(message.body);
        if (!event) {
            error = event.error().message();
            attempt = std::max(attempt, c.options.max_attempts);  // retrying cannot make it readable
        } else {
            try {
                const bool redelivered =
                    message.redelivered || attempt > 1 || message.int_header(kReplayedHeader, 0) > 0;
                c.handler(Delivery{std::move(*event), c.queue, attempt, redelivered});  // not read again
                ++counters.delivered;
                return c.connection.ack(kChannel, message.delivery_tag);
            } catch (const std::exception& e) {
                error = e.what();
            } catch (...) {
                error = "unknown exception";
            }
        }
        const std::string original_key = message.string_header(kRoutingKeyHeader).empty()
                                             ? message.routing_key
                                             : message.string_header(kRoutingKeyHeader);
        const std::string retry_queue = retry_queue_name(c.queue);
        amqp::Message copy;
        copy.body = message.body;
        copy.message_id = message.message_id;
        if (!message.content_type.empty()) copy.content_type = message.content_type;
        copy.timestamp = message.timestamp;
        copy.string_headers = {{std::string(kRoutingKeyHeader), original_key}};
        copy.int_headers = {{std::string(kAttemptsHeader), attempt}};
        const bool park = attempt >= c.options.max_attempts;
        if (park) {
            copy.routing_key = options.dead_letter_queue;
            if (error.size() > kMaxErrorText) error.resize(kMaxErrorText);
            copy.string_headers.emplace_back(kSubscriptionHeader, c.queue);
            copy.string_headers.emplace_back(kErrorHeader, error);
            copy.string_headers.emplace_back(kFailedAtHeader, common::format_rfc3339(std::chrono::system_clock::now()));
        } else {
            copy.routing_key = retry_queue;
            copy.expiration =
                std::to_string(internal::backoff(c.options.retry_delay, c.options.max_retry_delay, attempt).count());
        }
        auto open = [&]() -> Result<void> {
            auto opened = connect(c.republisher, false, "tessera republisher " + c.queue);
            if (opened) opened = c.republisher.open_channel(kChannel);
            if (opened) opened = c.republisher.confirm_select(kChannel);
            return opened;
        };
        auto copied = publish_confirmed(c.republisher, open, std::span(&copy, 1));
        if (!copied) return std::move(copied).error();
        if (park) {
            ++counters.dead_lettered;
            log::warn(kComponent, "event dead-lettered",
                      {{"queue", c.queue}, {"event", message.message_id}, {"attempts", attempt}, {"error", error}});
        } else {
            ++counters.retried;
            log::debug(kComponent, "handler failed; retrying later",
                       {{"queue", c.queue}, {"event", message.message_id}, {"attempt", attempt}, {"error", error}});
        }
        return c.connection.ack(kChannel, message.delivery_tag);
    }

    void cancel(const std::shared_ptr<Consumer>& c) {
        {
            std::lock_guard lock(c->mutex);
            c->stopping = true;
        }
        c->wake.notify_all();
        if (std::this_thread::get_id() == c->thread.get_id()) return;  // from its own handler: it ends after it
        {
            std::lock_guard lock(c->join_mutex);
            if (c->thread.joinable()) c->thread.join();
        }
        std::lock_guard lock(consumers_mutex);
        std::erase(consumers, c);
    }

    // Requires: admin_mutex is held.
    Result<void> open_admin() {
        if (admin.is_open()) return {};
        const auto now = std::chrono::steady_clock::now();
        // Metrics scrapes ask for the dead-letter count: while the broker is down, answer at once.
        if (admin_error && now < admin_retry_at) return *admin_error;
        auto opened = connect(admin, false, "tessera admin");
        if (opened) opened = admin.open_channel(kChannel);
        if (opened) opened = admin.confirm_select(kChannel);
        if (opened) {
            // Before any subscriber declared it, the dead-letter queue is simply empty.
            auto dlq = declare_dead_letter_queue(admin);
            if (!dlq) opened = std::move(dlq).error();
        }
        if (!opened) {
            admin_error = opened.error();
            admin_retry_at = now + options.max_reconnect_delay;
            return opened;
        }
        admin_error.reset();
        return {};
    }

    // Sends one dead-letter queue message back to its subscription's queue and, once the broker
    // confirmed that, removes it from the dead-letter queue. Requires: admin_mutex is held.
    Result<void> send_back(const amqp::Received& message, const DeadLetter& letter) {
        amqp::Message copy;
        copy.exchange = "";
        copy.routing_key = letter.subscription;
        copy.body = message.body;
        copy.message_id = message.message_id;
        if (!message.content_type.empty()) copy.content_type = message.content_type;
        copy.timestamp = message.timestamp;
        copy.mandatory = true;  // a queue that is gone must not swallow it
        copy.int_headers = {{std::string(kReplayedHeader), 1}};
        const auto deadline = std::chrono::steady_clock::now() + options.confirm_timeout;
        const std::uint64_t tag = admin.next_tag();
        if (auto published = admin.publish(kChannel, copy); !published) return published;
        auto returned = admin.wait_confirms(kChannel, tag, tag, deadline);
        if (!returned) return std::move(returned).error();
        if (*returned > 0) {
            return Error(ErrorCode::not_found,
                         "queue '" + letter.subscription + "' does not exist (any more); the dead letter stays",
                         {{"id", letter.id}, {"subscription", letter.subscription}});
        }
        return admin.ack(kChannel, message.delivery_tag);
    }

    // What a visitor of the dead-letter queue did with a message.
    struct Visit {
        bool removed = false;  // acknowledged (it left the queue)
        bool stop = false;     // look no further
    };

    // Reads the dead-letter queue (at most `limit` messages) calling `visit` on each, then puts back
    // what was not removed, in place. Requires: admin_mutex is held.
    Result<void> scan_dead_letters(
        std::size_t limit, const std::function<Result<Visit>(const amqp::Received&, const DeadLetter&)>& visit) {
        if (auto opened = open_admin(); !opened) return opened;
        // basic.nack "multiple" needs an outstanding tag: the last one we hold, not one we acked.
        std::uint64_t last_held = 0;
        Result<void> outcome;
        for (std::size_t i = 0; i < limit; ++i) {
            auto message = admin.get(kChannel, options.dead_letter_queue);
            if (!message) return std::move(message).error();  // closed: the broker requeues everything
            if (!*message) break;
            auto visited = visit(**message, to_dead_letter(**message));
            if (!visited) {
                outcome = std::move(visited).error();
                if (admin.is_open()) last_held = (*message)->delivery_tag;
                break;
            }
            if (!visited->removed) last_held = (*message)->delivery_tag;
            if (visited->stop) break;
        }
        if (last_held > 0 && admin.is_open()) {
            if (auto requeued = admin.requeue_up_to(kChannel, last_held); !requeued) return requeued;
        }
        return outcome;
    }

    void stop_all() noexcept {
        std::vector<std::shared_ptr<Consumer>> all;
        {
            std::lock_guard lock(consumers_mutex);
            all = consumers;
        }
        for (const auto& c : all) cancel(c);
        std::lock_guard publish_lock(publish_mutex);
        publisher.close();
        std::lock_guard admin_lock(admin_mutex);
        admin.close();
    }

    amqp::Address address;
    BusOptions options;

    std::mutex publish_mutex;  // guards publisher, publisher_failed and proven_at
    amqp::Connection publisher;
    bool publisher_failed = false;
    std::chrono::steady_clock::time_point proven_at{};  // the broker last answered the publisher

    std::mutex keeper_mutex;  // guards keeper (its start) and keeper_stopping
    std::condition_variable keeper_wake;
    bool keeper_stopping = false;
    std::thread keeper;

    std::mutex admin_mutex;  // guards admin, admin_error, admin_retry_at
    amqp::Connection admin;
    std::optional<Error> admin_error;
    std::chrono::steady_clock::time_point admin_retry_at{};

    std::mutex consumers_mutex;
    std::vector<std::shared_ptr<Consumer>> consumers;

    internal::Counters counters;
    std::atomic<bool> connected{false};  // BusStats::connected: set by publishes and the keeper
};

Result<std::unique_ptr<EventBus>> AmqpBus::open(std::string_view url, const BusOptions& options) {
    auto address = amqp::parse_url(url);
    if (!address) return std::move(address).error();
    return std::unique_ptr<EventBus>(new AmqpBus(std::make_shared<Impl>(std::move(*address), options)));
}

AmqpBus::AmqpBus(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

AmqpBus::~AmqpBus() {
    impl_->stop_keeper();  // first: it uses the publisher that stop_all closes
    impl_->stop_all();
}

Result<void> AmqpBus::connect() {
    auto& impl = *impl_;
    Result<void> kept;
    {
        std::lock_guard lock(impl.publish_mutex);
        kept = impl.keep_publisher();
    }
    // Even after a failure: the keeper is what picks the broker up when it comes.
    impl.start_keeper();
    return kept;
}

Result<void> AmqpBus::publish(std::span<const CloudEvent> batch) {
    if (batch.empty()) return {};
    auto& impl = *impl_;
    // The bodies and keys must live until the confirms are in: Message only views them.
    std::vector<std::string> bodies;
    std::vector<std::string> keys;
    std::vector<amqp::Message> messages;
    bodies.reserve(batch.size());
    keys.reserve(batch.size());
    messages.reserve(batch.size());
    for (const auto& event : batch) {
        bodies.push_back(event.to_json());
        keys.push_back(event.routing_key());
        amqp::Message message;
        message.exchange = impl.options.exchange;
        message.routing_key = keys.back();
        message.body = bodies.back();
        message.message_id = event.id;
        message.timestamp = std::chrono::duration_cast<std::chrono::seconds>(event.time.time_since_epoch()).count();
        messages.push_back(std::move(message));
    }
    std::lock_guard lock(impl.publish_mutex);
    auto sent = impl.publish_confirmed(
        impl.publisher, [&] { return impl.open_publisher(); }, messages);
    impl.connected = impl.publisher.is_open();
    if (!sent) {
        impl.publisher_failed = true;
        return std::move(sent).error();
    }
    impl.publisher_failed = false;
    impl.proven_at = std::chrono::steady_clock::now();
    impl.counters.published += batch.size();
    return {};
}

Result<Subscription> AmqpBus::subscribe(std::string_view pattern, Handler handler, const SubscribeOptions& options) {
    if (auto valid = internal::check_subscription(pattern, handler, options); !valid) return std::move(valid).error();
    auto consumer = std::make_shared<Consumer>();
    consumer->pattern = std::string(pattern);
    consumer->handler = std::move(handler);
    consumer->options = options;
    if (consumer->options.prefetch == 0) consumer->options.prefetch = 1;
    // Set up here, so events published once subscribe() returned reach the queue.
    if (auto set_up = impl_->set_up(*consumer); !set_up) return std::move(set_up).error();
    // The thread may use the Impl by raw pointer: the bus joins every consumer before the Impl goes.
    consumer->thread = std::thread([impl = impl_.get(), consumer] { impl->run_consumer(consumer); });
    {
        std::lock_guard lock(impl_->consumers_mutex);
        impl_->consumers.push_back(consumer);
    }
    std::weak_ptr<Impl> weak = impl_;
    return make_subscription(consumer->queue, [weak, consumer] {
        if (auto impl = weak.lock()) {
            impl->cancel(consumer);
        } else {
            consumer->stopping = true;  // the bus joined its thread already
        }
    });
}

Result<std::vector<DeadLetter>> AmqpBus::dead_letters(std::size_t limit) {
    std::vector<DeadLetter> out;
    std::lock_guard lock(impl_->admin_mutex);
    auto scanned =
        impl_->scan_dead_letters(limit, [&](const amqp::Received&, const DeadLetter& letter) -> Result<Impl::Visit> {
            out.push_back(letter);
            return Impl::Visit{};
        });
    if (!scanned) return std::move(scanned).error();
    return out;
}

Result<std::uint64_t> AmqpBus::dead_letter_count() {
    std::lock_guard lock(impl_->admin_mutex);
    if (auto opened = impl_->open_admin(); !opened) return std::move(opened).error();
    auto queue = impl_->declare_dead_letter_queue(impl_->admin);
    if (!queue) return std::move(queue).error();
    return static_cast<std::uint64_t>(queue->messages);
}

Result<void> AmqpBus::replay(std::string_view id) {
    std::lock_guard lock(impl_->admin_mutex);
    bool found = false;
    auto scanned = impl_->scan_dead_letters(
        internal::kReplayAllLimit, [&](const amqp::Received& message, const DeadLetter& letter) -> Result<Impl::Visit> {
            if (letter.id != id) return Impl::Visit{};
            found = true;
            if (auto sent = impl_->send_back(message, letter); !sent) return std::move(sent).error();
            return Impl::Visit{true, true};
        });
    if (!scanned) return scanned;
    if (!found) return Error(ErrorCode::not_found, "no dead letter '" + std::string(id) + "'", {{"id", id}});
    log::info(kComponent, "dead letter replayed", {{"id", id}});
    return {};
}

Result<std::size_t> AmqpBus::replay_all() {
    std::lock_guard lock(impl_->admin_mutex);
    std::size_t replayed = 0;
    auto scanned = impl_->scan_dead_letters(
        internal::kReplayAllLimit, [&](const amqp::Received& message, const DeadLetter& letter) -> Result<Impl::Visit> {
            auto sent = impl_->send_back(message, letter);
            if (sent) {
                ++replayed;
                return Impl::Visit{true, false};
            }
            if (sent.error().code() != ErrorCode::not_found) return std::move(sent).error();
            return Impl::Visit{};  // its queue is gone: it stays
        });
    if (!scanned) return std::move(scanned).error();
    if (replayed > 0) log::info(kComponent, "dead letters replayed", {{"count", replayed}});
    return replayed;
}

BusStats AmqpBus::stats() const {
    return impl_->counters.snapshot(impl_->connected);
}

}  // namespace tessera::events
