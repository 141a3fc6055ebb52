#pragma once
/// @file tessera/json/patch.hpp
/// @brief RFC 7386 JSON Merge Patch and RFC 6902 JSON Patch.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <limits>

namespace tessera::json {

/// Applies `patch` to `target` as RFC 7386 §2 says (null removes a member, objects merge
/// recursively, anything else replaces). Never fails.
boost::json::value merge_patch(boost::json::value target, const boost::json::value& patch);

/// Computes a merge patch that turns `from` into `to` (members removed in `to` become null).
/// Note: RFC 7386 cannot express setting a member to null; such members are omitted.
boost::json::value make_merge_patch(const boost::json::value& from, const boost::json::value& to);

/// Bounds on what applying a JSON Patch may build. Field comments give defaults.
struct PatchLimits {
    /// Largest document the patch may produce at any step, in bytes of canonical text (estimated as the
    /// document grows, a number counted as 24 bytes). Default: unbounded.
    std::size_t max_document_bytes = std::numeric_limits<std::size_t>::max();
    /// The bytes of document a patch may walk and copy in all, as a multiple of `max_document_bytes`:
    /// what bounds the time of a patch that copies and removes the same large value again and again.
    static constexpr std::size_t kWorkFactor = 16;
};

/// Applies an RFC 6902 patch (an array of operations: add, remove, replace, move, copy, test)
/// to a copy of `document` and returns the result. Atomic: on any error nothing is returned
/// but the error; `document` is never modified.
/// Operations run in order and evaluation stops at the first error (RFC 6902 §5).
/// Errors: `malformed` if the patch is malformed whatever the document (not an array, unknown op,
/// missing or ill-typed member, malformed pointer, move into own child, removing the root);
/// `conflict` if it cannot be applied to this document (path or from does not exist, parent is
/// not a container, array index out of range or not an index, a `test` fails); `too_large` if an
/// operation would take the document past `limits.max_document_bytes` (checked before a copy is made,
/// so memory stays bounded) or the patch's work past `kWorkFactor` times it, or if `document` already
/// exceeds it (`details.limit` names the bound).
/// An error about an operation carries `details.op` (its index) and `details.pointer`
/// ("/<index>" into the patch document); a patch that is not an array carries only
/// `details.pointer` "".
Result<boost::json::value> apply_json_patch(const boost::json::value& document,
                                            const boost::json::value& patch,
                                            const PatchLimits& limits = {});

}  // namespace tessera::json
