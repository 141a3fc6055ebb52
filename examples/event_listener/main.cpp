// event_listener: a program of your own that receives what a tessera-server publishes.
//
// Start the server with a RabbitMQ bus, then this listener with the same broker URL:
//   tessera-server --bus amqp://guest:guest@127.0.0.1:5672/%2F
//   event_listener --queue my-listener amqp://guest:guest@127.0.0.1:5672/%2F
// Every write through the server's API (POST, PUT, PATCH, DELETE, and TTL expiry) then shows up here
// as one CloudEvents 1.0 JSON line on stdout:
//   {"specversion":"1.0","id":"42-0","source":"/tessera/plans","type":"tessera.plans.created",...}
//
// It shows the library used by another program: `EventBus::open` on the broker URL, `subscribe` with
// a routing pattern and a handler, acknowledgement when the handler returns (throwing would retry
// the event later and finally park it in the dead-letter queue, which the server's
// /api/_events/deadletters lists and replays), and a clean stop on SIGINT or SIGTERM.
#include <tessera/events/event_bus.hpp>
#include <tessera/log.hpp>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace {

using namespace tessera;

void print_help() {
    std::printf(
        "Usage: event_listener [--pattern PATTERN] [--queue NAME] AMQP_URL\n\n"
        "Prints every event a tessera-server publishes to the RabbitMQ broker at AMQP_URL\n"
        "(amqp://user:pass@host:port/vhost, the server's --bus) as one CloudEvents JSON line.\n\n"
        "  --pattern PATTERN  routing key pattern, <collection>.<action>: '*' is one word, '#' any\n"
        "                     number of words (default '#': everything; e.g. 'plans.*', '*.deleted')\n"
        "  --queue NAME       a durable queue of that name: events published while the listener is\n"
        "                     away wait for it (default: a temporary queue, gone when it stops)\n"
        "  --help             print this help and exit\n\n"
        "SIGINT or SIGTERM stops it cleanly (the event being printed is finished and acknowledged).\n");
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "event_listener: %s\nTry 'event_listener --help'.\n", message.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string url;
    std::string pattern = "#";
    events::SubscribeOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_help();
            return 0;
        }
        if (arg == "--pattern" || arg == "--queue") {
            if (i + 1 >= argc) return usage_error(std::string(arg) + " needs a value");
            (arg == "--pattern" ? pattern : options.name) = argv[++i];
        } else if (arg.starts_with("--")) {
            return usage_error("unknown option '" + std::string(arg) + "'");
        } else if (url.empty()) {
            url = arg;
        } else {
            return usage_error("unexpected argument '" + std::string(arg) + "'");
        }
    }
    if (url.empty()) return usage_error("the broker's URL is missing");

    // The library never prints: its warnings (say, "broker gone, reconnecting") go where we say.
    log::set_sink(log::make_json_lines_stderr_sink(), log::Level::warn);

    // Block the stop signals before the bus starts its threads, so they inherit the mask and the
    // signals reach sigwait below, and nothing else.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // Opening parses the URL; connecting happens in subscribe, which returns once the queue is bound.
    auto bus = events::EventBus::open(url);
    if (!bus) return usage_error(bus.error().message());
    std::mutex out;
    auto subscription = (*bus)->subscribe(
        pattern,
        [&out](const events::Delivery& delivery) {
            // Called on the bus's consumer thread, one event at a time, in delivery order. Returning
            // acknowledges the event; a duplicate (at-least-once) has the same id and version.
            std::lock_guard lock(out);
            std::fputs((delivery.event.to_json() + "\n").c_str(), stdout);
            std::fflush(stdout);
        },
        options);
    if (!subscription) {
        std::fprintf(stderr, "event_listener: cannot subscribe: %s\n", subscription.error().to_string().c_str());
        return 1;
    }
    std::fprintf(stderr, "event_listener: listening on queue %s for '%s' (Ctrl-C to stop)\n",
                 subscription->name().c_str(), pattern.c_str());

    int signal = 0;
    sigwait(&stop_signals, &signal);
    subscription->cancel();  // waits for the handler in progress; the broker keeps the rest (if --queue)
    std::fprintf(stderr, "event_listener: stopped by signal %d\n", signal);
    return 0;
}
