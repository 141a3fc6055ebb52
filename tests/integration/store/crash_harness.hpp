#pragma once
// Runs tessera-store-crash-writer against a store URL and kills it with SIGKILL mid-stream; see
// crash_writer.cpp.

#include <tessera/store/store.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tessera::test {

/// Starts the crash writer on `url`, waits until it has acknowledged at least `acks` commits (at
/// most 20 s), calls `before_kill` (e.g. to SIGKILL redis-server first), SIGKILLs the writer and
/// returns every sequence number it acknowledged, in order. Throws std::runtime_error if the
/// writer cannot be started or acknowledges nothing in time.
std::vector<std::uint64_t> run_crash_writer(const std::string& url,
                                            std::size_t acks,
                                            const std::function<void()>& before_kill = {});

/// Checks (doctest) that every acknowledged commit of the crash writer is in `store`, and that the
/// store goes on working.
void check_acknowledged_commits(store::Store& store, const std::vector<std::uint64_t>& acknowledged);

}  // namespace tessera::test
