#pragma once
/// @file tessera/json/patch.hpp
/// @brief RFC 7386 JSON Merge Patch and RFC 6902 JSON Patch.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

namespace tessera::json {

/// Applies `patch` to `target` as RFC 7386 §2 says (null removes a member, objects merge
/// recursively, anything else replaces). Never fails.
boost::json::value merge_patch(boost::json::value target, const boost::json::value& patch);

/// Computes a merge patch that turns `from` into `to` (members removed in `to` become null).
/// Note: RFC 7386 cannot express setting a member to null; such members are omitted.
boost::json::value make_merge_patch(const boost::json::value& from, const boost::json::value& to);

/// Applies an RFC 6902 patch (an array of operations: add, remove, replace, move, copy, test)
/// to a copy of `document` and returns the result. Atomic: on any error nothing is returned
/// but the error; `document` is never modified.
/// Operations run in order and evaluation stops at the first error (RFC 6902 §5).
/// Errors: `invalid` if the patch is malformed whatever the document (not an array, unknown op,
/// missing or ill-typed member, malformed pointer, move into own child, removing the root);
/// `conflict` if it cannot be applied to this document (path or from does not exist, parent is
/// not a container, array index out of range or not an index, a `test` fails).
/// An error about an operation carries `details.op` (its index) and `details.pointer`
/// ("/<index>" into the patch document); a patch that is not an array carries only
/// `details.pointer` "".
Result<boost::json::value> apply_json_patch(const boost::json::value& document, const boost::json::value& patch);

}  // namespace tessera::json
