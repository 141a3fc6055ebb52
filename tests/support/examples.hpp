#pragma once
// The repository's example documents (examples/data/), as tests send them.

#include <string>

namespace tessera::test {

/// examples/data/plan.json: seed 000's plan, a graph of 8 objects.
std::string example_plan();

}  // namespace tessera::test
