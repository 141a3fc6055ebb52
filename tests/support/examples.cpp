#include "examples.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tessera::test {

std::string example_plan() {
    std::ifstream in(TESSERA_SOURCE_DIR "/examples/data/plan.json");
    if (!in) throw std::runtime_error("cannot read examples/data/plan.json");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace tessera::test
