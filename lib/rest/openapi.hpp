#pragma once
// Private: the OpenAPI 3.1 document generated from the engine's schemas and routes.

#include <tessera/model/engine.hpp>
#include <tessera/rest/api.hpp>

#include <string>

namespace tessera::rest {

/// Every collection's routes (and aliases) with its schema under components/schemas; schema `$ref`s
/// between files are rewritten to point into components. With an authenticator in `options`, the
/// `bearerAuth` scheme and, per operation, the scope it needs (open routes: `security: []`) and its
/// 401/403 answers; with a rate limiter, 429.
std::string make_openapi(model::Engine& engine, const ApiOptions& options);

}  // namespace tessera::rest
