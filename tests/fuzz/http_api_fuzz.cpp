// Raw bytes as a connection delivers them, read by tessera-server's own RequestReader (in pieces, as
// reads split them) and every complete request answered by rest::Api over a memory store: never
// crashes, and every answer is well-formed — a status the server can send, and a problem+json body
// that parses.
#include "request_reader.hpp"

#include <tessera/json/parse.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/rest/api.hpp>
#include <tessera/store/memory_store.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace {

tessera::rest::Api& api() {
    static auto engine = [] {
        tessera::model::EngineConfig config;
        config.sweep_interval = std::chrono::milliseconds(0);
        config.relay.poll_interval = std::chrono::milliseconds(0);  // no thread; the outbox just grows
        config.write_retries = 1;
        auto registry = tessera::schema::Registry::open(TESSERA_SOURCE_DIR "/schemas").value();
        return tessera::model::Engine::open(std::move(registry), std::make_unique<tessera::store::MemoryStore>(), config)
            .value();
    }();
    static tessera::rest::Api instance(engine);
    return instance;
}

void check_answer(const tessera::rest::Request& request, const tessera::rest::Response& response) {
    if (response.status < 100 || response.status > 599) std::abort();
    if (request.method == "HEAD") {
        // No content, only the length GET would have sent (RFC 9110 §9.3.2).
        if (!response.body.empty()) std::abort();
        return;
    }
    const auto type = response.headers.get("Content-Type");
    if (type && *type == "application/problem+json") {
        auto body = tessera::json::parse(response.body, {1u << 22, 64});
        if (!body || !body->is_object() || !body->as_object().contains("code")) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // The first byte says how the reads split the rest: 1..64 bytes a read.
    if (bytes.empty()) return 0;
    const std::size_t step = 1 + static_cast<unsigned char>(bytes.front()) % 64;
    bytes.remove_prefix(1);
    tessera::server::RequestReader reader(1u << 16, 8192);
    std::string pending;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        pending.append(bytes.substr(at, step));
        for (;;) {
            const std::size_t used = reader.feed(pending);
            pending.erase(0, used);
            if (reader.state() == tessera::server::RequestReader::State::rejected) {
                const auto& rejection = reader.rejection();
                if (rejection.status < 400 || rejection.status > 599) std::abort();
                return 0;  // the server answers and closes here
            }
            if (reader.state() != tessera::server::RequestReader::State::complete) break;
            const auto request = reader.take();
            check_answer(request, api().handle(request));
            reader.reset();
            if (pending.empty()) break;
        }
    }
    return 0;
}
