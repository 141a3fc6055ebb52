#pragma once
// Private: one rabbitmq-c connection and the AMQP 0-9-1 operations the bus needs, with every
// rabbitmq-c failure converted here, once, into a tessera::Error (`details.backend.amqp` keeps the
// library status or the broker's reply code and text). A connection is used by one thread at a
// time. After any failure it is closed: callers open a new one (the broker may have restarted, and
// a channel that saw an error is unusable anyway).

#include <tessera/result.hpp>

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::events::amqp {

/// Where and as whom to connect, from an amqp:// URL.
struct Address {
    std::string host;
    int port = 5672;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";

    /// "amqp://user@host:port/vhost" (no password), for logs and errors.
    std::string display() const;
};

/// Parses `amqp://[user[:password]@]host[:port][/vhost]` (percent-decoded; an empty path is vhost
/// "/"). Errors: `invalid`.
Result<Address> parse_url(std::string_view url);

/// rabbitmq-c status → Error: `timeout` for AMQP_STATUS_TIMEOUT, `internal` for out-of-memory,
/// `unavailable` for the rest (the connection is unusable).
Error status_error(std::string_view what, int status);

/// An RPC reply that is not normal → Error (a broker's connection.close / channel.close maps 403
/// and 530 to `forbidden`, 404 to `not_found`, 406 to `conflict`, the rest to `unavailable`).
Error reply_error(std::string_view what, const amqp_rpc_reply_t& reply);

inline amqp_bytes_t to_bytes(std::string_view text) noexcept {
    return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}
inline std::string to_string(amqp_bytes_t bytes) {
    return bytes.bytes == nullptr ? std::string() : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

/// A message to publish: body plus the properties the bus uses.
struct Message {
    std::string_view exchange;
    std::string_view routing_key;
    std::string_view body;
    std::string_view message_id;
    std::string_view content_type = "application/cloudevents+json";
    std::int64_t timestamp = 0;  ///< Seconds since the epoch; 0 = none.
    std::string expiration;      ///< Per-message TTL in ms ("" = none).
    std::vector<std::pair<std::string, std::string>> string_headers;
    std::vector<std::pair<std::string, std::int64_t>> int_headers;
    bool mandatory = false;
};

/// A message read with basic.get or received by a consumer, copied out of rabbitmq-c's buffers.
struct Received {
    std::uint64_t delivery_tag = 0;
    bool redelivered = false;
    std::string routing_key;
    std::string body;
    std::string message_id;
    std::string content_type;
    std::int64_t timestamp = 0;
    std::vector<std::pair<std::string, std::string>> string_headers;
    std::vector<std::pair<std::string, std::int64_t>> int_headers;

    std::string string_header(std::string_view name) const;
    std::int64_t int_header(std::string_view name, std::int64_t fallback) const;
};

class Connection {
public:
    Connection() = default;
    ~Connection() { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Connects (TCP connect and AMQP handshake each bounded by `timeout`) and logs in; RPCs then time
    /// out after `rpc_timeout`. `heartbeat` 0 disables heartbeats. `name` shows in the broker's
    /// connection list. Errors: `unavailable`, `timeout`, `forbidden` (bad credentials or vhost).
    Result<void> open(const Address& address,
                      std::chrono::milliseconds timeout,
                      std::chrono::milliseconds rpc_timeout,
                      std::chrono::seconds heartbeat,
                      std::string_view name);
    bool is_open() const noexcept { return state_ != nullptr; }
    /// From now on RPCs time out after `rpc_timeout`. Requires: open.
    void set_rpc_timeout(std::chrono::milliseconds rpc_timeout) noexcept;
    /// Closes politely (connection.close) if `graceful`, else just drops the socket. Idempotent.
    void close(bool graceful = true) noexcept;

    Result<void> open_channel(amqp_channel_t channel);
    /// Puts `channel` in confirm mode; publishes on it are numbered from 1 (`next_tag`).
    Result<void> confirm_select(amqp_channel_t channel);
    Result<void> declare_exchange(amqp_channel_t channel, std::string_view name);  // durable topic
    struct Queue {
        std::string name;
        std::uint32_t messages = 0;
    };
    /// Declares a queue; `name` "" lets the broker name it (then exclusive and auto-delete). Arguments
    /// are strings or integers. Returns its name and ready message count.
    Result<Queue> declare_queue(amqp_channel_t channel,
                                std::string_view name,
                                bool durable,
                                const std::vector<std::pair<std::string, std::string>>& string_args = {},
                                const std::vector<std::pair<std::string, std::int64_t>>& int_args = {});
    Result<void> bind_queue(amqp_channel_t channel,
                            std::string_view queue,
                            std::string_view exchange,
                            std::string_view key);
    Result<void> qos(amqp_channel_t channel, std::uint16_t prefetch);
    Result<void> consume(amqp_channel_t channel, std::string_view queue);

    /// Sends one message (basic.publish). On a channel in confirm mode it gets tag `next_tag()` (then
    /// incremented). Errors: `unavailable` (the connection is then closed).
    Result<void> publish(amqp_channel_t channel, const Message& message);
    std::uint64_t next_tag() const noexcept { return next_tag_; }

    /// Waits until the broker confirmed every tag in [first, last] on `channel`, until `deadline`.
    /// Returns how many basic.return (unroutable mandatory messages) arrived meanwhile. Errors:
    /// `unavailable` (a nack — the broker could not take a message — or the connection failed),
    /// `timeout`. Any error closes the connection.
    Result<std::size_t> wait_confirms(amqp_channel_t channel,
                                      std::uint64_t first,
                                      std::uint64_t last,
                                      std::chrono::steady_clock::time_point deadline);

    /// basic.get without auto-ack; std::nullopt when the queue is empty.
    Result<std::optional<Received>> get(amqp_channel_t channel, std::string_view queue);

    /// Waits up to `timeout` for the next delivery to a consumer. std::nullopt on timeout. Errors:
    /// the connection failed or the broker closed the channel or cancelled the consumer.
    Result<std::optional<Received>> next_delivery(std::chrono::milliseconds timeout);

    Result<void> ack(amqp_channel_t channel, std::uint64_t delivery_tag);
    /// Requeues every unacknowledged message of `channel` up to `delivery_tag` (basic.nack multiple,
    /// requeue): they go back to their places in the queue.
    Result<void> requeue_up_to(amqp_channel_t channel, std::uint64_t delivery_tag);

private:
    // The reply of the last RPC; on failure the connection is closed.
    Result<void> check(std::string_view what);
    Error fail(Error error) noexcept;

    amqp_connection_state_t state_ = nullptr;
    std::uint64_t next_tag_ = 1;
};

}  // namespace tessera::events::amqp
