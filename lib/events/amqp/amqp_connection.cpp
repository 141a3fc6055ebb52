#include "events/amqp/amqp_connection.hpp"

#include "events/common.hpp"

#include <amqp_tcp_socket.h>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace tessera::events::amqp {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) noexcept {
    if (ms.count() < 1) ms = std::chrono::milliseconds(1);
    return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

Error bad_url(std::string_view url, std::string why) {
    const std::string shown = internal::redact_url(url);  // errors end up in logs: no password there
    return Error(ErrorCode::invalid, "bad bus URL '" + shown + "': " + why, {{"url", shown}});
}

// Builds an amqp_table_t over `entries`, which must outlive its use.
amqp_table_t make_table(std::vector<amqp_table_entry_t>& entries,
                        const std::vector<std::pair<std::string, std::string>>& strings,
                        const std::vector<std::pair<std::string, std::int64_t>>& ints) {
    entries.clear();
    for (const auto& [key, value] : strings) {
        amqp_table_entry_t entry{};
        entry.key = to_bytes(key);
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = to_bytes(value);
        entries.push_back(entry);
    }
    for (const auto& [key, value] : ints) {
        amqp_table_entry_t entry{};
        entry.key = to_bytes(key);
        entry.value.kind = AMQP_FIELD_KIND_I64;
        entry.value.value.i64 = value;
        entries.push_back(entry);
    }
    return amqp_table_t{static_cast<int>(entries.size()), entries.empty() ? nullptr : entries.data()};
}

void copy_properties(const amqp_basic_properties_t& p, Received& out) {
    if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) out.message_id = to_string(p.message_id);
    if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) out.content_type = to_string(p.content_type);
    if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG) out.timestamp = static_cast<std::int64_t>(p.timestamp);
    if (!(p._flags & AMQP_BASIC_HEADERS_FLAG)) return;
    for (int i = 0; i < p.headers.num_entries; ++i) {
        const auto& entry = p.headers.entries[i];
        std::string key = to_string(entry.key);
        const auto& v = entry.value.value;
        // The broker may re-encode integers with another width than we sent: accept them all.
        switch (entry.value.kind) {
            case AMQP_FIELD_KIND_UTF8:
            case AMQP_FIELD_KIND_BYTES:
                out.string_headers.emplace_back(std::move(key), to_string(v.bytes));
                break;
            case AMQP_FIELD_KIND_I8:
                out.int_headers.emplace_back(std::move(key), v.i8);
                break;
            case AMQP_FIELD_KIND_U8:
                out.int_headers.emplace_back(std::move(key), v.u8);
                break;
            case AMQP_FIELD_KIND_I16:
                out.int_headers.emplace_back(std::move(key), v.i16);
                break;
            case AMQP_FIELD_KIND_U16:
                out.int_headers.emplace_back(std::move(key), v.u16);
                break;
            case AMQP_FIELD_KIND_I32:
                out.int_headers.emplace_back(std::move(key), v.i32);
                break;
            case AMQP_FIELD_KIND_U32:
                out.int_headers.emplace_back(std::move(key), v.u32);
                break;
            case AMQP_FIELD_KIND_I64:
                out.int_headers.emplace_back(std::move(key), v.i64);
                break;
            case AMQP_FIELD_KIND_U64:
                out.int_headers.emplace_back(std::move(key), static_cast<std::int64_t>(v.u64));
                break;
            default:
                break;  // x-death and friends: tables and arrays we do not need
        }
    }
}

void copy_message(const amqp_message_t& message, Received& out) {
    copy_properties(message.properties, out);
    out.body = to_string(message.body);
}

// A method frame the broker sent instead of what we waited for, as an RPC reply (for reply_error).
amqp_rpc_reply_t server_reply(const amqp_method_t& method) {
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    reply.reply = method;
    return reply;
}

}  // namespace

std::string Address::display() const {
    return "amqp://" + user + "@" + host + ":" + std::to_string(port) + "/" + (vhost == "/" ? "%2F" : vhost);
}

