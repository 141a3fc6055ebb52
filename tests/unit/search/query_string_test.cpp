#include <tessera/search/query_string.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <string>

namespace {

using namespace tessera::search;
using boost::json::parse;
using boost::json::serialize;
using boost::json::value;

// Seed 004's online cinema: films with nested, multi-valued, date and boolean members.
const Catalog& cinema() {
    static const Catalog catalog = Catalog::from_collections({
        CollectionFields{"films",
                         {{"adult", FieldType::boolean, false, true},
                          {"description", FieldType::string, false, true},
                          {"director.born", FieldType::date, false, true},
                          {"director.name", FieldType::string, false, true},
                          {"genres.name", FieldType::string, true, true},
                          {"imdb_rating", FieldType::number, false, true},
                          {"released", FieldType::date, false, true},
                          {"sort", FieldType::string, false, true},
                          {"title", FieldType::string, false, true},
                          {"year", FieldType::integer, false, true}},
                         {},
                         {},
                         {}},
        CollectionFields{"persons", {{"full_name", FieldType::string, false, true}}, {}, {}, {}},
    });
    return catalog;
}

tessera::Result<std::optional<SearchRequest>> films(std::string_view query, const QueryStringOptions& options = {}) {
    return parse_query_string(query, cinema(), "films", options);
}

// The request `query` asks for; fails the test if there is none.
SearchRequest search(std::string_view query) {
    auto r = films(query);
    REQUIRE_MESSAGE(r.has_value(), r.error().message());
    REQUIRE(r->has_value());
    return **r;
}

// The parameter an `invalid` error names, after checking the error's shape ("(accepted)" if none).
std::string parameter_of(const tessera::Result<std::optional<SearchRequest>>& r) {
    if (r.has_value()) return "(accepted)";
    CHECK(r.error().code() == tessera::ErrorCode::malformed);
    const auto& details = r.error().details();
    const std::string parameter(details.at("parameter").as_string());
    const auto& errors = details.at("errors").as_array();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].at("parameter").as_string() == parameter);
    CHECK_FALSE(errors[0].at("message").as_string().empty());
    CHECK(r.error().message().find("'" + parameter + "'") != std::string::npos);
    return parameter;
}

// The JSON DSL body's request, normalised.
std::string dsl(std::string_view body) {
    auto r = parse_search_request(parse(body), cinema(), {"films"});
    REQUIRE_MESSAGE(r.has_value(), r.error().message());
    return serialize(to_json(*r));
}

std::string normalised(std::string_view query) {
    return serialize(to_json(search(query)));
}

// Unpadded base64url of `text` (RFC 4648 §5), for tokens that are not encode_search_after's.
std::string base64url(std::string_view text) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : text) {
        bits = (bits << 8) | c;
        count += 8;
        while (count >= 6) out += kAlphabet[(bits >> (count -= 6)) & 63];
    }
    if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
    return out;
}

}  // namespace

