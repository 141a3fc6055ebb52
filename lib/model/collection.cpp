#include <tessera/model/collection.hpp>

#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/model/ids.hpp>

#include "common/time_format.hpp"
#include "model/entity_codec.hpp"
#include "model/graph_reads.hpp"
#include "model/graph_text.hpp"
#include "model/graph_write_plan.hpp"

#include <boost/json/serialize.hpp>

#include <random>
#include <set>
#include <thread>

namespace tessera::model {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using internal::Key;
using internal::Node;
using internal::Nodes;
using store::Precondition;

constexpr const char* kIdempotencyCollection = "_idempotency";
const json::ParseLimits kStoredLimits{64u << 20, 512};

Error pointer_error(std::string message, const std::string& pointer, std::string detail) {
    return Error(ErrorCode::invalid, std::move(message),
                 {{"errors", array{object{{"pointer", pointer}, {"message", std::move(detail)}}}}});
}

Error not_found(const std::string& collection, std::string_view id) {
    return Error(ErrorCode::not_found, "no " + collection + " document with id '" + std::string(id) + "'",
                 {{"collection", collection}, {"id", id}});
}

Error if_match_failed(const std::string& collection, std::string_view id) {
    return Error(ErrorCode::precondition_failed,
                 "If-Match does not match the current entity tag of " + collection + "/" + std::string(id),
                 {{"collection", collection}, {"id", id}, {"header", "If-Match"}});
}

Error if_none_match_failed(const std::string& collection, std::string_view id) {
    return Error(ErrorCode::precondition_failed,
                 "If-None-Match matches the current entity tag of " + collection + "/" + std::string(id),
                 {{"collection", collection}, {"id", id}, {"header", "If-None-Match"}});
}

std::optional<std::size_t> failed_op(const Error& error) {
    if (error.code() != ErrorCode::precondition_failed) return std::nullopt;
    return error.failed_op();
}

// Hash of what a request asked for, to tell an Idempotency-Key retry from a reuse of the key.
std::string fingerprint_of(std::string_view operation, std::string_view id, const value& request) {
    std::string text(operation);
    text += '\n';
    text += id;
    text += '\n';
    text += json::to_canonical(request);
    return make_etag(text).opaque;
}

}  // namespace

// What a read saw: the stored objects of the graph and the assembled resource.
struct Snapshot {
    Nodes nodes;
    Resource resource;
};

// What one write attempt did, for reading a precondition failure of its commit.
struct Attempt {
    bool optimistic = false;                    // entities not read are assumed new
    std::optional<std::size_t> root_op;         // the document's own op
    std::optional<std::size_t> idempotency_op;  // the Idempotency-Key record's op
    std::set<std::size_t> assumed_new;          // ops resting on the optimistic assumption
};

struct Collection::Impl {
    Impl(Collection& c, const schema::EntityPolicy* entities) : self(c), codec(entities) {}

    using Mutation = std::function<Result<value>(const value& current)>;

    Result<Snapshot> load(std::string_view id, Representation representation = Representation::full) {
        const Key root{self.name(), std::string(id)};
        auto nodes = internal::load_nodes(self.store_, root);
        if (!nodes) {
            if (nodes.error().code() == ErrorCode::not_found) return not_found(self.name(), id);
            return std::move(nodes).error();
        }
        Snapshot snapshot;
        const Node& top = nodes->at(root);
        auto& r = snapshot.resource;
        r.collection = self.name();
        r.id = std::string(id);
        r.text = codec.splits() ? internal::assemble(root, *nodes) : top.text;  // both canonical
        r.etag = make_etag(r.text);
        if (representation == Representation::full) {
            auto body = json::parse(r.text, kStoredLimits);
            if (!body) return Error(ErrorCode::internal, "stored document " + root.str() + " is not JSON");
            r.body = std::move(*body);
        }
        r.version = top.version;
        r.created_at = top.created_at;
        r.updated_at = top.updated_at;
        r.expires_at = top.expires_at;
        snapshot.nodes = std::move(*nodes);
        return snapshot;
    }