Result<Address> parse_url(std::string_view url) {
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return bad_url(url, parsed.error().message());
    const boost::urls::url_view u = *parsed;
    if (u.scheme() != "amqp") return bad_url(url, "the scheme must be amqp");
    Address address;
    address.host = u.host_address();
    if (address.host.empty()) return bad_url(url, "amqp:// needs a host");
    if (u.has_port()) {
        const auto text = u.port();
        int port = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > 65535) {
            return bad_url(url, "port must be 1..65535");
        }
        address.port = port;
    }
    if (u.has_userinfo()) {
        address.user = u.user();
        address.password = u.has_password() ? std::string(u.password()) : std::string();
    }
    // RabbitMQ's URI spec: the path is one percent-encoded segment naming the vhost ("%2F" is "/").
    const std::string_view path = u.encoded_path();
    if (!path.empty() && path != "/") {
        const auto segments = u.segments();
        if (segments.size() != 1) return bad_url(url, "the path must be one segment: the vhost (%2F for \"/\")");
        address.vhost = *segments.begin();
    }
    if (u.has_query() || u.has_fragment()) return bad_url(url, "amqp:// takes no query or fragment");
    return address;
}

Error status_error(std::string_view what, int status) {
    const ErrorCode code = status == AMQP_STATUS_TIMEOUT     ? ErrorCode::timeout
                           : status == AMQP_STATUS_NO_MEMORY ? ErrorCode::internal
                                                             : ErrorCode::unavailable;
    const char* text = amqp_error_string2(status);
    return Error(code, std::string(what) + ": " + (text != nullptr ? text : "unknown rabbitmq-c error"),
                 {{"backend", {{"amqp", {{"status", status}, {"message", text != nullptr ? text : ""}}}}}});
}

Error reply_error(std::string_view what, const amqp_rpc_reply_t& reply) {
    switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return Error(ErrorCode::internal, std::string(what) + ": no error to report");
        case AMQP_RESPONSE_NONE:
            return Error(ErrorCode::unavailable, std::string(what) + ": the broker closed the connection");
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return status_error(what, reply.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            break;
    }
    int reply_code = 0;
    std::string reply_text;
    int class_id = 0;
    int method_id = 0;
    const char* scope = "broker";
    // connection.close and channel.close carry the same fields.
    auto read = [&](const auto* close, const char* closed) {
        reply_code = close->reply_code;
        reply_text = to_string(close->reply_text);
        class_id = close->class_id;
        method_id = close->method_id;
        scope = closed;
    };
    if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD && reply.reply.decoded != nullptr) {
        read(static_cast<const amqp_connection_close_t*>(reply.reply.decoded), "connection");
    } else if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD && reply.reply.decoded != nullptr) {
        read(static_cast<const amqp_channel_close_t*>(reply.reply.decoded), "channel");
    }
    // AMQP 0-9-1 reply codes: 403 ACCESS_REFUSED, 404 NOT_FOUND, 406 PRECONDITION_FAILED, 530 NOT_ALLOWED.
    const ErrorCode code = reply_code == 403 || reply_code == 530 ? ErrorCode::forbidden
                           : reply_code == 404                    ? ErrorCode::not_found
                           : reply_code == 406                    ? ErrorCode::conflict
                                                                  : ErrorCode::unavailable;
    return Error(
        code,
        std::string(what) + ": " + (reply_text.empty() ? "the broker closed the " + std::string(scope) : reply_text),
        {{"backend",
          {{"amqp",
            {{"closed", scope},
             {"reply_code", reply_code},
             {"reply_text", reply_text},
             {"class_id", class_id},
             {"method_id", method_id}}}}}});
}

std::string Received::string_header(std::string_view name) const {
    for (const auto& [key, value] : string_headers) {
        if (key == name) return value;
    }
    return {};
}

std::int64_t Received::int_header(std::string_view name, std::int64_t fallback) const {
    for (const auto& [key, value] : int_headers) {
        if (key == name) return value;
    }
    return fallback;
}

