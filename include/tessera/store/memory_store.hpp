#pragma once
/// @file tessera/store/memory_store.hpp
/// @brief `MemoryStore`: an in-process `Store` with no persistence, for tests and embedders.

#include <tessera/store/store.hpp>

#include <memory>

namespace tessera::store {

/// A `Store` kept in memory; everything is lost when it is destroyed. Thread-safe (one
/// reader-writer lock). Same semantics as the durable backends, including TTL and the outbox.
class MemoryStore final : public Store {
public:
    MemoryStore();
    /// Uses `options.clock` (the timeouts do not apply).
    explicit MemoryStore(StoreOptions options);
    ~MemoryStore() override;
    MemoryStore(const MemoryStore&) = delete;
    MemoryStore& operator=(const MemoryStore&) = delete;

    Result<Document> get(std::string_view collection, std::string_view id) override;
    Result<std::vector<std::optional<Document>>> get_many(std::string_view collection,
                                                          std::span<const std::string> ids) override;
    Result<std::vector<std::optional<Document>>> get_refs(std::span<const DocumentRef> refs) override;
    Result<Page> scan(std::string_view collection, std::string_view cursor, std::size_t limit) override;
    Result<std::uint64_t> count(std::string_view collection) override;
    Result<CommitResult> commit(const Batch& batch) override;
    Result<std::size_t> sweep_expired(TimePoint now, std::size_t limit) override;
    Result<std::vector<Event>> claim(std::size_t max, std::chrono::milliseconds lease) override;
    Result<void> ack(std::span<const std::string> event_ids) override;
    Result<OutboxStats> outbox_stats() override;
    Result<void> ping() override;
    /// False: every call takes short in-memory locks only.
    bool may_block() const noexcept override { return false; }
    std::string_view backend() const noexcept override { return "memory"; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::store