    // Fills in what the annotations derive (the id field, the expiry) and validates the document.
    Result<std::optional<store::TimePoint>> prepare(std::string_view id, value& body, const Resource* before) {
        if (!body.is_object()) return pointer_error("a " + self.name() + " document must be a JSON object", "", "expected an object");
        // Every write path (POST, PUT, both patches) ends here, so a client can never store a link.
        if (auto no_links = internal::EntityCodec::check_no_link_members(body); !no_links) return std::move(no_links).error();
        auto& object = body.as_object();
        const auto& annotations = self.annotations();
        const auto& id_field = annotations.id.field;
        if (!id_field.empty()) {
            if (auto* given = object.if_contains(id_field); given && !(given->is_string() && given->as_string() == id)) {
                return pointer_error("the document's '" + id_field + "' does not match its id '" + std::string(id) + "'",
                                     "/" + id_field, "must equal the document id '" + std::string(id) + "'");
            }
            object[id_field] = id;
        }
        std::optional<store::TimePoint> expires_at;
        if (annotations.ttl) {
            const auto& ttl = *annotations.ttl;
            if (!ttl.field.empty()) {
                if (auto* given = object.if_contains(ttl.field); given && given->is_string()) {
                    expires_at = common::parse_rfc3339(given->as_string());
                    if (!expires_at) {
                        return pointer_error("'" + ttl.field + "' is not an RFC 3339 date-time", "/" + ttl.field,
                                             "expected an RFC 3339 date-time");
                    }
                }
            }
            if (!expires_at && before != nullptr) expires_at = before->expires_at;
            if (!expires_at && ttl.default_ttl) {
                expires_at = std::chrono::time_point_cast<store::TimePoint::duration>(store::Clock::now() + *ttl.default_ttl);
            }
            if (expires_at && !ttl.field.empty() && !object.contains(ttl.field)) {
                object[ttl.field] = common::format_rfc3339(*expires_at);
            }
        }
        if (auto valid = self.schema().check(body); !valid) return std::move(valid).error();
        return expires_at;
    }

    Result<std::optional<Resource>> replay(const WriteOptions& options, std::string_view fingerprint) {
        if (options.idempotency_key.empty()) return std::optional<Resource>{};
        auto record = self.store_.get(kIdempotencyCollection, make_etag(options.idempotency_key).opaque);
        if (!record) {
            if (record.error().code() == ErrorCode::not_found) return std::optional<Resource>{};
            return std::move(record).error();
        }
        auto parsed = json::parse(record->body, kStoredLimits);
        if (!parsed || !parsed->is_object()) return Error(ErrorCode::internal, "corrupt idempotency record");
        const auto& r = parsed->as_object();
        if (r.at("fingerprint").as_string() != fingerprint) {
            return Error(ErrorCode::invalid, "this Idempotency-Key was already used for a different request",
                         {{"header", "Idempotency-Key"}});
        }
        Resource resource;
        resource.collection = self.name();
        resource.id = std::string(r.at("id").as_string());
        resource.text = std::string(r.at("text").as_string());
        auto body = json::parse(resource.text, kStoredLimits);
        if (!body) return Error(ErrorCode::internal, "corrupt idempotency record");
        resource.body = std::move(*body);
        resource.etag = make_etag(resource.text);
        resource.created = r.at("created").as_bool();
        resource.created_at = resource.updated_at = record->updated_at;
        resource.replayed = true;
        return std::optional<Resource>(std::move(resource));
    }

    // One attempt at taking `id` from `before` (nullptr: absent) to `body`: prepare, validate, split,
    // plan, commit. A precondition failure comes back as is for the caller to interpret.
    Result<Resource> write(std::string_view id, value body, const Snapshot* before, const WriteOptions& options,
                           std::string_view fingerprint, Attempt& attempt) {
        auto expires_at = prepare(id, body, before ? &before->resource : nullptr);
        if (!expires_at) return std::move(expires_at).error();
        const Key root{self.name(), std::string(id)};
        auto after = codec.split(root, body);
        if (!after) return std::move(after).error();

        Resource resource;
        resource.collection = self.name();
        resource.id = std::string(id);
        resource.text = json::to_canonical(body);
        if (resource.text.size() > max_document_bytes()) {
            return Error(ErrorCode::too_large,
                         "the " + self.name() + " document would be " + std::to_string(resource.text.size()) +
                             " bytes; the limit is " + std::to_string(max_document_bytes()),
                         {{"limit", max_document_bytes()}});
        }
        resource.body = std::move(body);
        resource.etag = make_etag(resource.text);
        resource.created = before == nullptr;
        resource.expires_at = *expires_at;
        const auto now = store::Clock::now();
        resource.created_at = before ? before->resource.created_at : now;
        resource.updated_at = now;

        static const Nodes kNone;
        auto planned = internal::plan_graph_write(self.store_, root, before ? before->nodes : kNone, *after, *expires_at,
                                                attempt.optimistic);
        if (!planned) return std::move(planned).error();
        attempt.assumed_new = std::move(planned->assumed_new);  // not read from `planned` again
        if (!planned->changed) {
            // Nothing changes: no commit, no event, same tag.
            resource.version = before->resource.version;
            resource.updated_at = before->resource.updated_at;
            return resource;
        }
        attempt.root_op = planned->root_op;
        auto& batch = planned->batch;
        if (!options.idempotency_key.empty()) {
            // Same commit as the write: a key is remembered exactly when its write happened.
            object record{{"fingerprint", fingerprint}, {"id", resource.id}, {"text", resource.text},
                          {"created", resource.created}};
            attempt.idempotency_op = batch.ops.size();
            batch.ops.push_back(store::Op::put(
                kIdempotencyCollection, make_etag(options.idempotency_key).opaque, boost::json::serialize(record),
                Precondition::absent(),
                std::chrono::time_point_cast<store::TimePoint::duration>(now + self.config_.idempotency_ttl)));
        }
        auto committed = self.store_.commit(batch);
        if (!committed) return std::move(committed).error();
        resource.version = committed->version;
        return resource;
    }

