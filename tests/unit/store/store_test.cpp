#include <tessera/store/store.hpp>

#include <doctest/doctest.h>

#include <string>

using tessera::ErrorCode;
using tessera::store::Store;

TEST_SUITE("store") {
    TEST_CASE("Store::open: memory: gives a MemoryStore") {
        auto store = Store::open("memory:");
        REQUIRE(store);
        CHECK((*store)->backend() == "memory");
        CHECK((*store)->ping());
    }

    TEST_CASE("Store::open: malformed URLs, unknown schemes and bad parameters are invalid") {
        // None of these reaches a backend: they fail while the URL is read (so no file, no socket).
        const char* bad[] = {
            "",
            "memory",
            "memory:x",
            "memory:?a=b",
            "memory://host",
            "sqlite:",
            "sqlite:/tmp/tessera-never.db?synchronous=sometimes",
            "sqlite:/tmp/tessera-never.db?mode=ro",
            "sqlite://host/tmp/tessera-never.db",
            "sqlite:/tmp/tessera-never.db#x",
            "ftp://example.com/",
            "postgres://127.0.0.1/db",
            "Redis is down",
            "redis://",
            "redis://127.0.0.1:0",
            "redis://127.0.0.1:99999",
            "redis://127.0.0.1:port",
            "redis://127.0.0.1:6379/abc",
            "redis://127.0.0.1:6379/0/1",
            "redis://127.0.0.1:6379/0?timeout_ms=abc",
            "redis://127.0.0.1:6379/0?timeout_ms=0",
            "redis://127.0.0.1:6379/0?prefix=",
            "redis://127.0.0.1:6379/0?bogus=1",
            "redis://127.0.0.1:6379/0#fragment",
        };
        for (const char* url : bad) {
            CAPTURE(url);
            auto store = Store::open(url);
            REQUIRE_FALSE(store);
#if TESSERA_WITH_REDIS
            CHECK(store.error().code() == ErrorCode::invalid);
#else
            CHECK((store.error().code() == ErrorCode::invalid || store.error().code() == ErrorCode::unsupported));
#endif
            CHECK(store.error().details().at("url").as_string() == url);
        }
    }

    TEST_CASE("Store::open: an unknown scheme names the ones that exist") {
        auto store = Store::open("mongodb://127.0.0.1/");
        REQUIRE_FALSE(store);
        CHECK(store.error().code() == ErrorCode::invalid);
        CHECK(store.error().message().find("unknown scheme 'mongodb'") != std::string::npos);
    }

#if !TESSERA_WITH_REDIS
    TEST_CASE("Store::open: redis:// is unsupported when compiled out") {
        auto store = Store::open("redis://127.0.0.1:6379/0");
        REQUIRE_FALSE(store);
        CHECK(store.error().code() == ErrorCode::unsupported);
    }
#endif
}
