#include "events/inproc/inproc_bus.hpp"

#include <tessera/log.hpp>

#include "events/common.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace tessera::events {
namespace {

constexpr std::string_view kComponent = "events.inproc";

struct Sub {
    std::string name;
    std::string pattern;
    Handler handler;
    SubscribeOptions options;
    std::atomic<bool> cancelled{false};
    std::mutex mutex;
    std::condition_variable idle;
    int running = 0;  // handler calls in progress
};

// The handler running on this thread, so a handler that cancels its own subscription does not
// wait for itself.
thread_local const Sub* current_sub = nullptr;

// What one publish() call waits for: every delivery it queued to finish.
struct Tracker {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t pending = 0;
    std::optional<Error> failure;

    void add() {
        std::lock_guard lock(mutex);
        ++pending;
    }
    void finish(std::optional<Error> error) {
        std::lock_guard lock(mutex);
        if (error && !failure) failure = std::move(error);
        if (--pending == 0) done.notify_all();
    }
};

struct Task {
    std::shared_ptr<Sub> sub;
    std::shared_ptr<const CloudEvent> event;
    std::shared_ptr<Tracker> tracker;    // publish(): confirm through it; replays have none
    std::function<void()> on_delivered;  // replays: take the dead letter off the list
    bool replayed = false;
};

struct Worker {
    std::mutex mutex;
    std::condition_variable not_empty;
    std::condition_variable not_full;
    std::deque<Task> queue;
    std::thread thread;
};

Error shutting_down() {
    return Error(ErrorCode::unavailable, "the in-process event bus is shutting down");
}

}  // namespace

struct InprocBus::Impl : std::enable_shared_from_this<Impl> {
    explicit Impl(BusOptions o) : options(std::move(o)) {
        if (options.workers == 0) options.workers = 1;
        if (options.queue_capacity == 0) options.queue_capacity = 1;
    }

    // Requires: `mutex` is held.
    void start_workers() {
        if (!workers.empty()) return;
        for (std::size_t i = 0; i < options.workers; ++i) workers.push_back(std::make_unique<Worker>());
        for (auto& worker : workers) worker->thread = std::thread([this, w = worker.get()] { run(*w); });
    }

    void stop() noexcept {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        { std::lock_guard lock(sleep_mutex); }
        sleep_cv.notify_all();
        for (auto& worker : workers) {
            { std::lock_guard lock(worker->mutex); }
            worker->not_empty.notify_all();
            worker->not_full.notify_all();
        }
        for (auto& worker : workers) {
            if (worker->thread.joinable()) worker->thread.join();
        }
    }

    Worker& worker_for(const Sub& sub, const CloudEvent& event) {
        // One document's deliveries to one subscription always take the same worker: that is what
        // keeps them in publish order.
        const std::hash<std::string_view> hash;
        std::size_t key = hash(sub.name);
        for (const std::string_view part : {std::string_view(event.source), std::string_view(event.subject)}) {
            key = key * 31 + hash(part);  // combined without building one string per delivery
        }
        return *workers[key % workers.size()];
    }

    // Queues `task`, waiting for room until `deadline`. Errors: timeout, unavailable (stopping).
    Result<void> push(Worker& worker, Task task, std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(worker.mutex);
        if (!worker.not_full.wait_until(
                lock, deadline, [&] { return worker.queue.size() < options.queue_capacity || stopping.load(); })) {
            return Error(ErrorCode::timeout, "in-process event queue stayed full for " +
                                                 std::to_string(options.confirm_timeout.count()) + " ms");
        }
        if (stopping) return shutting_down();
        worker.queue.push_back(std::move(task));
        worker.not_empty.notify_one();
        return {};
    }

    void run(Worker& worker) noexcept {
        internal::block_async_signals();
        for (;;) {
            Task task;
            {
                std::unique_lock lock(worker.mutex);
                worker.not_empty.wait(lock, [&] { return !worker.queue.empty() || stopping.load(); });
                if (worker.queue.empty()) return;
                task = std::move(worker.queue.front());
                worker.queue.pop_front();
                worker.not_full.notify_one();
            }
            try {
                if (stopping) {
                    finish(task, shutting_down());
                } else {
                    deliver(task);
                }
            } catch (const std::exception& e) {
                // Only allocation failures can get here (handlers' exceptions are caught in call()).
                log::error(kComponent, "delivery failed", {{"what", e.what()}});
                finish(task, Error(ErrorCode::internal, std::string("delivery failed: ") + e.what()));
            }
        }
    }

