#include <tessera/model/ids.hpp>

#include <tessera/json/text.hpp>

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace tessera::model {
namespace {

std::array<unsigned char, 16> random_bytes() {
    std::array<unsigned char, 16> bytes{};
    // OpenSSL's CSPRNG is thread-safe; failure means the OS has no entropy, which we cannot paper over.
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    return bytes;
}

std::string hex(const std::array<unsigned char, 16>& bytes, bool upper, bool hyphens) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (hyphens && (i == 4 || i == 6 || i == 8 || i == 10)) out += '-';
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

}  // namespace

std::string generate_id(schema::IdFormat format) {
    auto bytes = random_bytes();
    switch (format) {
        case schema::IdFormat::uuid4:
            // RFC 9562 §5.4: version 4, variant 10xx.
            bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
            bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
            return hex(bytes, false, true);
        case schema::IdFormat::uuid7: {
            // RFC 9562 §5.7: 48-bit Unix milliseconds, version 7, variant 10xx, the rest random.
            const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                           std::chrono::system_clock::now().time_since_epoch())
                                                           .count());
            for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
            bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x70);
            bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
            return hex(bytes, false, true);
        }
        case schema::IdFormat::hex32: return hex(bytes, true, false);
    }
    return hex(bytes, false, true);
}

bool is_valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 256) return false;
    // Dot segments: a client or proxy normalising the URL (RFC 3986 §5.2.4) would turn
    // /api/plans/.. into /api/, so no document could be reached under such an id.
    if (id == "." || id == "..") return false;
    // Ids go into JSON (bodies, problems, events) and JSON strings are UTF-8.
    if (!json::is_valid_utf8(id)) return false;
    for (const char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F || c == '/') return false;
    }
    return true;
}

}  // namespace tessera::model