Result<void> Connection::open(const Address& address,
                              std::chrono::milliseconds timeout,
                              std::chrono::milliseconds rpc_timeout,
                              std::chrono::seconds heartbeat,
                              std::string_view name) {
    close(false);
    state_ = amqp_new_connection();
    if (state_ == nullptr) return Error(ErrorCode::internal, "cannot allocate an AMQP connection");
    amqp_socket_t* socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr) return fail(Error(ErrorCode::internal, "cannot allocate an AMQP socket"));
    const timeval connect_tv = to_timeval(timeout);
    const std::string where = address.display();
    if (const int rc = amqp_socket_open_noblock(socket, address.host.c_str(), address.port, &connect_tv);
        rc != AMQP_STATUS_OK) {
        return fail(status_error("cannot connect to " + where, rc));
    }
    amqp_set_handshake_timeout(state_, &connect_tv);
    const timeval rpc_tv = to_timeval(rpc_timeout);
    amqp_set_rpc_timeout(state_, &rpc_tv);

    // The table points into these strings: they must live until the login is done.
    const std::vector<std::pair<std::string, std::string>> client_properties{{"connection_name", std::string(name)},
                                                                             {"product", "tessera"}};
    std::vector<amqp_table_entry_t> entries;
    const amqp_table_t properties = make_table(entries, client_properties, {});
    const amqp_rpc_reply_t reply = amqp_login_with_properties(
        state_, address.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, static_cast<int>(heartbeat.count()), &properties,
        AMQP_SASL_METHOD_PLAIN, address.user.c_str(), address.password.c_str());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) return fail(reply_error("cannot log in to " + where, reply));
    next_tag_ = 1;
    return {};
}

void Connection::set_rpc_timeout(std::chrono::milliseconds rpc_timeout) noexcept {
    const timeval tv = to_timeval(rpc_timeout);
    (void)amqp_set_rpc_timeout(state_, &tv);
}

void Connection::close(bool graceful) noexcept {
    if (state_ == nullptr) return;
    if (graceful) (void)amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(state_);
    state_ = nullptr;
}

Error Connection::fail(Error error) noexcept {
    close(false);
    return error;
}

Result<void> Connection::check(std::string_view what) {
    const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
    return fail(reply_error(what, reply));
}

Result<void> Connection::open_channel(amqp_channel_t channel) {
    amqp_channel_open(state_, channel);
    return check("cannot open a channel");
}

Result<void> Connection::confirm_select(amqp_channel_t channel) {
    amqp_confirm_select(state_, channel);
    next_tag_ = 1;
    return check("cannot enable publisher confirms");
}

