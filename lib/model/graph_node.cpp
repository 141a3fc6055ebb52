#include "model/graph_node.hpp"

#include <tessera/json/pointer.hpp>

#include <charconv>

namespace tessera::model::internal {
namespace {

using boost::json::value;

void collect_links(const value& v, const std::string& pointer, std::vector<Link>& out) {
    if (auto key = link_target(v)) {
        out.push_back({std::move(*key), pointer});
        return;
    }
    if (v.is_object()) {
        for (const auto& [k, member] : v.as_object()) collect_links(member, json::append_token(pointer, k), out);
    } else if (v.is_array()) {
        const auto& a = v.as_array();
        for (std::size_t i = 0; i < a.size(); ++i) collect_links(a[i], json::append_index(pointer, i), out);
    }
}

// A link in canonical text: `{"$entity":"<collection>/<id>"}`. The opening bytes cannot occur inside a
// JSON string (its quotes would be escaped), so finding them finds links and nothing else.
constexpr std::string_view kLinkOpening = R"({"$entity":")";

// Reads the JSON string starting after its opening quote at `pos`; advances `pos` past the closing quote.
std::optional<std::string> read_string(std::string_view text, std::size_t& pos) {
    std::string out;
    while (pos < text.size()) {
        const char c = text[pos++];
        if (c == '"') return out;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (pos >= text.size()) return std::nullopt;
        const char e = text[pos++];
        switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                // Canonical text escapes only control characters this way (\u00XX).
                unsigned code = 0;
                if (pos + 4 > text.size()) return std::nullopt;
                const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + 4, code, 16);
                if (ec != std::errc{} || end != text.data() + pos + 4 || code > 0x7F) return std::nullopt;
                out += static_cast<char>(code);
                pos += 4;
                break;
            }
            default: return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<Key> parse_key(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
    return Key{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

std::optional<Key> link_target(const value& v) {
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    if (o.size() != 1) return std::nullopt;
    const auto* target = o.if_contains(kLinkMember);
    if (target == nullptr || !target->is_string()) return std::nullopt;
    return parse_key(target->as_string());
}

std::vector<Link> links_of(const value& stored) {
    std::vector<Link> links;
    collect_links(stored, "", links);
    return links;
}

std::vector<Link> links_in(std::string_view text) {
    std::vector<Link> out;
    for (auto at = text.find(kLinkOpening); at != std::string_view::npos; at = text.find(kLinkOpening, at + 1)) {
        std::size_t pos = at + kLinkOpening.size();
        auto target = read_string(text, pos);
        if (!target || pos >= text.size() || text[pos] != '}') continue;
        if (auto key = parse_key(*target)) out.push_back({std::move(*key), {}, at, pos + 1});
    }
    return out;
}

Node node_from(store::Document&& doc) {
    Node node;
    node.key = {std::move(doc.collection), std::move(doc.id)};
    node.text = std::move(doc.body);
    node.links = links_in(node.text);
    node.version = doc.version;
    node.created_at = doc.created_at;
    node.updated_at = doc.updated_at;
    node.expires_at = doc.expires_at;
    return node;
}

}  // namespace tessera::model::internal
