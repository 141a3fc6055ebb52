#include "common/files.hpp"

#include <fstream>
#include <system_error>

namespace tessera::common {

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
    const std::string name = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return Error(ErrorCode::not_found, name + ": no such file", {{"file", name}});
    }
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return Error(ErrorCode::unavailable, name + ": " + ec.message(), {{"file", name}});
    if (size > max_bytes) {
        return Error(ErrorCode::too_large, name + ": larger than " + std::to_string(max_bytes) + " bytes",
                     {{"file", name}, {"limit", max_bytes}});
    }
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in || !in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
        return Error(ErrorCode::unavailable, name + ": cannot be read", {{"file", name}});
    }
    return text;
}

}  // namespace tessera::common
