// Issue #12 against the real server: the first-start token, the scope matrix, RFC 6750 challenges,
// JWT vectors (HS256, RS256, ES256; expired, not yet valid, wrong iss/aud/key, bad signature, alg
// none, an RSA public key used as an HMAC secret, a rotated JWKS), and rate limits — exact with 8
// concurrent clients, and shared by two servers through a real Redis.

#include <tessera/auth/jwt.hpp>
#include <tessera/auth/static_tokens.hpp>

#include "support/examples.hpp"
#include "support/child_process.hpp"
#include "support/base64url.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdlib>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using tessera::test::HttpClient;
using tessera::test::HttpResponse;
using tessera::test::ServerOptions;
using tessera::test::ServerProcess;
using namespace std::chrono_literals;
namespace auth = tessera::auth;
using Clock = std::chrono::system_clock;

namespace {

const std::vector<std::pair<std::string, std::string>> kJson{{"Content-Type", "application/json"}};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

using tessera::test::base64url;

// Runs the openssl command line tool (an implementation independent of ours) and waits for it.
void openssl(std::vector<std::string> args) {
    std::string tool = "openssl";
    const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin";
    for (std::size_t at = 0; at <= path.size();) {
        const auto end = std::min(path.find(':', at), path.size());
        const auto candidate = std::filesystem::path(path.substr(at, end - at)) / "openssl";
        if (::access(candidate.c_str(), X_OK) == 0) {
            tool = candidate.string();
            break;
        }
        at = end + 1;
    }
    args.insert(args.begin(), tool);
    const pid_t pid = tessera::test::spawn(args);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0), "openssl failed (apt-get install openssl)");
}

// A key pair in PEM files: private.pem and public.pem under `dir/name`.
struct KeyPair {
    std::filesystem::path private_pem, public_pem;
};

KeyPair make_keys(const std::filesystem::path& dir, const std::string& name, bool ec) {
    KeyPair keys{dir / (name + ".pem"), dir / (name + ".pub")};
    if (ec) {
        openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keys.private_pem.string()});
    } else {
        openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keys.private_pem.string()});
    }
    openssl({"pkey", "-in", keys.private_pem.string(), "-pubout", "-out", keys.public_pem.string()});
    return keys;
}

// The public JWK of a PEM public key, written with OpenSSL's own accessors.
boost::json::object jwk_of(const std::filesystem::path& public_pem, const std::string& kid) {
    const std::string pem = read_file(public_pem);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(key != nullptr);
    boost::json::object jwk{{"kid", kid}, {"use", "sig"}};
    auto bignum = [&](const char* name) {
        BIGNUM* value = nullptr;
        EVP_PKEY_get_bn_param(key, name, &value);
        std::string bytes(static_cast<std::size_t>(BN_num_bytes(value)), '\0');
        BN_bn2bin(value, reinterpret_cast<unsigned char*>(bytes.data()));
        BN_free(value);
        return base64url(bytes);
    };
    if (EVP_PKEY_is_a(key, "RSA")) {
        jwk["kty"] = "RSA";
        jwk["alg"] = "RS256";
        jwk["n"] = bignum(OSSL_PKEY_PARAM_RSA_N);
        jwk["e"] = bignum(OSSL_PKEY_PARAM_RSA_E);
    } else {
        unsigned char point[65];
        std::size_t length = 0;
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point, &length);
        REQUIRE(length == 65);
        jwk["kty"] = "EC";
        jwk["crv"] = "P-256";
        jwk["x"] = base64url(std::string_view(reinterpret_cast<char*>(point) + 1, 32));
        jwk["y"] = base64url(std::string_view(reinterpret_cast<char*>(point) + 33, 32));
    }
    EVP_PKEY_free(key);
    return jwk;
}

auth::JwtClaims claims(std::string subject, std::string scopes = "read") {
    auth::JwtClaims c;
    c.subject = std::move(subject);
    c.scopes = auth::parse_scopes(scopes).value();
    c.ttl = 600s;
    return c;
}

std::string sign(const auth::JwtClaims& c, const std::filesystem::path& private_pem) {
    return auth::mint_jwt(c, {}, private_pem).value();
}

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

int get_status(HttpClient& client, const std::string& path, const std::string& token) {
    return client.request("GET", path, bearer(token)).status;
}

