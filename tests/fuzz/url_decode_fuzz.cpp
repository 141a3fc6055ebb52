// The router's decoding of a request target (percent-decoding, UTF-8, ids) on any bytes: never
// crashes, and whatever it accepts is safe to put into JSON — every segment valid UTF-8, every item id
// a valid id.
#include "rest/router.hpp"

#include <tessera/json/text.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/model/ids.hpp>
#include <tessera/store/memory_store.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace {

tessera::model::Engine& engine() {
    static auto instance = [] {
        tessera::model::EngineConfig config;
        config.sweep_interval = std::chrono::milliseconds(0);
        config.relay.poll_interval = std::chrono::milliseconds(0);
        auto registry = tessera::schema::Registry::open(TESSERA_SOURCE_DIR "/schemas").value();
        return tessera::model::Engine::open(std::move(registry), std::make_unique<tessera::store::MemoryStore>(), config)
            .value();
    }();
    return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const tessera::rest::internal::Router router(engine());
    const std::string_view target(reinterpret_cast<const char*>(data), size);
    auto route = router.resolve(target);
    if (!route) {
        if (!tessera::json::is_valid_utf8(route.error().message())) std::abort();
        return 0;
    }
    for (const auto& segment : route->segments) {
        if (!tessera::json::is_valid_utf8(segment)) std::abort();
    }
    using Kind = tessera::rest::internal::Route::Kind;
    if ((route->kind == Kind::item || route->kind == Kind::graph) && !tessera::model::is_valid_id(route->id)) std::abort();
    return 0;
}
