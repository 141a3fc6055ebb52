#include <tessera/model/collection.hpp>

#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/model/ids.hpp>

#include "common/time_format.hpp"

#include <boost/json/serialize.hpp>

namespace tessera::model {
namespace {

using boost::json::value;
using store::Precondition;

constexpr const char* kIdempotencyCollection = "_idempotency";

// Stored bodies are our own canonical text; the limits only guard against a corrupted store.
const json::ParseLimits kStoredLimits{64u << 20, 512};

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

bool failed_op_is(const Error& error, std::size_t op) {
    if (error.code() != ErrorCode::precondition_failed) return false;
    const auto* index = error.details().if_contains("op");
    return index != nullptr && index->is_number() && index->to_number<std::size_t>() == op;
}

Result<Resource> to_resource(const store::Document& doc) {
    auto body = json::parse(doc.body, kStoredLimits);
    if (!body) {
        return Error(ErrorCode::internal, "stored document " + doc.collection + "/" + doc.id + " is not JSON",
                     {{"backend", body.error().to_json()}});
    }
    Resource r;
    r.collection = doc.collection;
    r.id = doc.id;
    r.body = std::move(*body);
    r.text = doc.body;
    r.etag = make_etag(doc.body);
    r.version = doc.version;
    r.created_at = doc.created_at;
    r.updated_at = doc.updated_at;
    r.expires_at = doc.expires_at;
    return r;
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

Collection::Collection(store::Store& store,
                       const schema::Registry& registry,
                       const schema::Schema& schema,
                       const EngineConfig& config)
    : store_(store), registry_(registry), config_(config), schema_(schema), annotations_(schema.annotations()) {}

// Fills in what the schema's annotations derive (the id field, the expiry) and checks the id.
Result<void> Collection::prepare(std::string_view id,
                                 value& body,
                                 std::optional<store::TimePoint>& expires_at,
                                 const store::Document* before) {
    if (!body.is_object()) {
        return Error(ErrorCode::invalid, "a " + name() + " document must be a JSON object",
                     {{"errors", boost::json::array{boost::json::object{{"pointer", ""}, {"message", "expected an object"}}}}});
    }
    auto& object = body.as_object();
    const auto& id_field = annotations_.id.field;
    if (!id_field.empty()) {
        if (auto* given = object.if_contains(id_field); given && !(given->is_string() && given->as_string() == id)) {
            return Error(ErrorCode::invalid,
                         "the document's '" + id_field + "' does not match its id '" + std::string(id) + "'",
                         {{"errors", boost::json::array{boost::json::object{
                                         {"pointer", "/" + id_field},
                                         {"message", "must equal the document id '" + std::string(id) + "'"}}}}});
        }
        object[id_field] = id;
    }
    expires_at.reset();
    if (annotations_.ttl) {
        const auto& ttl = *annotations_.ttl;
        if (!ttl.field.empty()) {
            if (auto* given = object.if_contains(ttl.field); given && given->is_string()) {
                expires_at = common::parse_rfc3339(given->as_string());
                if (!expires_at) {
                    return Error(ErrorCode::invalid, "'" + ttl.field + "' is not an RFC 3339 date-time",
                                 {{"errors", boost::json::array{boost::json::object{
                                                 {"pointer", "/" + ttl.field},
                                                 {"message", "expected an RFC 3339 date-time"}}}}});
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
    return schema_.check(body);
}

Result<std::optional<Resource>> Collection::replay(const WriteOptions& options, std::string_view fingerprint) {
    if (options.idempotency_key.empty()) return std::optional<Resource>{};
    auto record = store_.get(kIdempotencyCollection, make_etag(options.idempotency_key).opaque);
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
    store::Document doc;
    doc.collection = name();
    doc.id = std::string(r.at("id").as_string());
    doc.body = std::string(r.at("text").as_string());
    doc.version = r.at("version").to_number<std::uint64_t>();
    doc.created_at = doc.updated_at = record->updated_at;
    auto resource = to_resource(doc);
    if (!resource) return std::move(resource).error();
    resource->created = r.at("created").as_bool();
    resource->replayed = true;
    return std::optional<Resource>(std::move(*resource));
}

// Commits `body` as the new state of `id`: the document op, its event, and the idempotency record.
// `before` is the current document (nullptr: must be absent).
Result<Resource> Collection::write(std::string_view id,
                                   value body,
                                   std::optional<std::uint64_t> base_version,
                                   const store::Document* before,
                                   const WriteOptions& options,
                                   std::string_view fingerprint) {
    std::optional<store::TimePoint> expires_at;
    if (auto prepared = prepare(id, body, expires_at, before); !prepared) return std::move(prepared).error();

    Resource resource;
    resource.collection = name();
    resource.id = std::string(id);
    resource.text = json::to_canonical(body);
    resource.body = std::move(body);
    resource.etag = make_etag(resource.text);
    resource.created = before == nullptr;
    resource.expires_at = expires_at;
    const auto now = store::Clock::now();
    resource.created_at = before ? before->created_at : now;
    resource.updated_at = now;

    if (before != nullptr && before->body == resource.text && before->expires_at == expires_at) {
        // Nothing changes: no commit, no event, same tag.
        resource.version = before->version;
        resource.updated_at = before->updated_at;
        return resource;
    }

    store::Batch batch;
    batch.ops.push_back(store::Op::put(name(), resource.id, resource.text,
                                       base_version ? Precondition::at_version(*base_version) : Precondition::absent(),
                                       expires_at));
    store::Event event;
    event.collection = name();
    event.document_id = resource.id;
    event.action = resource.created ? "created" : "updated";
    event.data = resource.text;
    batch.events.push_back(std::move(event));

    if (!options.idempotency_key.empty()) {
        // Same commit as the write: a key is remembered exactly when its write happened.
        boost::json::object record{{"fingerprint", fingerprint}, {"id", resource.id}, {"text", resource.text},
                                   {"created", resource.created}, {"version", 0}};
        batch.ops.push_back(store::Op::put(
            kIdempotencyCollection, make_etag(options.idempotency_key).opaque, boost::json::serialize(record),
            Precondition::absent(),
            std::chrono::time_point_cast<store::TimePoint::duration>(now + config_.idempotency_ttl)));
    }

    auto committed = store_.commit(batch);
    if (!committed) return std::move(committed).error();
    resource.version = committed->version;
    return resource;
}

Result<Resource> Collection::create(value body, std::string_view url_id, const WriteOptions& options) {
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

    // Id policy: the body member, then the URL, then a generated id.
    std::string id;
    const auto& policy = annotations_.id;
    if (!policy.field.empty() && body.is_object()) {
        if (const auto* given = body.as_object().if_contains(policy.field)) {
            if (!given->is_string()) {
                return Error(ErrorCode::invalid, "'" + policy.field + "' must be a string",
                             {{"errors", boost::json::array{boost::json::object{{"pointer", "/" + policy.field},
                                                                                {"message", "expected a string"}}}}});
            }
            id = std::string(given->as_string());
        }
    }
    if (!url_id.empty()) {
        if (!policy.from_url) {
            return Error(ErrorCode::invalid, "ids of " + name() + " documents cannot be chosen in the URL");
        }
        if (!id.empty() && id != url_id) {
            return Error(ErrorCode::invalid, "the id in the URL differs from the document's '" + policy.field + "'",
                         {{"errors", boost::json::array{boost::json::object{
                                         {"pointer", "/" + policy.field}, {"message", "must equal the id in the URL"}}}}});
        }
        id = std::string(url_id);
    }
    if (id.empty() && policy.generate) id = generate_id(*policy.generate);
    if (id.empty()) {
        const std::string pointer = policy.field.empty() ? "" : "/" + policy.field;
        return Error(ErrorCode::invalid, "the document has no id" + (policy.field.empty() ? "" : " ('" + policy.field + "')"),
                     {{"errors", boost::json::array{boost::json::object{{"pointer", pointer},
                                                                        {"message", "an id is required"}}}}});
    }
    if (!is_valid_id(id)) {
        return Error(ErrorCode::invalid, "'" + id + "' is not a valid id (1-256 bytes, no '/', no control characters)");
    }

    auto written = write(id, std::move(body), std::nullopt, nullptr, options, fingerprint);
    if (!written) {
        if (failed_op_is(written.error(), 0)) {
            return Error(ErrorCode::conflict, name() + "/" + id + " already exists", {{"collection", name()}, {"id", id}});
        }
        if (failed_op_is(written.error(), 1)) {
            // A concurrent request with the same key won the race: answer as it did.
            if (auto again = replay(options, fingerprint); again && *again) return std::move(**again);
        }
    }
    return written;
}

Result<Resource> Collection::get(std::string_view id, const Preconditions& preconditions) {
    auto doc = store_.get(name(), id);
    if (!doc) {
        if (doc.error().code() == ErrorCode::not_found) return not_found(name(), id);
        return std::move(doc).error();
    }
    auto resource = to_resource(*doc);
    if (!resource) return resource;
    // RFC 9110 §13.2.2: If-Match first, then If-None-Match.
    if (preconditions.if_match && !preconditions.if_match->matches_strong(resource->etag)) {
        return if_match_failed(name(), id);
    }
    if (preconditions.if_none_match && preconditions.if_none_match->matches_weak(resource->etag)) {
        resource->not_modified = true;
    }
    return resource;
}

// Read-modify-write under a version precondition. With If-Match the caller's tag pins the version, so
// a concurrent change is `precondition_failed`; without it, retry on the fresh document.
Result<Resource> Collection::update(std::string_view id,
                                    const WriteOptions& options,
                                    const char* fingerprint_kind,
                                    const value& request,
                                    const Mutation& mutate) {
    const std::string fingerprint =
        options.idempotency_key.empty() ? std::string() : fingerprint_of(fingerprint_kind, id, request);
    auto replayed = replay(options, fingerprint);
    if (!replayed) return std::move(replayed).error();
    if (*replayed) return std::move(**replayed);

    const auto& pre = options.preconditions;
    for (int attempt = 0; attempt < config_.write_retries; ++attempt) {
        auto doc = store_.get(name(), id);
        if (!doc) {
            if (doc.error().code() == ErrorCode::not_found) return not_found(name(), id);
            return std::move(doc).error();
        }
        const Etag current = make_etag(doc->body);
        if (pre.if_match && !pre.if_match->matches_strong(current)) return if_match_failed(name(), id);
        if (pre.if_none_match && pre.if_none_match->matches_weak(current)) return if_none_match_failed(name(), id);

        auto parsed = json::parse(doc->body, kStoredLimits);
        if (!parsed) return Error(ErrorCode::internal, "stored document " + name() + "/" + std::string(id) + " is not JSON");
        auto next = mutate(*parsed);
        if (!next) return std::move(next).error();

        auto written = write(id, std::move(*next), doc->version, &*doc, options, fingerprint);
        if (written || !failed_op_is(written.error(), 0)) {
            if (!written && failed_op_is(written.error(), 1)) {
                if (auto again = replay(options, fingerprint); again && *again) return std::move(**again);
            }
            return written;
        }
        if (pre.if_match) return if_match_failed(name(), id);  // changed after our read: the tag is stale
    }
    return Error(ErrorCode::conflict, "too many concurrent writes to " + name() + "/" + std::string(id) + "; retry",
                 {{"collection", name()}, {"id", id}});
}

Result<Resource> Collection::replace(std::string_view id, value body, const WriteOptions& options) {
    auto existing = store_.get(name(), id);
    if (!existing && existing.error().code() != ErrorCode::not_found) return std::move(existing).error();
    if (!existing) {
        if (!annotations_.id.from_url) return not_found(name(), id);
        return create(std::move(body), id, options);
    }
    return update(id, options, "replace", body, [&](const value&) -> Result<value> { return body; });
}

Result<Resource> Collection::merge_patch(std::string_view id, const value& patch, const WriteOptions& options) {
    return update(id, options, "merge", patch,
                  [&](const value& current) -> Result<value> { return json::merge_patch(current, patch); });
}

Result<Resource> Collection::json_patch(std::string_view id, const value& patch, const WriteOptions& options) {
    return update(id, options, "json-patch", patch, [&](const value& current) -> Result<value> {
        auto patched = json::apply_json_patch(current, patch);
        if (!patched && patched.error().code() == ErrorCode::invalid) patched.error().details()["kind"] = "syntax";
        return patched;
    });
}

Result<void> Collection::remove(std::string_view id, const WriteOptions& options) {
    const auto& pre = options.preconditions;
    Precondition guard = Precondition::exists();
    if (pre.if_match || pre.if_none_match) {
        auto doc = store_.get(name(), id);
        if (!doc) {
            if (doc.error().code() == ErrorCode::not_found) return not_found(name(), id);
            return std::move(doc).error();
        }
        const Etag current = make_etag(doc->body);
        if (pre.if_match && !pre.if_match->matches_strong(current)) return if_match_failed(name(), id);
        if (pre.if_none_match && pre.if_none_match->matches_weak(current)) return if_none_match_failed(name(), id);
        guard = Precondition::at_version(doc->version);
    }
    store::Batch batch;
    batch.ops.push_back(store::Op::remove(name(), std::string(id), guard));
    store::Event event;
    event.collection = name();
    event.document_id = std::string(id);
    event.action = "deleted";
    batch.events.push_back(std::move(event));
    auto committed = store_.commit(batch);
    if (!committed) {
        if (failed_op_is(committed.error(), 0)) {
            return guard.kind == Precondition::Kind::exists ? not_found(name(), id) : if_match_failed(name(), id);
        }
        return std::move(committed).error();
    }
    return {};
}

Result<ResourcePage> Collection::list(std::string_view cursor, std::size_t limit) {
    auto page = store_.scan(name(), cursor, limit);
    if (!page) return std::move(page).error();
    ResourcePage out;
    out.next_cursor = std::move(page->next_cursor);
    out.items.reserve(page->documents.size());
    for (const auto& doc : page->documents) {
        auto resource = to_resource(doc);
        if (!resource) return std::move(resource).error();
        out.items.push_back(std::move(*resource));
    }
    return out;
}

}  // namespace tessera::model