TEST_SUITE("search") {
    TEST_CASE("parse_query_string: seed 004's searches equal their JSON DSL bodies") {
        // Free text, a genre filter, ordering and limit/offset paging, as the gateway's filter set gives them.
        CHECK(
            normalised("q=star+wars&genres.name=Sci-Fi&sort=-imdb_rating&limit=20&offset=40") ==
            dsl(R"({"query": {"bool": {"must": [{"multi_match": {"query": "star wars", "fields": [], "operator": "or"}}],
                                          "filter": [{"term": {"genres.name": "Sci-Fi"}}]}},
                      "sort": [{"imdb_rating": "desc"}], "size": 20, "from": 40})"));
        // Free text alone: that clause, sorted by score.
        CHECK(normalised("q=star") ==
              dsl(R"({"query": {"multi_match": {"query": "star", "fields": []}}, "size": 20})"));
        // Filters alone do not score: by collection and id unless sorted.
        CHECK(normalised("imdb_rating[gte]=7.5&imdb_rating[lt]=9&year[in]=1977,1980&sort=year,-title") ==
              dsl(R"({"query": {"bool": {"filter": [{"range": {"imdb_rating": {"gte": 7.5, "lt": 9}}},
                                                    {"terms": {"year": [1977, 1980]}}]}},
                      "sort": ["year", {"title": "desc"}], "size": 20})"));
        CHECK(normalised("title[ne]=Dune&description[match]=desert+planet&adult=false") ==
              dsl(R"({"query": {"bool": {"must": {"match": {"description": "desert planet"}},
                                          "filter": {"term": {"adult": false}},
                                          "must_not": {"term": {"title": "Dune"}}}}, "size": 20})"));
        CHECK(normalised("sort=-imdb_rating") == dsl(R"({"sort": [{"imdb_rating": "desc"}], "size": 20})"));
    }

    TEST_CASE("parse_query_string: with q the default sort is _score descending, spelled out") {
        CHECK(search("q=star").sort == std::vector<SortKey>{{"_score", true}});
        CHECK(search("title[match]=star").sort == std::vector<SortKey>{{"_score", true}});
        CHECK(search("title=Star").sort.empty());
        CHECK(search("q=star&sort=year").sort == std::vector<SortKey>{{"year", false}});
        CHECK(search("sort=_score,-year").sort == std::vector<SortKey>{{"_score", true}, {"year", true}});
        CHECK(search("sort=-_score").sort == std::vector<SortKey>{{"_score", true}});
        const SearchRequest r = search("q=star+wars");
        CHECK(std::get<MultiMatch>(r.query.node) == MultiMatch{{}, "star wars", Operator::or_});
        CHECK(r.collections == std::vector<std::string>{"films"});
        CHECK(r.size == 20);
        CHECK(r.from == 0);
    }

    TEST_CASE("parse_query_string: each operator gives its clause") {
        CHECK(std::get<Term>(search("title=Dune").query.node) == Term{"title", "Dune"});
        CHECK(std::get<Term>(search("title[eq]=Dune").query.node) == Term{"title", "Dune"});
        const Bool ne = std::get<Bool>(search("title[ne]=Dune").query.node);
        CHECK(ne.must_not == std::vector<Query>{Query{Term{"title", "Dune"}}});
        CHECK((ne.must.empty() && ne.filter.empty() && ne.should.empty()));
        CHECK(std::get<Range>(search("year[gt]=1").query.node) == Range{"year", value(1), {}, {}, {}});
        CHECK(std::get<Range>(search("year[gte]=1").query.node) == Range{"year", {}, value(1), {}, {}});
        CHECK(std::get<Range>(search("year[lt]=1").query.node) == Range{"year", {}, {}, value(1), {}});
        CHECK(std::get<Range>(search("year[lte]=1").query.node) == Range{"year", {}, {}, {}, value(1)});
        CHECK(std::get<Range>(search("year[lte]=2&year[gt]=1").query.node) ==
              Range{"year", value(1), {}, {}, value(2)});
        CHECK(std::get<Terms>(search("title[in]=Dune,Alien").query.node) ==
              Terms{"title", {value("Dune"), value("Alien")}});
        CHECK(std::get<Prefix>(search("title[prefix]=Du").query.node) == Prefix{"title", "Du"});
        CHECK(std::get<Exists>(search("released[exists]=true").query.node) == Exists{"released"});
        CHECK(std::get<Bool>(search("released[exists]=false").query.node).must_not ==
              std::vector<Query>{Query{Exists{"released"}}});
        CHECK(std::get<Match>(search("description[match]=sand+worm").query.node) ==
              Match{"description", "sand worm", Operator::or_});
        // Repeated filters all hold.
        const Bool both = std::get<Bool>(search("genres.name=Drama&genres.name=War").query.node);
        CHECK(both.filter ==
              std::vector<Query>{Query{Term{"genres.name", "Drama"}}, Query{Term{"genres.name", "War"}}});
    }

    TEST_CASE("parse_query_string: values are read as the field's type") {
        CHECK(std::get<Term>(search("year=1977").query.node).value == value(std::int64_t{1977}));
        CHECK(std::get<Term>(search("year=-3").query.node).value.is_int64());
        CHECK(std::get<Term>(search("imdb_rating=8").query.node).value == value(8.0));
        CHECK(std::get<Term>(search("imdb_rating=8").query.node).value.is_double());
        CHECK(std::get<Term>(search("imdb_rating=-2.5e1").query.node).value == value(-25.0));
        CHECK(std::get<Term>(search("adult=true").query.node).value == value(true));
        CHECK(std::get<Term>(search("released=1977-05-25").query.node).value == value("1977-05-25"));
        CHECK(std::get<Range>(search("director.born[lt]=1950-01-01T00:00:00Z").query.node).lt ==
              value("1950-01-01T00:00:00Z"));
        CHECK(std::get<Term>(search("title=10").query.node).value == value("10"));
        CHECK(std::get<Terms>(search("year[in]=1977,1980").query.node).values ==
              std::vector<value>{value(1977), value(1980)});

        CHECK(parameter_of(films("year=1.5")) == "year");
        CHECK(parameter_of(films("year=1e3")) == "year");
        CHECK(parameter_of(films("year=+1")) == "year");
        CHECK(parameter_of(films("year=99999999999999999999")) == "year");
        CHECK(parameter_of(films("year[in]=1977,soon")) == "year[in]");
        CHECK(parameter_of(films("imdb_rating[gte]=high")) == "imdb_rating[gte]");
        CHECK(parameter_of(films("imdb_rating=inf")) == "imdb_rating");
        CHECK(parameter_of(films("adult=yes")) == "adult");
        CHECK(parameter_of(films("released[gte]=yesterday")) == "released[gte]");
        CHECK(parameter_of(films("released=25.05.1977")) == "released");
    }

    TEST_CASE("parse_query_string: dotted paths reach nested members") {
        CHECK(std::get<Prefix>(search("director.name[prefix]=Luc").query.node) == Prefix{"director.name", "Luc"});
        CHECK(search("sort=-director.born,director.name").sort ==
              std::vector<SortKey>{{"director.born", true}, {"director.name", false}});
        CHECK(parameter_of(films("director=Lucas")) == "director");
        CHECK(parameter_of(films("director.age[gt]=3")) == "director.age[gt]");
        CHECK(parameter_of(films("sort=director")) == "sort");
    }

    TEST_CASE("parse_query_string: '+' is a space, escapes decode, %2C stays inside an in value") {
        CHECK(std::get<Term>(search("title=Star+Wars").query.node).value == value("Star Wars"));
        CHECK(std::get<Term>(search("title=Star%20Wars%2B").query.node).value == value("Star Wars+"));
        CHECK(std::get<Term>(search("title%5Beq%5D=A").query.node) == Term{"title", "A"});
        CHECK(std::get<Terms>(search("title[in]=Crouching+Tiger%2C+Hidden+Dragon,Hero").query.node).values ==
              std::vector<value>{value("Crouching Tiger, Hidden Dragon"), value("Hero")});
        CHECK(std::get<Term>(search("title=Am%C3%A9lie&&").query.node).value == value("Amélie"));
        // A field named like a reserved parameter is reached with an operator.
        CHECK(std::get<Term>(search("sort[eq]=x").query.node) == Term{"sort", "x"});
    }

    TEST_CASE("parse_query_string: conditions in any order give the same request") {
        CHECK(normalised("year=1977&title=Star+Wars&q=space&adult=false") ==
              normalised("adult=false&q=space&title=Star+Wars&year=1977"));
        CHECK(normalised("year[lt]=2000&year[gt]=1990") == normalised("year[gt]=1990&year[lt]=2000"));
        CHECK(normalised("q=a") != normalised("q=b"));
    }

    TEST_CASE("parse_query_string: limit, cursor or nothing leave today's cursor paging") {
        for (const char* query :
             {"", "limit=5", "cursor=abc", "limit=5&cursor=abc", "cursor=abc&limit=5", "&", "limit=nonsense"}) {
            CAPTURE(query);
            auto r = films(query);
            REQUIRE(r.has_value());
            CHECK_FALSE(r->has_value());
        }
        // Not even a searchable collection is needed for that.
        auto unknown = parse_query_string("limit=5", cinema(), "nowhere");
        REQUIRE(unknown.has_value());
        CHECK_FALSE(unknown->has_value());
        // Anything else searches.
        CHECK(search("offset=0").query == Query{MatchAll{}});
        CHECK(search("limit=5&offset=5").size == 5);
    }

    TEST_CASE("parse_query_string: every validation error names its parameter") {
        SUBCASE("unknown parameter or field") {
            CHECK(parameter_of(films("colour=red")) == "colour");
            CHECK(parameter_of(films("q=x&colour[eq]=red")) == "colour[eq]");
            CHECK(parameter_of(films("full_name=Ann")) == "full_name");  // a field of another collection
            CHECK(parameter_of(parse_query_string("q=x", cinema(), "nowhere")) == "q");
        }
        SUBCASE("wrong type for the operator") {
            CHECK(parameter_of(films("adult[gte]=true")) == "adult[gte]");
            CHECK(parameter_of(films("year[prefix]=19")) == "year[prefix]");
            CHECK(parameter_of(films("year[match]=19")) == "year[match]");
            CHECK(parameter_of(films("released[exists]=maybe")) == "released[exists]");
        }
        SUBCASE("bad operator or key") {
            CHECK(parameter_of(films("year[between]=1,2")) == "year[between]");
            CHECK(parameter_of(films("year[gte")) == "year[gte");
            CHECK(parameter_of(films("year[gte][x]=1")) == "year[gte][x]");
            CHECK(parameter_of(films("year[]=1")) == "year[]");
            CHECK(parameter_of(films("year[gte]=1&year[gte]=2")) == "year[gte]");
            CHECK(parameter_of(films("title[in]=")) == "title[in]");
        }
        SUBCASE("text") {
            CHECK(parameter_of(films("q=")) == "q");
            CHECK(parameter_of(films("q=+!+")) == "q");
            CHECK(parameter_of(films("q=a&q=b")) == "q");
            CHECK(parameter_of(films("q=" + std::string(kMaxTextBytes + 1, 'a'))) == "q");
        }
        SUBCASE("limit out of range") {
            CHECK(parameter_of(films("q=x&limit=0")) == "limit");
            CHECK(parameter_of(films("q=x&limit=1001")) == "limit");
            CHECK(parameter_of(films("q=x&limit=-1")) == "limit");
            CHECK(parameter_of(films("q=x&limit=ten")) == "limit");
            CHECK(parameter_of(films("q=x&limit=51", QueryStringOptions{10, 50})) == "limit");
            CHECK(search("q=x&limit=1000").size == 1000);
        }
        SUBCASE("offset + limit over the result window") {
            CHECK(search("q=x&offset=9980&limit=20").from == 9980);
            auto over = films("q=x&offset=9990&limit=20");
            CHECK(parameter_of(over) == "offset");
            REQUIRE_FALSE(over.has_value());
            CHECK(over.error().message().find("after") != std::string::npos);
            CHECK(parameter_of(films("q=x&offset=99999999999999999999")) == "offset");
            CHECK(parameter_of(films("q=x&offset=-5")) == "offset");
            CHECK(parameter_of(films("offset=9981")) == "offset");  // with the default limit of 20
        }
        SUBCASE("sort") {
            CHECK(parameter_of(films("sort=genres.name")) == "sort");  // multi-valued
            CHECK(parameter_of(films("sort=-nope")) == "sort");
            CHECK(parameter_of(films("sort=year,,title")) == "sort");
            CHECK(parameter_of(films("sort=-")) == "sort");
            CHECK(parameter_of(films("sort=")) == "sort");
            CHECK(parameter_of(films("sort=a,b,c,d,e,f,g,h,i")) == "sort");
            CHECK(search("sort=year,title,adult,released,imdb_rating,description,director.born,director.name")
                      .sort.size() == 8);
            CHECK(parameter_of(films(
                      "sort=year,title,adult,released,imdb_rating,description,director.born,director.name,_score")) ==
                  "sort");
        }
        SUBCASE("cursor mixed with search") {
            auto mixed = films("q=x&cursor=abc");
            CHECK(parameter_of(mixed) == "cursor");
            REQUIRE_FALSE(mixed.has_value());
            CHECK(mixed.error().message().find("offset or after") != std::string::npos);
            CHECK(parameter_of(films("cursor=abc&limit=5&sort=year")) == "cursor");
        }
        SUBCASE("track_total_hits") {
            CHECK(search("q=x&track_total_hits=true").track_total_hits == UINT64_MAX);
            CHECK(search("q=x&track_total_hits=false").track_total_hits == 0);
            CHECK(search("q=x&track_total_hits=50").track_total_hits == 50);
            CHECK(search("q=x").track_total_hits == kDefaultTrackTotalHits);
            CHECK(parameter_of(films("q=x&track_total_hits=lots")) == "track_total_hits");
        }
        SUBCASE("encoding and limits") {
            CHECK(parameter_of(films("title=%ZZ")) == "title");
            CHECK(parameter_of(films("title=%FF")) == "title");  // not UTF-8
            CHECK(parameter_of(films("=x")).empty());
            std::string many;
            for (std::size_t i = 0; i <= kMaxQueryParameters; ++i) many += "year=" + std::to_string(i) + "&";
            CHECK(parameter_of(films(many)) == "year");
            CHECK(parameter_of(films(std::string(kMaxParameterNameBytes + 1, 'k') + "=1")).size() <= 128 + 3);
        }
    }

    TEST_CASE("search_after: the next token round-trips and pages a sorted search") {
        const std::vector<value> last{value(7.5), value("films"), value("f42")};
        const std::string token = encode_search_after(last);
        CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        auto decoded = decode_search_after(token);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == last);

        const SearchRequest r = search("sort=-imdb_rating&after=" + token);
        CHECK(r.search_after == last);
        CHECK(serialize(to_json(r)) ==
              dsl(R"({"sort": [{"imdb_rating": "desc"}], "search_after": [7.5, "films", "f42"], "size": 20})"));
        // With q the implicit _score key takes a score.
        CHECK(search("q=star&after=" + token).search_after == last);
        // A missing value (null) sorts last and pages too.
        CHECK(search("sort=year&after=" + encode_search_after({value(nullptr), value("films"), value("f1")}))
                  .search_after.size() == 3);
        // Dates sort as milliseconds.
        CHECK(search("sort=released&after=" + encode_search_after({value(233366400000), value("films"), value("f1")}))
                  .from == 0);
    }

    TEST_CASE("search_after: bad tokens and misuse are refused naming the parameter") {
        const std::string token = encode_search_after({value(7.5), value("films"), value("f42")});
        CHECK(parameter_of(films("sort=-imdb_rating&after=not*base64")) == "after");
        CHECK(parameter_of(films("sort=-imdb_rating&after=" + base64url("[1,2"))) == "after");
        CHECK(parameter_of(films("sort=-imdb_rating&after=" + base64url(R"({"a": 1})"))) == "after");
        CHECK(base64url(serialize(boost::json::array{7.5, "films", "f42"})) ==
              token);  // the helper encodes as the token does
        CHECK(parameter_of(films("sort=-imdb_rating&after=" + encode_search_after({value("films")}))) == "after");
        CHECK(parameter_of(films("sort=-imdb_rating&after=" + encode_search_after({value(1), value(2), value(3)}))) ==
              "after");
        CHECK(parameter_of(films("sort=-imdb_rating&after=" +
                                 encode_search_after({parse("[1]"), value("films"), value("f")}))) == "after");
        // The token of another sort: wrong length, wrong type.
        CHECK(parameter_of(films("sort=-imdb_rating,year&after=" + token)) == "after");
        CHECK(parameter_of(films("sort=title&after=" + token)) == "after");
        CHECK(parameter_of(films("after=" + token)) == "after");  // no sort: collection and id only
        // after pages instead of offset.
        CHECK(parameter_of(films("sort=-imdb_rating&offset=20&after=" + token)) == "offset");
        CHECK_FALSE(decode_search_after(std::string(kMaxAfterTokenBytes + 1, 'A')).has_value());
        auto empty = decode_search_after("");
        REQUIRE_FALSE(empty.has_value());
        CHECK(empty.error().code() == tessera::ErrorCode::malformed);
        CHECK(empty.error().details().at("parameter") == "after");
    }
}
