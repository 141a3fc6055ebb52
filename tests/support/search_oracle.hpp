#pragma once
// A brute-force evaluator of search requests: every object in memory, every query clause checked
// against every object, scores computed with SQLite FTS5's bm25 formula from their definitions. What
// the embedded index must agree with (the differential test); slow on purpose, obviously correct.

#include <tessera/search/search_index.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::test {

class SearchOracle {
public:
    explicit SearchOracle(search::Catalog catalog);

    /// Same rule as `SearchIndex::apply`: an op applies only if newer than what the entry holds.
    void apply(const search::IndexOp& op);
    search::SearchResult search(const search::SearchRequest& request) const;

private:
    struct Entry {
        std::uint64_t version = 0;
        bool live = false;
        boost::json::value body;
    };
    struct Scored;

    bool matches(const search::Query& q, const std::string& collection, const std::string& id, const Entry& e) const;
    double score(const search::Query& q, const std::string& collection, const std::string& id, const Entry& e) const;
    double bm25(const search::Query& leaf, const std::string& collection, const Entry& e) const;

    // Per search: the collection statistics a text clause's bm25 needs (N, avgdl, IDF per phrase).
    struct LeafStats {
        double avgdl = 0;
        std::vector<double> idf;
    };
    const LeafStats& stats(const search::Query& leaf, const std::string& collection) const;

    // child "collection/id" → its live parents (collection, id); rebuilt after an apply.
    const std::multimap<std::string, std::pair<std::string, std::string>>& parents() const;

    search::Catalog catalog_;
    mutable std::optional<std::multimap<std::string, std::pair<std::string, std::string>>> parents_;
    mutable std::map<std::pair<const search::Query*, std::string>, LeafStats> stats_;
    std::map<std::string, std::map<std::string, Entry>> entries_;  // collection → id → entry
};

}  // namespace tessera::test