Result<void> Connection::declare_exchange(amqp_channel_t channel, std::string_view name) {
    amqp_exchange_declare(state_, channel, to_bytes(name), amqp_cstring_bytes("topic"), /*passive=*/0, /*durable=*/1,
                          /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
    auto declared = check("cannot declare exchange '" + std::string(name) + "'");
    // The bus's keeper asks this every check_interval on an idle connection: free the replies'
    // memory, which rabbitmq-c otherwise keeps until something else releases it.
    if (declared) amqp_maybe_release_buffers(state_);
    return declared;
}

Result<Connection::Queue> Connection::declare_queue(amqp_channel_t channel,
                                                    std::string_view name,
                                                    bool durable,
                                                    const std::vector<std::pair<std::string, std::string>>& string_args,
                                                    const std::vector<std::pair<std::string, std::int64_t>>& int_args) {
    std::vector<amqp_table_entry_t> entries;
    const amqp_table_t arguments = make_table(entries, string_args, int_args);
    const bool server_named = name.empty();
    const auto* ok =
        amqp_queue_declare(state_, channel, to_bytes(name), /*passive=*/0, durable, /*exclusive=*/server_named,
                           /*auto_delete=*/server_named, arguments);
    if (ok == nullptr) {
        auto checked = check("cannot declare queue '" + std::string(name) + "'");
        return checked ? Error(ErrorCode::internal, "queue.declare gave no reply") : std::move(checked).error();
    }
    return Queue{to_string(ok->queue), ok->message_count};
}

Result<void> Connection::bind_queue(amqp_channel_t channel,
                                    std::string_view queue,
                                    std::string_view exchange,
                                    std::string_view key) {
    amqp_queue_bind(state_, channel, to_bytes(queue), to_bytes(exchange), to_bytes(key), amqp_empty_table);
    return check("cannot bind queue '" + std::string(queue) + "' to '" + std::string(key) + "'");
}

Result<void> Connection::qos(amqp_channel_t channel, std::uint16_t prefetch) {
    amqp_basic_qos(state_, channel, 0, prefetch, 0);
    return check("cannot set the prefetch count");
}

Result<void> Connection::consume(amqp_channel_t channel, std::string_view queue) {
    amqp_basic_consume(state_, channel, to_bytes(queue), amqp_empty_bytes, /*no_local=*/0, /*no_ack=*/0,
                       /*exclusive=*/0, amqp_empty_table);
    return check("cannot consume from queue '" + std::string(queue) + "'");
}

Result<void> Connection::publish(amqp_channel_t channel, const Message& message) {
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.content_type = to_bytes(message.content_type);
    props.delivery_mode = 2;  // persistent: written to disk in a durable queue before the confirm
    if (!message.message_id.empty()) {
        props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        props.message_id = to_bytes(message.message_id);
    }
    if (message.timestamp > 0) {
        props._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
        props.timestamp = static_cast<std::uint64_t>(message.timestamp);
    }
    if (!message.expiration.empty()) {
        props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
        props.expiration = to_bytes(message.expiration);
    }
    std::vector<amqp_table_entry_t> entries;
    if (!message.string_headers.empty() || !message.int_headers.empty()) {
        props._flags |= AMQP_BASIC_HEADERS_FLAG;
        props.headers = make_table(entries, message.string_headers, message.int_headers);
    }
    const int rc = amqp_basic_publish(state_, channel, to_bytes(message.exchange), to_bytes(message.routing_key),
                                      message.mandatory, /*immediate=*/0, &props, to_bytes(message.body));
    if (rc != AMQP_STATUS_OK) return fail(status_error("cannot publish", rc));
    ++next_tag_;
    return {};
}

Result<std::size_t> Connection::wait_confirms(amqp_channel_t channel,
                                              std::uint64_t first,
                                              std::uint64_t last,
                                              std::chrono::steady_clock::time_point deadline) {
    if (last < first) return std::size_t{0};
    std::vector<char> confirmed(last - first + 1, 0);
    std::size_t outstanding = confirmed.size();
    std::size_t returned = 0;
    bool nacked = false;
    auto mark = [&](std::uint64_t tag, bool multiple, bool ok) {
        const std::uint64_t from = multiple ? first : std::max(tag, first);
        for (std::uint64_t t = from; t <= tag && t <= last; ++t) {
            if (!confirmed[t - first]) {
                confirmed[t - first] = 1;
                --outstanding;
                if (!ok) nacked = true;
            }
        }
    };
    while (outstanding > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return fail(Error(ErrorCode::timeout,
                              "the broker did not confirm " + std::to_string(outstanding) + " message(s) in time"));
        timeval tv = to_timeval(left);
        amqp_frame_t frame;
        const int rc = amqp_simple_wait_frame_noblock(state_, &frame, &tv);
        if (rc != AMQP_STATUS_OK) return fail(status_error("waiting for publisher confirms", rc));
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        const amqp_method_t& method = frame.payload.method;
        if (method.id == AMQP_CONNECTION_CLOSE_METHOD || method.id == AMQP_CHANNEL_CLOSE_METHOD) {
            return fail(reply_error("waiting for publisher confirms", server_reply(method)));
        }
        if (frame.channel != channel) continue;
        if (method.id == AMQP_BASIC_ACK_METHOD) {
            const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
            mark(ack->delivery_tag, ack->multiple != 0, true);
        } else if (method.id == AMQP_BASIC_NACK_METHOD) {
            const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
            mark(nack->delivery_tag, nack->multiple != 0, false);
        } else if (method.id == AMQP_BASIC_RETURN_METHOD) {
            // An unroutable mandatory message comes back (header and body frames follow) before its ack.
            ++returned;
            amqp_message_t message;
            const amqp_rpc_reply_t reply = amqp_read_message(state_, channel, &message, 0);
            if (reply.reply_type != AMQP_RESPONSE_NORMAL) return fail(reply_error("reading a returned message", reply));
            amqp_destroy_message(&message);
        }
    }
    amqp_maybe_release_buffers(state_);
    if (nacked)
        return fail(Error(ErrorCode::unavailable, "the broker refused (nacked) a message",
                          {{"backend", {{"amqp", {{"nack", true}}}}}}));
    return returned;
}

Result<std::optional<Received>> Connection::get(amqp_channel_t channel, std::string_view queue) {
    amqp_rpc_reply_t reply = amqp_basic_get(state_, channel, to_bytes(queue), /*no_ack=*/0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        return fail(reply_error("cannot read queue '" + std::string(queue) + "'", reply));
    if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::optional<Received>();
    Received out;
    const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
    out.delivery_tag = ok->delivery_tag;
    out.redelivered = ok->redelivered != 0;
    out.routing_key = to_string(ok->routing_key);
    amqp_message_t message;
    reply = amqp_read_message(state_, channel, &message, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) return fail(reply_error("cannot read a message", reply));
    copy_message(message, out);
    amqp_destroy_message(&message);
    amqp_maybe_release_buffers(state_);
    return std::optional<Received>(std::move(out));
}

Result<std::optional<Received>> Connection::next_delivery(std::chrono::milliseconds timeout) {
    amqp_maybe_release_buffers(state_);
    amqp_envelope_t envelope;
    timeval tv = to_timeval(timeout);
    const amqp_rpc_reply_t reply = amqp_consume_message(state_, &envelope, &tv, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
        Received out;
        out.delivery_tag = envelope.delivery_tag;
        out.redelivered = envelope.redelivered != 0;
        out.routing_key = to_string(envelope.routing_key);
        copy_message(envelope.message, out);
        amqp_destroy_envelope(&envelope);
        return std::optional<Received>(std::move(out));
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) {
        return std::optional<Received>();
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // Something other than a delivery arrived; rabbitmq-c put it back for us to read.
        amqp_frame_t frame;
        if (const int rc = amqp_simple_wait_frame(state_, &frame); rc != AMQP_STATUS_OK) {
            return fail(status_error("reading from the broker", rc));
        }
        if (frame.frame_type == AMQP_FRAME_METHOD) {
            const amqp_method_t& method = frame.payload.method;
            if (method.id == AMQP_CONNECTION_CLOSE_METHOD || method.id == AMQP_CHANNEL_CLOSE_METHOD) {
                return fail(reply_error("consuming", server_reply(method)));
            }
            if (method.id == AMQP_BASIC_CANCEL_METHOD) {
                return fail(
                    Error(ErrorCode::unavailable, "the broker cancelled the consumer (was its queue deleted?)"));
            }
        }
        return std::optional<Received>();
    }
    return fail(reply_error("consuming", reply));
}

Result<void> Connection::ack(amqp_channel_t channel, std::uint64_t delivery_tag) {
    if (const int rc = amqp_basic_ack(state_, channel, delivery_tag, 0); rc != AMQP_STATUS_OK) {
        return fail(status_error("cannot acknowledge a message", rc));
    }
    return {};
}

Result<void> Connection::requeue_up_to(amqp_channel_t channel, std::uint64_t delivery_tag) {
    if (const int rc = amqp_basic_nack(state_, channel, delivery_tag, /*multiple=*/1, /*requeue=*/1);
        rc != AMQP_STATUS_OK) {
        return fail(status_error("cannot requeue messages", rc));
    }
    return {};
}

}  // namespace tessera::events::amqp