    // Runs `try_once` until it commits or fails for a reason other than a concurrent change. The first
    // try is optimistic about entities it has not read (they are new); a failure on that assumption
    // makes the next try read them.
    template <class TryOnce>
    Result<Resource> retrying(const WriteOptions& options, std::string_view fingerprint, std::string_view id, TryOnce try_once) {
        bool optimistic = true;
        for (int tries = 0; tries < self.config_.write_retries; ++tries) {
            Attempt attempt;
            attempt.optimistic = optimistic;
            auto result = try_once(attempt);
            if (result) return result;
            const auto op = failed_op(result.error());
            if (!op) return result;
            if (attempt.assumed_new.contains(*op)) {
                optimistic = false;
                continue;
            }
            back_off(tries);
            const auto& idempotency_op = attempt.idempotency_op;
            if (idempotency_op && *op == *idempotency_op) {
                // A concurrent request with the same key won the race: answer as it did.
                auto again = replay(options, fingerprint);
                if (!again) return std::move(again).error();
                if (*again) return std::move(**again);
            }
        }
        return Error(ErrorCode::conflict, "too many concurrent writes to " + self.name() + "/" + std::string(id) + "; retry",
                     {{"collection", self.name()}, {"id", id}});
    }

    Result<Resource> create(value body, std::string_view url_id, const WriteOptions& options) {
        if (options.preconditions.if_match) {
            // RFC 9110 §13.1.1: If-Match cannot match a representation that does not exist yet.
            return Error(ErrorCode::precondition_failed, "If-Match cannot hold for a document being created",
                         {{"header", "If-Match"}});
        }
        const std::string fingerprint =
            options.idempotency_key.empty() ? std::string() : fingerprint_of("create", url_id, body);
        auto replayed = replay(options, fingerprint);
        if (!replayed) return std::move(replayed).error();
        if (*replayed) return std::move(**replayed);

        auto id = resolve_id(body, url_id);
        if (!id) return std::move(id).error();
        return retrying(options, fingerprint, *id, [&](Attempt& attempt) -> Result<Resource> {
            auto written = write(*id, body, nullptr, options, fingerprint, attempt);
            if (!written && attempt.root_op && failed_op(written.error()) == attempt.root_op) {
                return Error(ErrorCode::conflict, self.name() + "/" + *id + " already exists",
                             {{"collection", self.name()}, {"id", *id}});
            }
            return written;
        });
    }

    // Id policy: the body member, then the URL, then a generated id.
    Result<std::string> resolve_id(const value& body, std::string_view url_id) {
        std::string id;
        const auto& policy = self.annotations().id;
        if (!policy.field.empty() && body.is_object()) {
            if (const auto* given = body.as_object().if_contains(policy.field)) {
                if (!given->is_string()) return pointer_error("'" + policy.field + "' must be a string", "/" + policy.field, "expected a string");
                id = std::string(given->as_string());
            }
        }
        if (!url_id.empty()) {
            if (!policy.from_url) return Error(ErrorCode::invalid, "ids of " + self.name() + " documents cannot be chosen in the URL");
            if (!id.empty() && id != url_id) {
                return pointer_error("the id in the URL differs from the document's '" + policy.field + "'",
                                     "/" + policy.field, "must equal the id in the URL");
            }
            id = std::string(url_id);
        }
        if (id.empty() && policy.generate) id = generate_id(*policy.generate);
        if (id.empty()) {
            return pointer_error("the document has no id" + (policy.field.empty() ? "" : " ('" + policy.field + "')"),
                                 policy.field.empty() ? "" : "/" + policy.field, "an id is required");
        }
        if (!is_valid_id(id)) {
            return Error(ErrorCode::invalid, "'" + id + "' is not a valid id (1-256 bytes, no '/', no control characters)");
        }
        return id;
    }

