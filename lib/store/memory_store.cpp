#include <tessera/store/memory_store.hpp>

#include <tessera/assert.hpp>

#include "store/common.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

namespace tessera::store {
namespace {

struct Record {
    std::string body;
    std::uint64_t version = 0;
    TimePoint created_at{};
    TimePoint updated_at{};
    std::optional<TimePoint> expires_at;
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

using Documents = std::unordered_map<std::string, Record, StringHash, std::equal_to<>>;

struct Collection {
    // Hashed, so get is one probe rather than a walk down a tree of 1 KB-body nodes, and sharded by
    // id: a hash table grows by rehashing every node at once, which under the store's write lock
    // stalled every request for tens of milliseconds once a collection held a million documents
    // (the plan POST benchmark's p99 went from 85 to 9 ms). A shard grows alone, a 64th the work.
    static constexpr std::size_t kShards = 64;
    std::array<Documents, kShards> shards;
    Documents& shard(std::string_view id) noexcept { return shards[shard_index(id)]; }
    const Documents& shard(std::string_view id) const noexcept { return shards[shard_index(id)]; }
    static std::size_t shard_index(std::string_view id) noexcept {
        // The hash's top bits: the tables index their buckets by the whole hash modulo a prime.
        return StringHash{}(id) >> (std::numeric_limits<std::size_t>::digits - 6);
    }
    std::size_t size() const noexcept {
        std::size_t total = 0;
        for (const auto& documents : shards) total += documents.size();
        return total;
    }
    // ...and the ids again in byte-wise order (std::string_view compares as unsigned bytes) for
    // scan. The views point into the shards' keys, which never move: node-based containers.
    std::set<std::string_view> order;
    // Documents with an expiry, soonest first: count() subtracts the expired ones and the sweep
    // finds them without visiting every document.
    std::set<std::pair<TimePoint, std::string>> expiring;
};

struct OutboxEntry {
    Event event;
    TimePoint lease_until{};
    std::uint32_t claims = 0;
};

Document to_document(std::string_view collection, std::string_view id, const Record& record) {
    return Document{std::string(collection), std::string(id),
                    record.body,             record.version,
                    record.created_at,       record.updated_at,
                    record.expires_at};
}

}  // namespace

struct MemoryStore::Impl {
    StoreOptions options;
    std::shared_mutex mutex;
    std::unordered_map<std::string, Collection, StringHash, std::equal_to<>> collections;
    std::map<std::pair<std::uint64_t, std::uint64_t>, OutboxEntry> outbox;  // keyed by (version, n)
    std::uint64_t version = 0;

    // Requires: the lock is held.
    const Record* find_live(std::string_view collection, std::string_view id, TimePoint now) const {
        const auto c = collections.find(collection);
        if (c == collections.end()) return nullptr;
        const Documents& documents = c->second.shard(id);
        const auto d = documents.find(id);
        if (d == documents.end() || !internal::is_live(d->second.expires_at, now)) return nullptr;
        return &d->second;
    }

    // Requires: the unique lock is held.
    void erase(Collection& collection, Documents::iterator it) {
        if (it->second.expires_at) collection.expiring.erase({*it->second.expires_at, it->first});
        collection.order.erase(it->first);
        collection.shard(it->first).erase(it);
    }

    // Requires: the unique lock is held.
    void put(const Op& op, std::uint64_t commit_version, TimePoint now) {
        Collection& collection = collections[op.collection];
        auto [it, inserted] = collection.shard(op.id).try_emplace(op.id);
        if (inserted) collection.order.insert(it->first);
        Record& record = it->second;
        if (inserted || !internal::is_live(record.expires_at, now)) record.created_at = now;
        if (record.expires_at) collection.expiring.erase({*record.expires_at, op.id});
        record.body = op.body;
        record.version = commit_version;
        record.updated_at = now;
        record.expires_at.reset();
        if (op.expires_at) {
            record.expires_at = internal::from_micros(internal::to_micros(*op.expires_at));
            collection.expiring.emplace(*record.expires_at, op.id);
        }
    }

