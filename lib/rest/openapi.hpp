#pragma once
// Private: the OpenAPI 3.1 document generated from the engine's schemas and routes.

#include <tessera/model/engine.hpp>

#include <string>

namespace tessera::rest {

/// Every collection's routes (and aliases) with its schema under components/schemas; schema `$ref`s
/// between files are rewritten to point into components.
std::string make_openapi(model::Engine& engine);

}  // namespace tessera::rest