    static void finish(Task& task, std::optional<Error> error) {
        if (task.tracker) task.tracker->finish(std::move(error));
    }

    void deliver(Task& task) {
        Sub& sub = *task.sub;
        std::string error;
        for (std::uint32_t attempt = 1;; ++attempt) {
            const Outcome outcome = call(sub, task, attempt, error);
            if (outcome == Outcome::cancelled) return finish(task, std::nullopt);  // nobody listens any more
            if (outcome == Outcome::handled) {
                ++counters.delivered;
                if (task.on_delivered) task.on_delivered();
                return finish(task, std::nullopt);
            }
            if (attempt >= sub.options.max_attempts) {
                auto parked = park(sub, *task.event, error, attempt);
                return finish(task, parked ? std::nullopt : std::optional<Error>(std::move(parked).error()));
            }
            ++counters.retried;
            log::debug(kComponent, "handler failed; retrying",
                       {{"subscription", sub.name}, {"event", task.event->id}, {"attempt", attempt}, {"error", error}});
            // Retry in place: this worker's later deliveries (this document's included) wait, which
            // is what keeps the document's events in order.
            std::unique_lock lock(sleep_mutex);
            if (sleep_cv.wait_for(lock,
                                  internal::backoff(sub.options.retry_delay, sub.options.max_retry_delay, attempt),
                                  [&] { return stopping.load(); })) {
                return finish(task, shutting_down());
            }
        }
    }

    enum class Outcome { handled, failed, cancelled };

    // One handler call; `failed` (with `error`) if it threw. Once cancel() has returned, no call starts.
    static Outcome call(Sub& sub, const Task& task, std::uint32_t attempt, std::string& error) {
        {
            std::lock_guard lock(sub.mutex);
            if (sub.cancelled) return Outcome::cancelled;
            ++sub.running;
        }
        Outcome outcome = Outcome::failed;
        current_sub = &sub;
        try {
            sub.handler(Delivery{*task.event, sub.name, attempt, attempt > 1 || task.replayed});
            outcome = Outcome::handled;
        } catch (const std::exception& e) {
            error = e.what();
        } catch (...) {
            error = "unknown exception";
        }
        current_sub = nullptr;
        {
            std::lock_guard lock(sub.mutex);
            if (--sub.running == 0) sub.idle.notify_all();
        }
        return outcome;
    }

    Result<void> park(const Sub& sub, const CloudEvent& event, const std::string& error, std::uint32_t attempts) {
        DeadLetter letter{internal::dead_letter_id(sub.name, event.id),
                          sub.name,
                          event,
                          error,
                          attempts,
                          std::chrono::system_clock::now()};
        if (options.dead_letter_store != nullptr) {
            store::Batch batch;
            batch.ops.push_back(store::Op::put(std::string(kDeadLetterCollection), letter.id, letter.to_json()));
            auto committed = options.dead_letter_store->commit(batch);
            if (!committed) {
                // Not confirmed, so the relay will publish the event again: it is not lost.
                log::error(kComponent, "cannot store a dead letter",
                           {{"id", letter.id}, {"error", committed.error().to_json()}});
                return std::move(committed).error();
            }
        } else {
            std::lock_guard lock(dead_mutex);
            letter_generation[letter.id] = ++generation;
            dead[letter.id] = letter;
        }
        ++counters.dead_lettered;
        log::warn(kComponent, "event dead-lettered",
                  {{"id", letter.id}, {"subscription", sub.name}, {"attempts", attempts}, {"error", error}});
        return {};
    }