    // Requires: the unique lock is held.
    void remove(const Op& op) {
        const auto c = collections.find(op.collection);
        if (c == collections.end()) return;
        Documents& documents = c->second.shard(op.id);
        const auto d = documents.find(op.id);
        if (d != documents.end()) erase(c->second, d);
    }

    // Requires: the unique lock is held.
    void append(Event event, std::uint64_t commit_version, std::uint64_t n, TimePoint now) {
        event.id = internal::make_event_id(commit_version, n);
        event.version = commit_version;
        event.time = now;
        event.attempts = 0;
        outbox.emplace(std::pair{commit_version, n}, OutboxEntry{std::move(event), TimePoint::min(), 0});
    }
};

MemoryStore::MemoryStore() : MemoryStore(StoreOptions{}) {}

MemoryStore::MemoryStore(StoreOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
}

MemoryStore::~MemoryStore() = default;

Result<Document> MemoryStore::get(std::string_view collection, std::string_view id) {
    const TimePoint now = internal::now(impl_->options);
    std::shared_lock lock(impl_->mutex);
    const Record* record = impl_->find_live(collection, id, now);
    if (record == nullptr) return internal::not_found(collection, id);
    return to_document(collection, id, *record);
}

Result<std::vector<std::optional<Document>>> MemoryStore::get_many(std::string_view collection,
                                                                   std::span<const std::string> ids) {
    return get_refs(internal::refs_of(collection, ids));
}

Result<std::vector<std::optional<Document>>> MemoryStore::get_refs(std::span<const DocumentRef> refs) {
    const TimePoint now = internal::now(impl_->options);
    std::vector<std::optional<Document>> out(refs.size());
    std::shared_lock lock(impl_->mutex);
    for (std::size_t i = 0; i < refs.size(); ++i) {
        if (const Record* record = impl_->find_live(refs[i].collection, refs[i].id, now)) {
            out[i] = to_document(refs[i].collection, refs[i].id, *record);
        }
    }
    return out;
}

Result<Page> MemoryStore::scan(std::string_view collection, std::string_view cursor, std::size_t limit) {
    TESSERA_ASSERT(limit > 0);
    auto after = internal::decode_cursor(collection, cursor);
    if (!after) return std::move(after).error();
    const TimePoint now = internal::now(impl_->options);
    Page page;
    std::shared_lock lock(impl_->mutex);
    const auto c = impl_->collections.find(collection);
    if (c == impl_->collections.end()) return page;
    const auto& order = c->second.order;
    for (auto it = order.upper_bound(*after); it != order.end() && page.documents.size() <= limit; ++it) {
        const auto d = c->second.shard(*it).find(*it);
        if (internal::is_live(d->second.expires_at, now)) {
            page.documents.push_back(to_document(collection, d->first, d->second));
        }
    }
    lock.unlock();
    internal::finish_page(page, collection, limit);
    return page;
}

Result<std::uint64_t> MemoryStore::count(std::string_view collection) {
    const TimePoint now = internal::now(impl_->options);
    std::shared_lock lock(impl_->mutex);
    const auto c = impl_->collections.find(collection);
    if (c == impl_->collections.end()) return std::uint64_t{0};
    std::uint64_t expired = 0;
    for (auto it = c->second.expiring.begin(); it != c->second.expiring.end() && it->first <= now; ++it) ++expired;
    return static_cast<std::uint64_t>(c->second.size()) - expired;
}

Result<CommitResult> MemoryStore::commit(const Batch& batch) {
    if (auto valid = internal::validate(batch); !valid) return std::move(valid).error();
    if (batch.ops.empty() && batch.events.empty()) return CommitResult{};
    const TimePoint now = internal::now(impl_->options);
    std::unique_lock lock(impl_->mutex);
    const std::uint64_t version = impl_->version + 1;

    // Check every precondition before writing anything. A later op on the same key must see the
    // earlier one, so the checks run against an overlay of what the batch has done so far.
    struct State {
        bool live;
        std::uint64_t version;
    };
    std::map<std::pair<std::string_view, std::string_view>, State> overlay;
    for (std::size_t i = 0; i < batch.ops.size(); ++i) {
        const Op& op = batch.ops[i];
        const std::pair<std::string_view, std::string_view> key{op.collection, op.id};
        auto it = overlay.find(key);
        if (it == overlay.end()) {
            const Record* record = impl_->find_live(op.collection, op.id, now);
            it = overlay.emplace(key, State{record != nullptr, record ? record->version : 0}).first;
        }
        if (auto failed = internal::check_precondition(op, i, it->second.live, it->second.version)) return *failed;
        switch (op.kind) {
            case Op::Kind::put: it->second = State{true, version}; break;
            case Op::Kind::remove: it->second = State{false, 0}; break;
            case Op::Kind::check: break;  // asserts only: the key's state is unchanged
        }
    }

    for (const Op& op : batch.ops) {
        switch (op.kind) {
            case Op::Kind::put: impl_->put(op, version, now); break;
            case Op::Kind::remove: impl_->remove(op); break;
            case Op::Kind::check: break;
        }
    }
    for (std::size_t n = 0; n < batch.events.size(); ++n) impl_->append(batch.events[n], version, n, now);
    impl_->version = version;
    return CommitResult{version};
}

Result<std::size_t> MemoryStore::sweep_expired(TimePoint now, std::size_t limit) {
    struct Expired {
        const std::string* collection_name;
        Collection* collection;
        std::string id;
    };
    std::unique_lock lock(impl_->mutex);
    std::vector<Expired> expired;
    for (auto& [name, collection] : impl_->collections) {
        for (auto it = collection.expiring.begin();
             it != collection.expiring.end() && it->first <= now && expired.size() < limit; ++it) {
            expired.push_back(Expired{&name, &collection, it->second});
        }
    }
    if (expired.empty()) return std::size_t{0};
    const std::uint64_t version = impl_->version + 1;
    const TimePoint event_time = internal::now(impl_->options);
    for (std::size_t n = 0; n < expired.size(); ++n) {
        const auto it = expired[n].collection->shard(expired[n].id).find(expired[n].id);
        Event event;
        event.collection = *expired[n].collection_name;
        event.document_id = expired[n].id;
        event.action = "expired";
        event.data = std::move(it->second.body);
        impl_->erase(*expired[n].collection, it);
        impl_->append(std::move(event), version, n, event_time);
    }
    impl_->version = version;
    return expired.size();
}

Result<std::vector<Event>> MemoryStore::claim(std::size_t max, std::chrono::milliseconds lease) {
    const TimePoint now = internal::now(impl_->options);
    std::vector<Event> claimed;
    std::unique_lock lock(impl_->mutex);
    for (auto it = impl_->outbox.begin(); it != impl_->outbox.end() && claimed.size() < max; ++it) {
        OutboxEntry& entry = it->second;
        if (entry.lease_until > now) continue;
        claimed.push_back(entry.event);
        claimed.back().attempts = entry.claims;
        ++entry.claims;
        entry.lease_until = now + lease;
    }
    return claimed;
}

Result<void> MemoryStore::ack(std::span<const std::string> event_ids) {
    std::unique_lock lock(impl_->mutex);
    for (const std::string& id : event_ids) {
        if (const auto key = internal::parse_event_id(id)) impl_->outbox.erase(*key);
    }
    return {};
}

Result<OutboxStats> MemoryStore::outbox_stats() {
    std::shared_lock lock(impl_->mutex);
    OutboxStats stats;
    stats.pending = impl_->outbox.size();
    if (!impl_->outbox.empty()) stats.oldest = impl_->outbox.begin()->second.event.time;
    return stats;
}

Result<void> MemoryStore::ping() { return {}; }

}  // namespace tessera::store
