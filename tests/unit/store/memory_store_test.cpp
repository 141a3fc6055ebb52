#include <tessera/store/memory_store.hpp>

#include "support/store_contract.hpp"

#include <doctest/doctest.h>

namespace {

class MemoryBackend final : public tessera::test::StoreBackend {
public:
    std::shared_ptr<tessera::store::Store> create(const tessera::store::StoreOptions& options) override {
        last_ = std::make_shared<tessera::store::MemoryStore>(options);
        return last_;
    }
    // A memory store has no other way in: a second handle is the same object.
    std::shared_ptr<tessera::store::Store> attach(const tessera::store::StoreOptions&) override { return last_; }

private:
    std::shared_ptr<tessera::store::Store> last_;
};

}  // namespace

TEST_SUITE("store") {
    TEST_CASE("MemoryStore: conforms to the Store contract") {
        MemoryBackend backend;
        tessera::test::run_store_contract(backend);
    }

    TEST_CASE("MemoryStore: backend name and a default-constructed store") {
        tessera::store::MemoryStore store;
        CHECK(store.backend() == "memory");
        CHECK(store.ping());
        CHECK(store.count("anything").value() == 0);
    }
}
