// A program that uses Tessera as a user's program does: through the umbrella header, linked against
// an installed Tessera (find_package, pkg-config, Conan) or one built as a subproject. It opens an
// engine on `memory:` with the bundled schemas, creates a plan, reads it back by ETag, and checks
// that an optional backend answers as the build says it should. Prints the version; exit 0 = pass.
//
// Usage: tessera-consumer [SCHEMAS_DIR]   (default: the directory the build system compiled in)
#include <tessera/tessera.hpp>

#include <cstdio>
#include <string>

#ifndef CONSUMER_SCHEMAS_DIR
#define CONSUMER_SCHEMAS_DIR "schemas"
#endif

namespace {

int fail(const char* what, const tessera::Error& error) {
    std::fprintf(stderr, "tessera-consumer: %s: %s\n", what, error.to_string().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace tessera;
    std::printf("Tessera %.*s (TESSERA_VERSION %d)\n", static_cast<int>(version().size()), version().data(),
                TESSERA_VERSION);
    if (version() != std::to_string(TESSERA_VERSION_MAJOR) + "." + std::to_string(TESSERA_VERSION_MINOR) + "." +
                         std::to_string(TESSERA_VERSION_PATCH)) {
        std::fprintf(stderr, "tessera-consumer: the library's version differs from its headers'\n");
        return 1;
    }

    model::EngineConfig config;
    config.schemas = argc > 1 ? argv[1] : CONSUMER_SCHEMAS_DIR;
    config.store_url = "memory:";
    config.sweep_interval = std::chrono::milliseconds(0);
    auto engine = model::Engine::open(config);
    if (!engine) return fail("cannot open the engine", engine.error());
    model::Collection* plans = engine->collection("plans");
    if (plans == nullptr) {
        std::fprintf(stderr, "tessera-consumer: no 'plans' collection in %s\n", config.schemas.c_str());
        return 1;
    }

    auto body = json::parse(R"({
        "objectId": "consumer-plan", "objectType": "plan", "_org": "example.com",
        "planType": "inNetwork", "creationDate": "01-02-2024",
        "planCostShares": {"objectId": "consumer-cost", "objectType": "membercostshare",
                           "_org": "example.com", "deductible": 100, "copay": 5},
        "linkedPlanServices": []})");
    if (!body) return fail("bad test document", body.error());
    auto created = plans->create(std::move(*body));
    if (!created) return fail("create", created.error());

    model::Preconditions unchanged;
    unchanged.if_none_match = model::EtagSet{false, {created->etag}};
    auto read = plans->get("consumer-plan", unchanged);
    if (!read) return fail("get", read.error());
    if (!read->not_modified) {
        std::fprintf(stderr, "tessera-consumer: If-None-Match with the current ETag did not match\n");
        return 1;
    }
    std::printf("created plans/%s, ETag %s\n", created->id.c_str(), created->etag.to_header().c_str());

#ifdef CONSUMER_WITH_REDIS
    // Port 1 has no Redis: a build with Redis fails to connect, a build without it is `unsupported`.
    auto redis = store::Store::open("redis://127.0.0.1:1/0?timeout_ms=500");
    const bool unsupported = !redis && redis.error().code() == ErrorCode::unsupported;
    if (unsupported == static_cast<bool>(CONSUMER_WITH_REDIS)) {
        std::fprintf(stderr, "tessera-consumer: redis:// answered '%s', but the package says WITH_REDIS=%d\n",
                     redis ? "connected" : redis.error().to_string().c_str(), CONSUMER_WITH_REDIS);
        return 1;
    }
    std::printf("Redis store compiled in: %s\n", unsupported ? "no (redis:// is unsupported)" : "yes");
#endif
    return 0;
}