    // Read-modify-write of an existing document. With If-Match the caller's tag pins the graph, so a
    // concurrent change is `precondition_failed`; without it, retry on the fresh graph.
    Result<Resource> update(std::string_view id, const WriteOptions& options, std::string_view kind,
                            const value& request, const Mutation& mutate) {
        const std::string fingerprint =
            options.idempotency_key.empty() ? std::string() : fingerprint_of(kind, id, request);
        auto replayed = replay(options, fingerprint);
        if (!replayed) return std::move(replayed).error();
        if (*replayed) return std::move(**replayed);

        const auto& pre = options.preconditions;
        return retrying(options, fingerprint, id, [&](Attempt& attempt) -> Result<Resource> {
            auto snapshot = load(id);
            if (!snapshot) return std::move(snapshot).error();
            const auto& current = snapshot->resource;
            if (pre.if_match && !pre.if_match->matches_strong(current.etag)) return if_match_failed(self.name(), id);
            if (pre.if_none_match && pre.if_none_match->matches_weak(current.etag)) return if_none_match_failed(self.name(), id);
            auto next = mutate(current.body);
            if (!next) return std::move(next).error();
            auto written = write(id, std::move(*next), &*snapshot, options, fingerprint, attempt);
            const auto op = written ? std::nullopt : failed_op(written.error());
            if (op && pre.if_match && op != attempt.idempotency_op && !attempt.assumed_new.contains(*op)) {
                // Something in the graph changed after our read: the caller's tag is stale.
                return if_match_failed(self.name(), id);
            }
            return written;
        });
    }

    Result<void> remove(std::string_view id, const WriteOptions& options) {
        const auto& pre = options.preconditions;
        const Key root{self.name(), std::string(id)};
        for (int tries = 0; tries < self.config_.write_retries; ++tries) {
            auto snapshot = load(id);
            if (!snapshot) return std::move(snapshot).error();
            const auto& current = snapshot->resource;
            if (pre.if_match && !pre.if_match->matches_strong(current.etag)) return if_match_failed(self.name(), id);
            if (pre.if_none_match && pre.if_none_match->matches_weak(current.etag)) return if_none_match_failed(self.name(), id);

            store::Batch batch;
            if (codec.splits()) {
                // An entity other objects still link to cannot go: they would hold dangling links.
                auto parents = internal::load_parents(self.store_, {root});
                if (!parents) return std::move(parents).error();
                const auto& referrers = parents->at(root).keys;
                if (!referrers.empty()) {
                    array list;
                    for (const auto& r : referrers) list.push_back(value(r.str()));
                    return Error(ErrorCode::conflict,
                                 self.name() + "/" + std::string(id) + " is referred to by " + std::to_string(referrers.size()) +
                                     " other object(s); remove those links first",
                                 {{"collection", self.name()}, {"id", id}, {"referrers", std::move(list)}});
                }
                auto planned = internal::plan_graph_write(self.store_, root, snapshot->nodes, {}, std::nullopt);
                if (!planned) return std::move(planned).error();
                batch = std::move(planned->batch);
                // ...and nobody may link to it between our read and our commit.
                batch.ops.push_back(store::Op::check(internal::kLinksCollection, root.str(), Precondition::absent()));
            } else {
                batch.ops.push_back(store::Op::remove(self.name(), std::string(id), Precondition::at_version(current.version)));
                store::Event event;
                event.collection = self.name();
                event.document_id = std::string(id);
                event.action = "deleted";
                batch.events.push_back(std::move(event));
            }
            auto committed = self.store_.commit(batch);
            if (committed) return {};
            if (!failed_op(committed.error())) return std::move(committed).error();
            if (pre.if_match) return if_match_failed(self.name(), id);
            back_off(tries);
        }
        return Error(ErrorCode::conflict, "too many concurrent writes to " + self.name() + "/" + std::string(id) + "; retry");
    }

