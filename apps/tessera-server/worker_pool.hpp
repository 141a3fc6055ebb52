#pragma once
// The threads that run request handlers which may wait (on a store, a broker, a remote), so that the
// I/O threads never do. Bounded twice: a fixed number of threads and a fixed queue; a request that
// finds the queue full is answered 503 with Retry-After instead of waiting without bound.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::server {

/// Thread-safe: `submit` may be called from any thread.
class WorkerPool {
public:
    /// Starts `threads` threads (at least one) taking jobs from a queue of at most `queue_capacity`.
    WorkerPool(unsigned threads, std::size_t queue_capacity);
    /// `stop()`.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues `job`; false (and `job` is not run) if the queue is full or the pool stopped. A job must
    /// not throw; one that does is logged and dropped.
    bool submit(std::function<void()> job);

    /// Lets running jobs finish, destroys the queued ones without running them, and joins the threads.
    void stop();

    /// Jobs waiting for a thread (for metrics and tests).
    std::size_t queued() const;

private:
    void run();

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace tessera::server