// The token's answer, and the reason the server gave in WWW-Authenticate.
std::string refusal(HttpClient& client, const std::string& token) {
    const auto answer = client.request("GET", "/api/plans/", bearer(token));
    CHECK(answer.status == 401);
    const auto challenge = answer.header("WWW-Authenticate");
    CHECK(challenge.starts_with(R"(Bearer realm="tessera", error="invalid_token", error_description=")"));
    return challenge;
}

using tessera::test::example_plan;

// The value of one series in Prometheus text, or -1 if it is not there.
long metric_value(const std::string& text, const std::string& series) {
    const auto at = text.find(series + " ");
    return at == std::string::npos ? -1 : std::stol(text.substr(at + series.size() + 1));
}

}  // namespace

TEST_SUITE("auth") {
    TEST_CASE("first start: ./var/tokens gets one admin token, printed once; the file holds only its hash") {
        ServerOptions options;
        options.auth = true;
        ServerProcess server(options);
        const std::string log = server.stderr_text();
        const auto at = log.find("export TOKEN=");
        REQUIRE(at != std::string::npos);
        const std::string token = log.substr(at + 13, log.find('\n', at) - at - 13);
        CHECK(token.size() == 47);
        const std::string file = read_file(server.directory() / "var" / "tokens");
        CHECK(file.find(token) == std::string::npos);
        CHECK(file.find(auth::hash_token(token) + " admin") != std::string::npos);
        CHECK((std::filesystem::status(server.directory() / "var" / "tokens").permissions() & std::filesystem::perms::others_read) ==
              std::filesystem::perms::none);

        HttpClient client(server.base_url());
        const auto anonymous = client.get("/api/plans/");
        CHECK(anonymous.status == 401);
        CHECK(anonymous.header("Content-Type") == "application/problem+json");
        CHECK(anonymous.header("WWW-Authenticate") ==
              R"x(Bearer realm="tessera", error="invalid_token", error_description="no bearer token (Authorization: Bearer <token>)")x");
        CHECK(boost::json::parse(anonymous.body).at("code") == "unauthorized");
        CHECK(get_status(client, "/api/plans/", token) == 200);
        CHECK(get_status(client, "/api/_events", token) == 200);
        for (const char* open : {"/healthz", "/readyz", "/metrics", "/openapi.json"}) {
            CAPTURE(open);
            CHECK(client.get(open).status == 200);  // loopback: metrics and docs are open by default
        }
        CHECK(client.request("GET", "/api/plans/", {{"Authorization", "Basic " + token}}).status == 401);
        CHECK(client.request("GET", "/api/plans/", {{"Authorization", "bearer " + token}}).status == 200);  // case-insensitive
    }

    TEST_CASE("scopes: read cannot write, write cannot replay dead letters, a collection scope stays in it") {
        tessera::test::TempDir dir;
        const auto tokens = dir.path() / "tokens";
        const std::string reader = auth::append_new_token(tokens, auth::parse_scopes("read").value(), "reader").value();
        const std::string writer = auth::append_new_token(tokens, auth::parse_scopes("write").value(), "writer").value();
        const std::string admin = auth::append_new_token(tokens, auth::parse_scopes("admin").value(), "admin").value();
        const std::string planner = auth::append_new_token(tokens, auth::parse_scopes("plans:write").value(), "").value();
        CHECK(read_file(tokens).find("tsr_") == std::string::npos);

        ServerOptions options;
        options.auth = true;
        options.extra_args = {"--tokens-file", tokens.string(), "--public-metrics", "off", "--public-openapi", "off"};
        ServerProcess server(options);
        HttpClient client(server.base_url());
        const std::string plan = example_plan();

        const auto denied = client.request("POST", "/api/plans/", {{"Authorization", "Bearer " + reader}, kJson[0]}, plan);
        CHECK(denied.status == 403);
        CHECK(denied.header("WWW-Authenticate") ==
              R"(Bearer realm="tessera", error="insufficient_scope", error_description="this needs the scope plans:write", scope="plans:write")");
        CHECK(boost::json::parse(denied.body).at("code") == "forbidden");
        CHECK(client.request("POST", "/api/plans/", {{"Authorization", "Bearer " + writer}, kJson[0]}, plan).status == 201);
        CHECK(get_status(client, "/api/plans/12xvxc345ssdsds-508", reader) == 200);
        CHECK(client.request("DELETE", "/api/plans/12xvxc345ssdsds-508", bearer(reader)).status == 403);

        // An Idempotency-Key is the caller's own: another principal reusing it gets no replay of the
        // first one's answer (which would hand it that document).
        const std::string guid_body = R"({"user":"u"})";
        const auto first = client.request("POST", "/guid", {{"Authorization", "Bearer " + writer}, kJson[0], {"Idempotency-Key", "k-1"}}, guid_body);
        REQUIRE(first.status == 201);
        const auto replay = client.request("POST", "/guid", {{"Authorization", "Bearer " + writer}, kJson[0], {"Idempotency-Key", "k-1"}}, guid_body);
        CHECK(replay.body == first.body);
        const auto other = client.request("POST", "/guid", {{"Authorization", "Bearer " + admin}, kJson[0], {"Idempotency-Key", "k-1"}}, guid_body);
        CHECK(other.status == 201);
        CHECK(other.body != first.body);

        CHECK(get_status(client, "/api/_events", writer) == 403);
        CHECK(client.request("POST", "/api/_events/deadletters/replay", bearer(writer)).status == 403);
        CHECK(client.request("POST", "/api/_events/deadletters/replay", bearer(admin)).status == 200);
        CHECK(get_status(client, "/api/_events", admin) == 200);

        CHECK(client.request("POST", "/guid", {{"Authorization", "Bearer " + planner}, kJson[0]}, R"({"user":"u"})").status == 403);
        CHECK(get_status(client, "/api/plans/12xvxc345ssdsds-508", planner) == 200);  // plans:write includes plans:read
        CHECK(get_status(client, "/api/_events", planner) == 403);
        CHECK(get_status(client, "/no/such/route", reader) == 404);  // any valid token, then routing
        CHECK(client.get("/no/such/route").status == 401);

        // Metrics and docs, closed: metrics need admin, docs read; the document declares the scheme.
        CHECK(client.get("/metrics").status == 401);
        CHECK(get_status(client, "/metrics", reader) == 403);
        CHECK(get_status(client, "/metrics", admin) == 200);
        CHECK(client.get("/openapi.json").status == 401);
        const auto docs = client.request("GET", "/openapi.json", bearer(reader));
        REQUIRE(docs.status == 200);
        const auto openapi = boost::json::parse(docs.body);
        CHECK(openapi.at("components").at("securitySchemes").at("bearerAuth").at("scheme") == "bearer");
        CHECK(boost::json::serialize(openapi.at("paths").at("/api/plans/").at("post").at("security")) == R"([{"bearerAuth":["plans:write"]}])");
        CHECK(boost::json::serialize(openapi.at("paths").at("/healthz").at("get").at("security")) == "[]");
        CHECK(openapi.at("paths").at("/api/plans/{id}").at("get").at("responses").as_object().contains("403"));

        // SIGHUP re-reads the file: a token appended now works at once after.
        const std::string late = auth::append_new_token(tokens, auth::parse_scopes("read").value(), "late").value();
        CHECK(get_status(client, "/api/plans/", late) == 401);
        ::kill(server.pid(), SIGHUP);
        int status = 0;
        for (int i = 0; i < 100 && status != 200; ++i) {
            std::this_thread::sleep_for(50ms);
            status = get_status(client, "/api/plans/", late);
        }
        CHECK(status == 200);

        // Refusals are counted by reason; a flood of bad tokens is a counter, not a flood of log lines.
        const auto flood_start = std::chrono::steady_clock::now();
        for (int i = 0; i < 300; ++i) CHECK(get_status(client, "/api/plans/", "tsr_guess" + std::to_string(i)) == 401);
        const auto flood_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - flood_start).count();
        const auto metrics = client.request("GET", "/metrics", bearer(admin));
        CHECK(metric_value(metrics.body, R"(tessera_auth_refused_total{reason="insufficient_scope"})") >= 5);
        CHECK(metric_value(metrics.body, R"(tessera_auth_refused_total{reason="invalid_token"})") >= 300);

        // The reason is logged, never a token.
        const std::string logs = server.stderr_text() + server.stdout_text();
        std::size_t logged = 0;
        for (auto at = logs.find("refused: invalid token"); at != std::string::npos; at = logs.find("refused: invalid token", at + 1)) ++logged;
        CAPTURE(flood_seconds);
        CHECK(logged <= 20 * (static_cast<std::size_t>(flood_seconds) + 2) + 10);  // 20 a second at most
        CHECK(logs.find("insufficient scope") != std::string::npos);
        for (const auto& token : {reader, writer, admin, planner, late}) CHECK(logs.find(token) == std::string::npos);
    }

    TEST_CASE("JWT vectors: only the valid ones pass") {
        tessera::test::TempDir dir;
        const auto rsa = make_keys(dir.path(), "rsa", false);
        const auto other = make_keys(dir.path(), "other", false);
        const auto ec = make_keys(dir.path(), "ec", true);

        ServerOptions options;
        options.auth = true;
        options.extra_args = {"--jwt-key", rsa.public_pem.string(), "--jwt-issuer", "https://issuer.test", "--jwt-audience", "tessera,other"};
        ServerProcess server(options);
        HttpClient client(server.base_url());

        auto good = claims("alice");
        good.issuer = "https://issuer.test";
        good.audience = "tessera";
        CHECK(get_status(client, "/api/plans/", sign(good, rsa.private_pem)) == 200);
        auto named = good;
        named.key_id = "issuer-key-7";  // a kid is a hint: the one PEM key still verifies it
        CHECK(get_status(client, "/api/plans/", sign(named, rsa.private_pem)) == 200);

        // Signed by the openssl tool instead of by us: the same wire format.
        {
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
            const std::string signed_text =
                base64url(R"({"alg":"RS256","typ":"JWT"})") + "." +
                base64url(R"({"sub":"bob","iss":"https://issuer.test","aud":["x","tessera"],"scope":"read openid","exp":)" +
                          std::to_string(now + 300) + "}");
            std::ofstream(dir.path() / "input", std::ios::binary) << signed_text;
            openssl({"dgst", "-sha256", "-sign", rsa.private_pem.string(), "-out", (dir.path() / "signature").string(),
                     (dir.path() / "input").string()});
            CHECK(get_status(client, "/api/plans/", signed_text + "." + base64url(read_file(dir.path() / "signature"))) == 200);
        }

        auto expired = good;
        expired.issued_at = Clock::now() - 1h;
        CHECK(refusal(client, sign(expired, rsa.private_pem)).find("expired") != std::string::npos);
        auto early = good;
        early.not_before = Clock::now() + 1h;
        CHECK(refusal(client, sign(early, rsa.private_pem)).find("not valid yet") != std::string::npos);
        auto issuer = good;
        issuer.issuer = "https://evil.test";
        CHECK(refusal(client, sign(issuer, rsa.private_pem)).find("wrong issuer") != std::string::npos);
        auto audience = good;
        audience.audience = "someone-else";
        CHECK(refusal(client, sign(audience, rsa.private_pem)).find("wrong audience") != std::string::npos);
        CHECK(refusal(client, sign(good, other.private_pem)).find("bad signature") != std::string::npos);
        std::string flipped = sign(good, rsa.private_pem);
        flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
        CHECK(refusal(client, flipped).find("bad signature") != std::string::npos);
        const std::string payload = base64url(R"({"sub":"mallory","iss":"https://issuer.test","aud":"tessera","scope":"admin","exp":4000000000})");
        CHECK(refusal(client, base64url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".").find("alg none") != std::string::npos);
        // Algorithm confusion: HS256 with the server's RSA public key (its PEM text) as the secret.
        const std::string confused = auth::mint_jwt(good, read_file(rsa.public_pem), {}).value();
        CHECK(refusal(client, confused).find("no key accepts HS256") != std::string::npos);
        CHECK(refusal(client, sign(good, ec.private_pem)).find("no key accepts ES256") != std::string::npos);
        CHECK(refusal(client, std::string(9000, 'a') + ".b.c").find("longer than") != std::string::npos);
    }

    TEST_CASE("JWKS: RS256, ES256 and HS256 keys picked by kid; a rotation on SIGHUP retires the old kid") {
        tessera::test::TempDir dir;
        const auto rsa = make_keys(dir.path(), "rsa", false);
        const auto next = make_keys(dir.path(), "next", false);
        const auto ec = make_keys(dir.path(), "ec", true);
        const std::string secret = "a shared secret of more than thirty-two bytes";
        const auto write_jwks = [&](const KeyPair& rsa_key, const std::string& rsa_kid) {
            boost::json::array keys{jwk_of(rsa_key.public_pem, rsa_kid), jwk_of(ec.public_pem, "ec-1"),
                                    boost::json::object{{"kty", "oct"}, {"kid", "hs-1"}, {"k", base64url(secret)}}};
            std::ofstream(dir.path() / "jwks.json") << boost::json::serialize(boost::json::object{{"keys", keys}});
        };
        write_jwks(rsa, "rsa-1");

        ServerOptions options;
        options.auth = true;
        options.extra_args = {"--jwks", (dir.path() / "jwks.json").string()};
        ServerProcess server(options);
        HttpClient client(server.base_url());

        auto with_kid = [](auth::JwtClaims c, std::string kid) {
            c.key_id = std::move(kid);
            return c;
        };
        const std::string old_token = sign(with_kid(claims("alice"), "rsa-1"), rsa.private_pem);
        CHECK(get_status(client, "/api/plans/", old_token) == 200);
        CHECK(get_status(client, "/api/plans/", sign(with_kid(claims("carol"), "ec-1"), ec.private_pem)) == 200);
        CHECK(get_status(client, "/api/plans/", auth::mint_jwt(with_kid(claims("dave"), "hs-1"), secret, {}).value()) == 200);
        CHECK(refusal(client, sign(with_kid(claims("eve"), "ec-1"), rsa.private_pem)).find("not the algorithm of this key") !=
              std::string::npos);
        CHECK(refusal(client, sign(with_kid(claims("eve"), "nope"), rsa.private_pem)).find("no key with this kid") != std::string::npos);
        CHECK(get_status(client, "/api/plans/", sign(claims("frank"), rsa.private_pem)) == 200);  // no kid: the one RSA key
        // Rotation: rsa-1 replaced by rsa-2.
        write_jwks(next, "rsa-2");
        ::kill(server.pid(), SIGHUP);
        const std::string new_token = sign(with_kid(claims("alice"), "rsa-2"), next.private_pem);
        int status = 0;
        for (int i = 0; i < 100 && status != 200; ++i) {
            std::this_thread::sleep_for(50ms);
            status = get_status(client, "/api/plans/", new_token);
        }
        CHECK(status == 200);
        CHECK(refusal(client, old_token).find("no key with this kid") != std::string::npos);
    }

    TEST_CASE("rate limit: 8 concurrent clients get burst + rate x elapsed, +-1; then 429 with Retry-After") {
        tessera::test::TempDir dir;
        const std::string token = auth::append_new_token(dir.path() / "tokens", auth::parse_scopes("read").value(), "").value();
        ServerOptions options;
        options.auth = true;
        options.extra_args = {"--tokens-file", (dir.path() / "tokens").string(), "--rate-limit", "20/s", "--burst", "10"};
        ServerProcess server(options);

        std::atomic<int> accepted{0}, limited{0}, other{0};
        std::atomic<bool> headers_ok{true};
        const auto start = std::chrono::steady_clock::now();
        const auto stop_at = start + 1500ms;
        std::vector<std::thread> clients;
        for (int c = 0; c < 8; ++c) {
            clients.emplace_back([&] {
                HttpClient client(server.base_url());
                while (std::chrono::steady_clock::now() < stop_at) {
                    const auto answer = client.request("GET", "/api/plans/", bearer(token));
                    if (answer.status == 200) {
                        ++accepted;
                    } else if (answer.status == 429) {
                        ++limited;
                        if (answer.header("Retry-After").empty() || answer.header("RateLimit-Remaining") != "0") headers_ok = false;
                    } else {
                        ++other;
                    }
                    if (answer.header("RateLimit-Limit") != "10") headers_ok = false;
                }
            });
        }
        for (auto& client : clients) client.join();
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double expected = 10 + 20 * elapsed;
        CAPTURE(elapsed);
        CAPTURE(accepted.load());
        CHECK(other == 0);
        CHECK(limited > 0);
        CHECK(headers_ok);
        CHECK(accepted <= expected + 1);
        CHECK(accepted >= expected - 1 - 20 * 0.05);  // the server sees the first request up to ~50 ms late
        HttpClient client(server.base_url());
        const auto healthz = client.get("/healthz");  // anonymous: limited by address, with the same fields
        CHECK(healthz.header("RateLimit-Limit") == "10");
        const auto metrics = client.get("/metrics");  // open on loopback
        CHECK(metric_value(metrics.body, R"(tessera_auth_refused_total{reason="rate_limited"})") == limited.load());
    }

    TEST_CASE("rate limit shared by two servers through Redis: one bucket for both") {
        tessera::test::RedisServer redis;
        tessera::test::TempDir dir;
        const std::string token = auth::append_new_token(dir.path() / "tokens", auth::parse_scopes("read").value(), "").value();
        ServerOptions options;
        options.auth = true;
        options.extra_args = {"--tokens-file", (dir.path() / "tokens").string(), "--rate-limit", "1/h", "--burst", "12",
                              "--rate-limit-store", redis.url("/0")};
        ServerProcess first(options);
        ServerProcess second(options);
        HttpClient a(first.base_url());
        HttpClient b(second.base_url());
        int accepted = 0;
        for (int i = 0; i < 20; ++i) {
            accepted += get_status(a, "/api/plans/", token) == 200;
            accepted += get_status(b, "/api/plans/", token) == 200;
        }
        CHECK(accepted == 12);
    }
}
