#pragma once
// The tessera CLI's subcommands: each takes the arguments after its name and returns the exit status.

#include <span>
#include <string_view>

namespace tessera::cli {

/// `tessera validate`: 0 all valid, 1 some invalid (errors as JSON lines on stdout), 2 usage or I/O error.
int run_validate(std::span<const std::string_view> args);

/// `tessera token create|list|jwt`: 0 done, 2 usage or I/O error.
int run_token(std::span<const std::string_view> args);

/// `tessera reindex`: 0 done, 2 usage error or failure.
int run_reindex(std::span<const std::string_view> args);

}  // namespace tessera::cli
