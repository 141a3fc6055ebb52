// tessera-server: wiring only — configuration, logging, the engine, the REST Api, the listener,
// signals and graceful drain. Everything else lives in the library.

#include "access_log.hpp"
#include "auth_setup.hpp"
#include "search_setup.hpp"
#include "config.hpp"
#include "listener.hpp"

#include <tessera/log.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/rest/api.hpp>
#include <tessera/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#if defined(TESSERA_SERVER_JEMALLOC)
// jemalloc reads this at start-up. Each worker thread allocates from an arena of its own, and an arena
// returns freed pages only when it allocates again — an idle worker after one large request would hold
// them for good. A background thread purges them after two seconds instead (MALLOC_CONF still wins).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's (its documented `malloc_conf` symbol).
const char* malloc_conf = "background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0";
}
#endif

namespace {

using namespace tessera;

int fail(std::string_view what, const Error& error) {
    log::error("server", what, {{"error", error.to_json()}});
    std::fprintf(stderr, "tessera-server: %.*s: %s\n", static_cast<int>(what.size()), what.data(), error.to_string().c_str());
    return 2;
}

int serve(const server::Config& config) {
    log::set_sink(log::make_json_lines_stderr_sink(), config.log_level);

    std::string access_error;
    auto access_log = server::AccessLog::open(config.access_log, access_error);
    if (!access_log) return fail("access log", Error(ErrorCode::invalid, access_error));

    // Authentication first: a bad key or tokens file stops the server before it opens the store.
    rest::ApiOptions api_options;
    auto auth = server::set_up_auth(config, api_options);
    if (!auth) return fail("cannot set up authentication", auth.error());

    model::EngineConfig engine_config;
    engine_config.schemas = config.schemas;
    engine_config.store_url = config.store;
    engine_config.limits.max_bytes = config.body_limit;
    engine_config.max_document_bytes = config.max_document_bytes;
    engine_config.bus_url = config.bus;
    engine_config.relay.batch_size = config.relay_batch;
    engine_config.relay.lease = config.relay_lease;
    engine_config.relay.linger = config.relay_linger;
    // Declared before the engine, so the indexer it holds outlives the engine's bus.
    auto search = server::prepare_search(config, engine_config);
    if (!search) return fail("cannot set up search", search.error());
    auto engine = model::Engine::open(engine_config);
    if (!engine) return fail("cannot start the engine", engine.error());
    if (auto ready = server::finish_search(config, **search, *engine, api_options.search); !ready) {
        return fail("cannot set up search", ready.error());
    }

    api_options.limits = engine_config.limits;
    rest::Api api(*engine, api_options);

    // One single-threaded event loop per I/O thread (concurrency hint 1: no internal locking).
    std::vector<std::unique_ptr<boost::asio::io_context>> workers;
    std::vector<boost::asio::io_context*> worker_pointers;
    for (unsigned i = 0; i < config.threads; ++i) {
        workers.push_back(std::make_unique<boost::asio::io_context>(1));
        worker_pointers.push_back(workers.back().get());
    }
    auto& io = *workers.front();  // also runs the acceptor, signals and the drain deadline
    // Idle workers must keep running until the drain ends.
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep_running;
    for (std::size_t i = 1; i < workers.size(); ++i) keep_running.push_back(boost::asio::make_work_guard(*workers[i]));
    auto stop_all = [&] {
        for (auto& worker : workers) worker->stop();
    };

    // Declared after the event loops, so it stops (finishing the jobs that run, dropping the queued
    // ones and the sessions they hold) while the loops' sockets still exist.
    server::WorkerPool worker_pool(config.workers, config.worker_queue);
    auto listener = std::make_shared<server::Listener>(worker_pointers, config, api, *access_log, worker_pool);
    auto endpoint = listener->open();
    if (!endpoint) return fail("cannot listen", endpoint.error());
    const std::string bound = endpoint->address().to_string() + ":" + std::to_string(endpoint->port());
    listener->run();

    if (!config.ready_file.empty()) {
        std::ofstream(config.ready_file) << bound << '\n';
    }
    log::info("server", "listening", {{"address", bound}, {"threads", config.threads}, {"workers", config.workers},
                                      {"store", engine->store().backend()}, {"bus", engine->bus().backend()},
                                      {"collections", engine->collections().size()}, {"version", tessera::version()},
                                      {"allocator", TESSERA_SERVER_ALLOCATOR}, {"auth", config.auth ? "on" : "off"},
                                      {"rate_limit", api_options.rate_limiter ? api_options.rate_limiter->backend() : "off"},
                                      {"search", api_options.search.index ? api_options.search.index->backend() : "off"},
                                      {"cache", api_options.search.cache ? api_options.search.cache->backend() : "off"}});

    // SIGHUP: re-read the tokens file and the JWKS (keys rotate without a restart); a bad file keeps
    // the keys in force and says why.
    boost::asio::signal_set reload_signals(io, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_reload = [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (auth->authenticator) {
            auto reloaded = auth->authenticator->reload();
            if (reloaded) {
                log::info("server", "reloaded the token sources");
            } else {
                log::error("server", "reloading the token sources failed; the previous keys stay in force",
                           {{"error", reloaded.error().to_json()}});
            }
        }
        reload_signals.async_wait(on_reload);
    };
    reload_signals.async_wait(on_reload);

    // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, exit when the last connection
    // closes or the drain timeout ends. A second signal stops at once.
    // Signal handling and the drain deadline live on the first worker's single thread.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::steady_timer drain_deadline(io);
    bool draining = false;
    std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (draining) {
            log::warn("server", "second signal: stopping now", {{"signal", signal}});
            stop_all();
            return;
        }
        draining = true;
        log::info("server", "draining", {{"signal", signal}, {"timeout_s", config.drain_timeout.count()}});
        listener->drain();
        drain_deadline.expires_after(config.drain_timeout);
        drain_deadline.async_wait([&](const boost::system::error_code& timer_ec) {
            if (timer_ec) return;
            log::warn("server", "drain timeout: closing remaining connections");
            stop_all();
        });
        signals.async_wait(on_signal);
        // Once every session is gone only the timer and the signal wait keep the loop alive.
        listener->on_drained([&] {
            boost::asio::post(io, [&] {
                drain_deadline.cancel();
                signals.cancel();
                reload_signals.cancel();
                keep_running.clear();
            });
        });
    };
    signals.async_wait(on_signal);

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers.size(); ++i) threads.emplace_back([&worker = *workers[i]] { worker.run(); });
    io.run();
    for (auto& thread : threads) thread.join();
    // Drained: a late SIGTERM/SIGINT must not turn this clean exit into a death by signal once the
    // signal_set is gone, so keep them pending until the process ends.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    worker_pool.stop();
    log::info("server", "stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        auto invocation = server::parse_command_line(argc, argv);
        if (!invocation.config) return invocation.exit_code;
        return serve(*invocation.config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera-server: fatal: %s\n", e.what());
        return 2;
    } catch (...) {
        std::fprintf(stderr, "tessera-server: fatal: unknown exception\n");
        return 2;
    }
}
