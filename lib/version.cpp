#include <tessera/version.hpp>

namespace tessera {

std::string_view version() noexcept {
#define TESSERA_STR2(x) #x
#define TESSERA_STR(x) TESSERA_STR2(x)
    return TESSERA_STR(TESSERA_VERSION_MAJOR) "." TESSERA_STR(TESSERA_VERSION_MINOR) "." TESSERA_STR(
        TESSERA_VERSION_PATCH);
#undef TESSERA_STR
#undef TESSERA_STR2
}

}  // namespace tessera
