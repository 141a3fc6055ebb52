#pragma once
/// @file tessera/version.hpp
/// @brief Library version, as macros for the preprocessor and a function for run time.

#include <string_view>

#define TESSERA_VERSION_MAJOR 0
#define TESSERA_VERSION_MINOR 1
#define TESSERA_VERSION_PATCH 0
/// MAJOR * 10000 + MINOR * 100 + PATCH.
#define TESSERA_VERSION (TESSERA_VERSION_MAJOR * 10000 + TESSERA_VERSION_MINOR * 100 + TESSERA_VERSION_PATCH)

namespace tessera {

/// The version of the library actually linked, "MAJOR.MINOR.PATCH".
std::string_view version() noexcept;

}  // namespace tessera