    void cancel(const std::shared_ptr<Sub>& sub) {
        {
            std::lock_guard lock(mutex);
            if (auto it = subs.find(sub->name); it != subs.end() && it->second == sub) subs.erase(it);
        }
        std::unique_lock lock(sub->mutex);
        sub->cancelled = true;
        if (current_sub == sub.get()) return;  // cancelled from its own handler: it is returning anyway
        sub->idle.wait(lock, [&] { return sub->running == 0; });
    }

    // The live subscription named `name`, or nullptr.
    std::shared_ptr<Sub> find(std::string_view name) {
        std::lock_guard lock(mutex);
        auto it = subs.find(std::string(name));
        return it == subs.end() ? nullptr : it->second;
    }

    // Loads one dead letter and what identifies its current state (store version or generation).
    Result<std::pair<DeadLetter, std::uint64_t>> load(std::string_view id) {
        if (options.dead_letter_store != nullptr) {
            auto document = options.dead_letter_store->get(kDeadLetterCollection, id);
            if (!document) return std::move(document).error();
            auto letter = DeadLetter::from_json(document->body);
            if (!letter) return std::move(letter).error();
            return std::make_pair(std::move(*letter), document->version);
        }
        std::lock_guard lock(dead_mutex);
        auto it = dead.find(std::string(id));
        if (it == dead.end()) return Error(ErrorCode::not_found, "no dead letter '" + std::string(id) + "'");
        return std::make_pair(it->second, letter_generation[it->first]);
    }

    // Takes a replayed dead letter off the list, unless it was parked again since (then it stays).
    void forget(const std::string& id, std::uint64_t state) {
        if (options.dead_letter_store != nullptr) {
            store::Batch batch;
            batch.ops.push_back(
                store::Op::remove(std::string(kDeadLetterCollection), id, store::Precondition::at_version(state)));
            auto removed = options.dead_letter_store->commit(batch);
            if (!removed && removed.error().code() != ErrorCode::precondition_failed) {
                log::warn(kComponent, "cannot remove a replayed dead letter",
                          {{"id", id}, {"error", removed.error().to_json()}});
            }
            return;
        }
        std::lock_guard lock(dead_mutex);
        if (auto it = letter_generation.find(id); it != letter_generation.end() && it->second == state) {
            letter_generation.erase(it);
            dead.erase(id);
        }
    }

    BusOptions options;
    std::mutex mutex;  // guards subs and the creation of workers
    std::map<std::string, std::shared_ptr<Sub>> subs;
    std::vector<std::unique_ptr<Worker>> workers;
    std::atomic<bool> stopping{false};

    std::mutex sleep_mutex;  // retry delays wait on sleep_cv, so stop() cuts them short
    std::condition_variable sleep_cv;

    std::mutex dead_mutex;  // dead letters kept in memory (no store)
    std::map<std::string, DeadLetter> dead;
    std::map<std::string, std::uint64_t> letter_generation;
    std::uint64_t generation = 0;

    internal::Counters counters;
};

