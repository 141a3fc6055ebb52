#pragma once
// Private: the Elasticsearch 8 SearchIndex (libcurl through remote::HttpClient). SearchIndex::open
// calls open_elasticsearch_index for http:// and https:// URLs. docs/elasticsearch.md says the
// same for users, and that this backend has been tested against ES 8's recorded contract only.
//
// Layout (elastic_layout.hpp):
// - ONE index for every collection — ES's join field needs parents and children in one index —
//   named by the URL's path (http://host:9200/NAME) or else "<IndexOptions::index_prefix>objects"
//   ("tessera-objects"). open() creates it (PUT /NAME with settings + mappings); if it exists
//   (400 resource_already_exists_exception) it puts the mappings again (PUT /NAME/_mapping), which
//   adds new fields and relations and fails `invalid` if a field changed type.
// - Mapping: dynamic false (members the catalog does not list, links included, are kept in _source
//   but not indexed). string → keyword (ignore_above 8191) with a `text` subfield analysed by
//   "tessera_text" (standard tokenizer + lowercase + asciifolding, close to unicode61 with
//   diacritics removed); integer → long; number → double; boolean; date → date (RFC 3339 or
//   YYYY-MM-DD). Dotted paths are object paths. A path two collections type differently is mapped
//   once: integer + number → double, anything else → keyword.
// - Meta fields: tessera_collection, tessera_id, tessera_root ("collection/id" of the graph's root,
//   the routing key), tessera_parent (keyword), tessera_version (long); schema members named
//   tessera_* at the top level are not indexed.
// - Join field tessera_join: relations from the catalog's edges. A document's join name is
//   Catalog::relation_name(parent, child) — the child's collection, or "<parent>/<child>" where the
//   child has two parent collections (ES gives each relation one parent): "plans/membercostshares"
//   and "planservices/membercostshares". A root collection's documents carry their collection's
//   name. Edges ES cannot hold are left out of the join (has_child / has_parent across them are
//   `unsupported`): edges under a collection that has two parents (its documents carry two names)
//   and edges closing a cycle.
//
// Operations:
// - apply: one POST /NAME/_bulk (NDJSON; ?refresh=wait_for when asked): `index` / `delete` with
//   _id "<collection>/<id>", routing = the root's key (its own for a root), version = the op's with
//   version_type external, so ES refuses a version <= the one it holds: a 409
//   version_conflict_engine_exception item is `stale`. Any other item error fails the call
//   `internal` (up to 10 item errors in details.backend.elasticsearch.items); the batch may be
//   applied again (it is idempotent). A delete of an unknown document (404 not_found) is applied:
//   ES keeps its tombstone.
//   A remove op must carry `root` as its upserts did: deletes are routed too, and a wrong routing
//   misses the document.
// - search: elastic_dsl.hpp; hits carry _version; sort values are ES's own (dates in epoch ms;
//   a missing numeric value is ES's substitute), which search_after takes back.
// - version_of: a search (term tessera_collection + term tessera_id, _version). It sees what the
//   last refresh made visible (1 s by default, at once after apply(refresh = true)), and a removed
//   object's tombstone is not searchable: nullopt — ES keeps tombstones only for index.gc_deletes
//   (60 s by default); for that long an older version is still refused by apply.
// - clear(""): DELETE /NAME and create it again (tombstones go too; run it with the indexer
//   paused, as a rebuild does). clear(collection): _delete_by_query on tessera_collection; ES
//   deletes those with internal versions, so for index.gc_deletes an apply at a version <= the
//   deleted one + 1 is `stale`: rebuild one collection after 60 s, or clear everything.
// - state: count + max(tessera_version) of live documents (tombstones are not counted); generation
//   counts this process's applies that changed something.
// - ping: GET /.
// Errors: transport failures as HttpClient gives them (unavailable, timeout); HTTP 429, 502, 503 →
// `unavailable`, 504 → `timeout` (retryable); 400 → `invalid`; any other status → `internal`; the
// ES error (status, type, reason) in details.backend.elasticsearch.

#include <tessera/result.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/search_index.hpp>

#include <memory>
#include <string_view>

namespace tessera::search::internal {

/// Opens the Elasticsearch 8 index at `url` (http:// or https://host:port[/index]) for `catalog`:
/// checks the cluster (GET /: version 8 or later, else `unsupported`) and creates or updates the
/// index. Errors: `invalid` (a malformed URL or index name, a mapping that conflicts with the
/// existing index's), `unsupported`, `unavailable` / `timeout` (ES cannot be reached).
Result<std::unique_ptr<SearchIndex>> open_elasticsearch_index(std::string_view url,
                                                              const Catalog& catalog,
                                                              const IndexOptions& options);

}  // namespace tessera::search::internal
