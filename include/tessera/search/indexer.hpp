#pragma once
/// @file tessera/search/indexer.hpp
/// @brief `Indexer`: keeps a `SearchIndex` equal to the store — fed by the event bus, rebuilt from
/// the store when it is missing or behind.
///
/// Events map to index ops one to one: `created`/`updated` put the event's data (the stored object)
/// at the event's version, `deleted`/`expired` remove at it. The index applies an op only if it is
/// newer than what it holds, so the bus's duplicates and reorderings are harmless (at least once in,
/// exactly once in effect). Events of collections the catalog does not know are acknowledged and
/// ignored.

#include <tessera/events/event_bus.hpp>
#include <tessera/result.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/search_index.hpp>
#include <tessera/store/store.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace tessera::search {

/// Options of an indexer. Field comments give defaults.
struct IndexerOptions {
    /// The bus subscription (amqp: its durable queue, so events published while this process is away
    /// wait for it). Every process with its own index needs its own name. Default "tessera.indexer".
    std::string subscription = "tessera.indexer";
    /// amqp: deliveries the broker may send ahead of acknowledgements. Default 256.
    std::uint16_t prefetch = 256;
};

/// Counters since the indexer started.
struct IndexerStats {
    std::uint64_t applied = 0;  ///< Events that changed the index.
    std::uint64_t stale = 0;    ///< Events ignored: the index held that version or a newer one.
    std::uint64_t failed = 0;   ///< Handler attempts that failed (retried by the bus).
    std::uint64_t last_version = 0;  ///< Version of the last event applied.
    /// Commit-to-index delay of the last event applied (event time to now), for the lag gauge.
    std::chrono::milliseconds lag{0};
};

/// What a rebuild did.
struct RebuildStats {
    std::uint64_t documents = 0;  ///< Objects read from the store and indexed.
    std::chrono::milliseconds elapsed{0};
};

/// Progress of a rebuild: the collection being read, objects indexed so far in it, and its size.
using RebuildProgress = std::function<void(std::string_view collection, std::uint64_t done, std::uint64_t total)>;

/// The op an event means for the index, or nullopt for an event the index does not take (another
/// collection, another action).
std::optional<IndexOp> to_index_op(const events::CloudEvent& event, const Catalog& catalog);
/// The same for an outbox record and the version its commit got (what `Engine::CommitCapture`
/// collects), so a write can apply its own change at once (`?refresh=wait_for`).
std::optional<IndexOp> to_index_op(const store::Event& event, std::uint64_t version, const Catalog& catalog);

/// Rebuilds `index` from `store`: clears it (one collection, or all when `collection` is empty), then
/// indexes every object of those collections in pages, in batches. The root of an entity (for the
/// Elasticsearch routing) is found through the engine's parent links. Errors: the store's and the
/// index's; `invalid` for a collection not in the catalog.
Result<RebuildStats> rebuild(store::Store& store, SearchIndex& index, const Catalog& catalog,
                             std::string_view collection = {}, const RebuildProgress& progress = {});

/// Subscribes an index to a bus. Thread-safe; move-only; unsubscribes when destroyed.
class Indexer {
public:
    /// Subscribes to every event of `bus` ("#") and applies them to `index`. Requires: `index` and
    /// `catalog` outlive the indexer. Errors: those of `EventBus::subscribe`.
    static Result<std::unique_ptr<Indexer>> start(events::EventBus& bus, SearchIndex& index, const Catalog& catalog,
                                                  const IndexerOptions& options = {});
    /// An indexer on no bus: `apply` is called by hand (tests, an embedder's own consumer).
    /// Requires: `index` and `catalog` outlive it.
    Indexer(SearchIndex& index, const Catalog& catalog);
    ~Indexer();
    Indexer(const Indexer&) = delete;
    Indexer& operator=(const Indexer&) = delete;

    /// Applies one event (what the subscription does with each delivery). Errors: the index's.
    Result<ApplyResult> apply(const events::CloudEvent& event);

    IndexerStats stats() const noexcept;

private:
    SearchIndex& index_;
    const Catalog& catalog_;
    events::Subscription subscription_;
    std::atomic<std::uint64_t> applied_{0}, stale_{0}, failed_{0}, last_version_{0};
    std::atomic<std::int64_t> lag_ms_{0};
};

}  // namespace tessera::search