InprocBus::InprocBus(BusOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

InprocBus::~InprocBus() {
    impl_->stop();
}

Result<void> InprocBus::publish(std::span<const CloudEvent> batch) {
    auto& impl = *impl_;
    const auto deadline = std::chrono::steady_clock::now() + impl.options.confirm_timeout;
    std::vector<std::shared_ptr<Sub>> subs;
    {
        std::lock_guard lock(impl.mutex);
        if (impl.stopping) return shutting_down();
        for (const auto& [name, sub] : impl.subs) subs.push_back(sub);
    }
    auto tracker = std::make_shared<Tracker>();
    tracker->add();  // held by this call until every delivery is queued, so `pending` cannot reach 0 early
    for (const auto& event : batch) {
        std::shared_ptr<const CloudEvent> shared;
        const std::string key = event.routing_key();
        for (const auto& sub : subs) {
            if (!topic_matches(sub->pattern, key)) continue;
            if (!shared) shared = std::make_shared<const CloudEvent>(event);
            tracker->add();
            auto pushed = impl.push(impl.worker_for(*sub, event), Task{sub, shared, tracker, nullptr, false}, deadline);
            if (!pushed) return std::move(pushed).error();  // the deliveries queued so far still run
        }
    }
    std::unique_lock lock(tracker->mutex);
    if (--tracker->pending > 0 && !tracker->done.wait_until(lock, deadline, [&] { return tracker->pending == 0; })) {
        return Error(ErrorCode::timeout,
                     "handlers did not finish within " + std::to_string(impl.options.confirm_timeout.count()) + " ms");
    }
    if (tracker->failure) return *tracker->failure;
    impl.counters.published += batch.size();
    return {};
}

Result<Subscription> InprocBus::subscribe(std::string_view pattern, Handler handler, const SubscribeOptions& options) {
    if (auto valid = internal::check_subscription(pattern, handler, options); !valid) return std::move(valid).error();
    auto sub = std::make_shared<Sub>();
    sub->name = options.name.empty() ? std::string(pattern) : options.name;
    sub->pattern = std::string(pattern);
    sub->handler = std::move(handler);
    sub->options = options;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping) return shutting_down();
        if (impl_->subs.contains(sub->name)) {
            return Error(ErrorCode::conflict, "a subscription named '" + sub->name + "' is live already",
                         {{"subscription", sub->name}});
        }
        impl_->start_workers();
        impl_->subs.emplace(sub->name, sub);
    }
    std::weak_ptr<Impl> weak = impl_;
    return make_subscription(sub->name, [weak, sub] {
        if (auto impl = weak.lock()) {
            impl->cancel(sub);
        } else {
            sub->cancelled = true;  // the bus is gone, and its workers with it
        }
    });
}

Result<std::vector<DeadLetter>> InprocBus::dead_letters(std::size_t limit) {
    std::vector<DeadLetter> out;
    if (limit == 0) return out;
    if (auto* store = impl_->options.dead_letter_store) {
        auto page = store->scan(kDeadLetterCollection, "", limit);
        if (!page) return std::move(page).error();
        for (const auto& document : page->documents) {
            auto letter = DeadLetter::from_json(document.body);
            if (!letter) {
                log::warn(kComponent, "skipping a malformed dead letter", {{"id", document.id}});
                continue;
            }
            out.push_back(std::move(*letter));
        }
        return out;
    }
    std::lock_guard lock(impl_->dead_mutex);
    for (const auto& [id, letter] : impl_->dead) {
        if (out.size() >= limit) break;
        out.push_back(letter);
    }
    return out;
}

Result<std::uint64_t> InprocBus::dead_letter_count() {
    if (auto* store = impl_->options.dead_letter_store) return store->count(kDeadLetterCollection);
    std::lock_guard lock(impl_->dead_mutex);
    return static_cast<std::uint64_t>(impl_->dead.size());
}

Result<void> InprocBus::replay(std::string_view id) {
    auto loaded = impl_->load(id);
    if (!loaded) return std::move(loaded).error();
    auto& [letter, state] = *loaded;
    auto sub = impl_->find(letter.subscription);
    if (!sub) {
        return Error(
            ErrorCode::not_found,
            "subscription '" + letter.subscription + "' is not live in this process: subscribe it, then replay",
            {{"id", letter.id}, {"subscription", letter.subscription}});
    }
    std::weak_ptr<Impl> weak = impl_;
    auto event = std::make_shared<const CloudEvent>(std::move(letter.event));
    Task task{sub, event, nullptr,
              [weak, id = letter.id, state = state] {
                  if (auto impl = weak.lock()) impl->forget(id, state);
              },
              true};
    auto& worker = impl_->worker_for(*sub, *event);
    return impl_->push(worker, std::move(task), std::chrono::steady_clock::now() + impl_->options.confirm_timeout);
}

Result<std::size_t> InprocBus::replay_all() {
    auto letters = dead_letters(internal::kReplayAllLimit);
    if (!letters) return std::move(letters).error();
    std::size_t replayed = 0;
    for (const auto& letter : *letters) {
        auto result = replay(letter.id);
        if (result) {
            ++replayed;
        } else if (result.error().code() != ErrorCode::not_found) {
            return std::move(result).error();
        }
    }
    return replayed;
}

BusStats InprocBus::stats() const {
    return impl_->counters.snapshot(true);
}

}  // namespace tessera::events
