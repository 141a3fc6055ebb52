// Words as SQLite's unicode61 tokenizer (remove_diacritics 2) makes them, and date values: what the
// embedded index, the Elasticsearch mapping and the tests' brute-force evaluator agree on.
#include <tessera/search/query.hpp>

#include "common/time_format.hpp"

#include <chrono>
#include <cstdint>
#include <unordered_set>

namespace tessera::search {
namespace {

using namespace std::string_view_literals;

// Base letters of U+00C0..U+00FF with diacritics removed and lower-cased; '\0' marks a code point
// unicode61 treats as a separator (× and ÷); '*' one kept as it is (lower-cased below). (Folding is
// exact for ASCII and Latin-1; other letters are kept as they are: the embedded index tokenizes
// texts itself, so only the tests' evaluator depends on this.)
constexpr std::string_view kLatin1 =
    "aaaaaa*ceeeeiiii*nooooo\0*uuuuy**"   // U+00C0..U+00DF (Æ Ð Ø Þ ß kept)
    "aaaaaa*ceeeeiiii*nooooo\0*uuuuy*y"sv;  // U+00E0..U+00FF
static_assert(kLatin1.size() == 64);

bool is_separator(char32_t c) {
    if (c < 0x80) {
        return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    }
    if (c >= 0x80 && c <= 0xBF) {
        // Latin-1 punctuation and symbols, but ª ² ³ µ ¹ º ¼ ½ ¾ are letters or numbers.
        return !(c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA || (c >= 0xBC && c <= 0xBE));
    }
    if (c == 0xD7 || c == 0xF7) return true;
    if (c >= 0x300 && c <= 0x36F) return true;    // combining diacritical marks (category Mn)
    if (c >= 0x2000 && c <= 0x206F) return true;  // general punctuation
    if (c >= 0x3000 && c <= 0x303F) return true;  // CJK symbols and punctuation
    if (c >= 0xFE30 && c <= 0xFE4F) return true;
    if (c >= 0xFF00 && c <= 0xFF0F) return true;
    return false;
}

char32_t fold(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xFF) {
        const char base = kLatin1[c - 0xC0];
        if (base != '*' && base != '\0') return static_cast<char32_t>(base);
        return c <= 0xDE && c != 0xD7 ? c + 32 : c;  // Æ → æ, Ø → ø, Þ → þ
    }
    if (c >= 0x391 && c <= 0x3A9) return c + 32;  // Greek capitals
    if (c >= 0x410 && c <= 0x42F) return c + 32;  // Cyrillic capitals
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes become U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    int length = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + static_cast<std::size_t>(length) > s.size()) {
        ++i;
        return 0xFFFD;
    }
    char32_t c = length == 1 ? b0 : static_cast<char32_t>(b0 & (0x7F >> length));
    for (int k = 1; k < length; ++k) {
        const unsigned char b = byte(i + static_cast<std::size_t>(k));
        if ((b >> 6) != 2) {
            ++i;
            return 0xFFFD;
        }
        c = (c << 6) | (b & 0x3F);
    }
    i += static_cast<std::size_t>(length);
    return c;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

}  // namespace

std::vector<std::string> words_of(std::string_view text, std::size_t limit) {
    std::vector<std::string> words;
    std::string word;
    std::size_t i = 0;
    while (i < text.size() && words.size() < limit) {
        const char32_t c = next_code_point(text, i);
        if (is_separator(c)) {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
            continue;
        }
        append_utf8(word, fold(c));
    }
    if (!word.empty() && words.size() < limit) words.push_back(std::move(word));
    return words;
}

std::vector<std::string> query_words(std::string_view text) {
    std::vector<std::string> unique;
    std::unordered_set<std::string> seen;
    for (auto& w : words_of(text, kMaxWords)) {
        if (seen.insert(w).second) unique.push_back(std::move(w));
    }
    return unique;
}

std::optional<std::int64_t> date_millis(std::string_view text) noexcept {
    using namespace std::chrono;
    if (text.size() == 10) {
        // RFC 3339 full-date: its midnight, UTC.
        auto digits = [&](std::size_t from, std::size_t n) -> int {
            int v = 0;
            for (std::size_t k = from; k < from + n; ++k) {
                if (text[k] < '0' || text[k] > '9') return -1;
                v = v * 10 + (text[k] - '0');
            }
            return v;
        };
        if (text[4] != '-' || text[7] != '-') return std::nullopt;
        const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
        if (y < 0 || m < 1 || m > 12 || d < 1) return std::nullopt;
        const year_month_day day{year{y}, month{static_cast<unsigned>(m)}, std::chrono::day{static_cast<unsigned>(d)}};
        if (!day.ok()) return std::nullopt;
        return duration_cast<milliseconds>(sys_days{day}.time_since_epoch()).count();
    }
    try {
        auto time = common::parse_rfc3339(text);
        if (!time) return std::nullopt;
        return duration_cast<milliseconds>(time->time_since_epoch()).count();
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace tessera::search
