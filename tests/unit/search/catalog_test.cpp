#include <tessera/search/catalog.hpp>

#include <doctest/doctest.h>

#include <filesystem>

namespace {

using namespace tessera::search;

const Catalog& bundled() {
    static const Catalog catalog =
        Catalog::from_registry(tessera::schema::Registry::open(std::filesystem::path(TESSERA_SOURCE_DIR) / "schemas").value());
    return catalog;
}

}  // namespace

TEST_SUITE("search") {
    TEST_CASE("Catalog: the bundled schemas give seed 000's fields and entity graph") {
        const Catalog& catalog = bundled();
        const CollectionFields* plans = catalog.find("plans");
        REQUIRE(plans != nullptr);
        REQUIRE(plans->find("planType") != nullptr);
        CHECK(plans->find("planType")->type == FieldType::string);
        CHECK(plans->find("_org") != nullptr);
        // Entities are children, not fields of their parent.
        CHECK(plans->find("planCostShares") == nullptr);
        CHECK(plans->find("linkedPlanServices") == nullptr);
        CHECK(plans->children == std::vector<std::string>{"membercostshares", "planservices"});
        CHECK(plans->parents.empty());

        const CollectionFields* planservices = catalog.find("planservices");
        REQUIRE(planservices != nullptr);
        CHECK(planservices->children == std::vector<std::string>{"membercostshares", "services"});
        CHECK(planservices->parents == std::vector<std::string>{"plans"});

        const CollectionFields* shares = catalog.find("membercostshares");
        REQUIRE(shares != nullptr);
        CHECK(shares->find("copay")->type == FieldType::integer);
        CHECK(shares->parents == std::vector<std::string>{"plans", "planservices"});

        // The id field and fields the schema fixes get no index of their own; declared composites do.
        CHECK_FALSE(plans->find("objectId")->indexed);
        CHECK_FALSE(plans->find("objectType")->indexed);
        CHECK(plans->find("planType")->indexed);
        CHECK(plans->indexes == std::vector<std::vector<std::string>>{{"planType", "creationDate"}});

        const CollectionFields* guids = catalog.find("guids");
        REQUIRE(guids != nullptr);
        CHECK(guids->find("expire")->type == FieldType::date);
    }

    TEST_CASE("Catalog: relation names follow the edge only where a child has two parent collections") {
        const Catalog& catalog = bundled();
        CHECK(catalog.relation_name("plans", "planservices") == "planservices");
        CHECK(catalog.relation_name("planservices", "services") == "services");
        CHECK(catalog.relation_name("plans", "membercostshares") == "plans/membercostshares");
        CHECK(catalog.relation_name("planservices", "membercostshares") == "planservices/membercostshares");
    }

    TEST_CASE("Catalog: arrays make multi-valued fields; nullable types count; parents derive from children") {
        CollectionFields films{"films", {{"title", FieldType::string, false, true}, {"genres", FieldType::string, true, true}}, {"people"}, {}, {}};
        CollectionFields people{"people", {{"name", FieldType::string, false, true}}, {}, {"stale"}, {}};
        const Catalog catalog = Catalog::from_collections({people, films});
        REQUIRE(catalog.collections().size() == 2);
        CHECK(catalog.collections()[0].collection == "films");
        CHECK(catalog.find("films")->find("genres")->multi);
        CHECK(catalog.find("people")->parents == std::vector<std::string>{"films"});
        CHECK(catalog.find("nothing") == nullptr);
        // A composite index over a field that is not there, or holds several values, is dropped.
        CollectionFields shows{"shows", {{"a", FieldType::string, false, true}, {"b", FieldType::integer, true, true}}, {}, {},
                               {{"a"}, {"a", "b"}, {"a", "nope"}}};
        CHECK(Catalog::from_collections({shows}).find("shows")->indexes == std::vector<std::vector<std::string>>{{"a"}});
    }
}