    // After losing a race to a concurrent writer, wait a random moment (up to 0.1 ms doubling per try,
    // at most 20 ms) before reading again. Without it two writers of one object can fall into step,
    // the loser re-reading just before each of the winner's commits and losing every time.
    static void back_off(int tries) {
        thread_local std::minstd_rand random{std::random_device{}()};
        const auto cap = std::min<std::int64_t>(20'000, std::int64_t{100} << std::min(tries, 10));
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<std::int64_t>(0, cap)(random)));
    }

    // EngineConfig::max_document_bytes, with its default.
    std::size_t max_document_bytes() const noexcept {
        const auto& config = self.config_;
        return config.max_document_bytes != 0 ? config.max_document_bytes : config.limits.max_bytes;
    }

    Collection& self;
    internal::EntityCodec codec;
};

Collection::Collection(store::Store& store,
                       const schema::Schema& schema,
                       const schema::EntityPolicy* entities,
                       const EngineConfig& config)
    : store_(store),
      config_(config),
      schema_(schema),
      annotations_(schema.annotations()),
      impl_(std::make_unique<Impl>(*this, entities)) {}

Collection::~Collection() = default;

Result<Resource> Collection::create(value body, std::string_view url_id, const WriteOptions& options) {
    return impl_->create(std::move(body), url_id, options);
}

Result<Resource> Collection::get(std::string_view id, const Preconditions& preconditions, Representation representation) {
    auto snapshot = impl_->load(id, representation);
    if (!snapshot) return std::move(snapshot).error();
    auto& resource = snapshot->resource;
    // RFC 9110 §13.2.2: If-Match first, then If-None-Match.
    if (preconditions.if_match && !preconditions.if_match->matches_strong(resource.etag)) return if_match_failed(name(), id);
    if (preconditions.if_none_match && preconditions.if_none_match->matches_weak(resource.etag)) resource.not_modified = true;
    return std::move(resource);
}

Result<Resource> Collection::replace(std::string_view id, value body, const WriteOptions& options) {
    auto existing = store_.get(name(), id);
    if (!existing && existing.error().code() != ErrorCode::not_found) return std::move(existing).error();
    if (!existing) {
        if (!annotations_.id.from_url) return not_found(name(), id);
        return impl_->create(std::move(body), id, options);
    }
    return impl_->update(id, options, "replace", body, [&](const value&) -> Result<value> { return body; });
}

Result<Resource> Collection::merge_patch(std::string_view id, const value& patch, const WriteOptions& options) {
    return impl_->update(id, options, "merge", patch, [&](const value& current) -> Result<value> {
        return impl_->codec.splits() ? impl_->codec.merge(current, patch) : json::merge_patch(current, patch);
    });
}

Result<Resource> Collection::json_patch(std::string_view id, const value& patch, const WriteOptions& options) {
    return impl_->update(id, options, "json-patch", patch, [&](const value& current) -> Result<value> {
        return json::apply_json_patch(current, patch, json::PatchLimits{impl_->max_document_bytes()});
    });
}

Result<void> Collection::remove(std::string_view id, const WriteOptions& options) { return impl_->remove(id, options); }

Result<ResourcePage> Collection::list(std::string_view cursor, std::size_t limit, Representation representation) {
    auto page = store_.scan(name(), cursor, limit);
    if (!page) return std::move(page).error();
    ResourcePage out;
    out.next_cursor = std::move(page->next_cursor);
    out.items.reserve(page->documents.size());
    for (const auto& doc : page->documents) {
        auto snapshot = impl_->load(doc.id, representation);
        if (!snapshot) {
            if (snapshot.error().code() == ErrorCode::not_found) continue;  // deleted since the scan
            return std::move(snapshot).error();
        }
        out.items.push_back(std::move(snapshot->resource));
    }
    return out;
}

Result<GraphView> Collection::graph(std::string_view id) {
    const Key root{name(), std::string(id)};
    auto nodes = internal::load_nodes(store_, root);
    if (!nodes) {
        if (nodes.error().code() == ErrorCode::not_found) return not_found(name(), id);
        return std::move(nodes).error();
    }
    GraphView view;
    view.root = root.str();
    view.nodes.push_back(root.str());
    for (const auto& [key, node] : *nodes) {
        if (key != root) view.nodes.push_back(key.str());
        // Relations are JSON Pointers into the stored form: this (rare) read parses it to find them.
        auto stored = json::parse(node.text, kStoredLimits);
        if (!stored) return Error(ErrorCode::internal, "stored object " + key.str() + " is not JSON");
        for (const auto& link : internal::links_of(*stored)) {
            view.edges.push_back({key.str(), link.child.str(), link.relation});
        }
    }
    return view;
}

}  // namespace tessera::model
