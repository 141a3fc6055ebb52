#include "auth/jwt_keys.hpp"

#include <tessera/json/parse.hpp>
#include <tessera/json/text.hpp>

#include "auth/crypto.hpp"
#include "common/encoding.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <set>

namespace tessera::auth::internal {

struct VerifyKey::Material {
    std::string secret;      // hs256
    EVP_PKEY* key = nullptr;  // rs256, es256

    ~Material() { EVP_PKEY_free(key); }
};

namespace {

constexpr int kMinRsaBits = 2048;

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
void free_bio(BIO* bio) { BIO_free(bio); }
using Bio = std::unique_ptr<BIO, Deleter<BIO, free_bio>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyContext = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdContext = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using EcdsaSignature = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

Error invalid(std::string message) { return Error(ErrorCode::invalid, std::move(message)); }

// The algorithm a public or private key may be used with, or an error saying why it may not.
Result<Algorithm> algorithm_of(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "RSA")) {
        if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
            return invalid("RSA keys need at least " + std::to_string(kMinRsaBits) + " bits (RFC 7518 §3.3)");
        }
        return Algorithm::rs256;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1 ||
            std::string_view(group, length) != "prime256v1") {
            return invalid("EC keys must be on P-256 (ES256)");
        }
        return Algorithm::es256;
    }
    return invalid("only RSA and EC P-256 keys are supported");
}

Result<std::string> jwk_bytes(const boost::json::object& jwk, std::string_view member) {
    const auto* value = jwk.if_contains(member);
    if (value == nullptr || !value->is_string()) return invalid("member '" + std::string(member) + "' is missing");
    auto bytes = common::base64url_decode(value->get_string());
    if (!bytes || bytes->empty()) return invalid("member '" + std::string(member) + "' is not base64url");
    return std::move(*bytes);
}

Result<Pkey> public_key_from(const char* type, ParamBuilder& builder) {
    Params params(OSSL_PARAM_BLD_to_param(builder.get()));
    PkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return invalid(std::string("not a valid ") + type + " public key");
    }
    return Pkey(key);
}

Result<Pkey> rsa_from_jwk(const boost::json::object& jwk) {
    auto n = jwk_bytes(jwk, "n");
    if (!n) return std::move(n).error();
    auto e = jwk_bytes(jwk, "e");
    if (!e) return std::move(e).error();
    Bignum modulus(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
    Bignum exponent(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
    ParamBuilder builder(OSSL_PARAM_BLD_new());
    if (!modulus || !exponent || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
        return invalid("not a valid RSA public key");
    }
    return public_key_from("RSA", builder);
}

Result<Pkey> ec_from_jwk(const boost::json::object& jwk) {
    const auto* curve = jwk.if_contains("crv");
    if (curve == nullptr || !curve->is_string() || curve->get_string() != "P-256") return invalid("EC keys must have crv P-256");
    auto x = jwk_bytes(jwk, "x");
    if (!x) return std::move(x).error();
    auto y = jwk_bytes(jwk, "y");
    if (!y) return std::move(y).error();
    if (x->size() != 32 || y->size() != 32) return invalid("P-256 coordinates are 32 bytes each");
    const std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
    ParamBuilder builder(OSSL_PARAM_BLD_new());
    if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
        return invalid("not a valid EC public key");
    }
    return public_key_from("EC", builder);
}

// JWS ES256 signatures are r||s (32 bytes each); OpenSSL speaks DER.
std::string der_from_raw(std::string_view raw) {
    EcdsaSignature signature(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
    if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return {};
    }
    unsigned char* der = nullptr;
    const int length = i2d_ECDSA_SIG(signature.get(), &der);
    if (length <= 0) return {};
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
}

std::string raw_from_der(std::string_view der) {
    const auto* data = reinterpret_cast<const unsigned char*>(der.data());
    EcdsaSignature signature(d2i_ECDSA_SIG(nullptr, &data, static_cast<long>(der.size())));
    if (!signature) return {};
    std::string raw(64, '\0');
    if (BN_bn2binpad(ECDSA_SIG_get0_r(signature.get()), reinterpret_cast<unsigned char*>(raw.data()), 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(signature.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32) != 32) {
        return {};
    }
    return raw;
}

}  // namespace

std::string_view to_string(Algorithm algorithm) noexcept {
    switch (algorithm) {
        case Algorithm::hs256: return "HS256";
        case Algorithm::rs256: return "RS256";
        case Algorithm::es256: return "ES256";
    }
    return "HS256";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) noexcept {
    if (name == "HS256") return Algorithm::hs256;
    if (name == "RS256") return Algorithm::rs256;
    if (name == "ES256") return Algorithm::es256;
    return std::nullopt;
}

Result<VerifyKey> VerifyKey::from_secret(std::string secret, std::string key_id) {
    if (secret.size() < 32) return invalid("an HS256 secret needs at least 32 bytes (RFC 7518 §3.2)");
    auto material = std::make_shared<Material>();
    material->secret = std::move(secret);
    return VerifyKey(Algorithm::hs256, std::move(key_id), std::move(material));
}

Result<VerifyKey> VerifyKey::from_pem(std::string_view pem, std::string key_id) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) return invalid("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
    auto algorithm = algorithm_of(key.get());
    if (!algorithm) return std::move(algorithm).error();
    auto material = std::make_shared<Material>();
    material->key = key.release();
    return VerifyKey(*algorithm, std::move(key_id), std::move(material));
}

Result<VerifyKey> VerifyKey::from_jwk(const boost::json::value& value) {
    if (!value.is_object()) return invalid("a JWK is an object");
    const auto& jwk = value.get_object();
    std::string key_id;
    if (const auto* kid = jwk.if_contains("kid")) {
        if (!kid->is_string() || kid->get_string().size() > 256) return invalid("'kid' must be a string of at most 256 bytes");
        key_id = std::string(kid->get_string());
    }
    if (const auto* use = jwk.if_contains("use"); use != nullptr && (!use->is_string() || use->get_string() != "sig")) {
        return invalid("'use' must be \"sig\"");
    }
    const auto* kty = jwk.if_contains("kty");
    if (kty == nullptr || !kty->is_string()) return invalid("'kty' is missing");
    Result<VerifyKey> key = invalid("kty '" + json::excerpt(kty->get_string()) + "' is not supported (RSA, EC, oct)");
    if (kty->get_string() == "oct") {
        auto secret = jwk_bytes(jwk, "k");
        if (!secret) return std::move(secret).error();
        key = from_secret(std::move(*secret), key_id);
    } else if (kty->get_string() == "RSA" || kty->get_string() == "EC") {
        auto public_key = kty->get_string() == "RSA" ? rsa_from_jwk(jwk) : ec_from_jwk(jwk);
        if (!public_key) return std::move(public_key).error();
        auto algorithm = algorithm_of(public_key->get());
        if (!algorithm) return std::move(algorithm).error();
        auto material = std::make_shared<Material>();
        material->key = public_key->release();
        key = VerifyKey(*algorithm, key_id, std::move(material));
    }
    if (!key) return key;
    if (const auto* alg = jwk.if_contains("alg")) {
        if (!alg->is_string() || alg->get_string() != to_string(key->algorithm())) {
            return invalid("'alg' does not match the key type (expected " + std::string(to_string(key->algorithm())) + ")");
        }
    }
    return key;
}

bool VerifyKey::verify(std::string_view message, std::string_view signature) const noexcept {
    if (algorithm_ == Algorithm::hs256) {
        return constant_time_equal(hmac_sha256(material_->secret, message), signature);
    }
    std::string der;
    if (algorithm_ == Algorithm::es256) {
        if (signature.size() != 64) return false;
        der = der_from_raw(signature);
        if (der.empty()) return false;
        signature = der;
    }
    MdContext context(EVP_MD_CTX_new());
    return context &&
           EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, material_->key) == 1 &&
           EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

Result<std::vector<VerifyKey>> parse_jwks(std::string_view text) {
    auto document = json::parse(text, {std::size_t{1} << 20, 16});
    if (!document) return invalid("not JSON: " + document.error().message());
    const auto* keys = document->is_object() ? document->get_object().if_contains("keys") : nullptr;
    if (keys == nullptr || !keys->is_array() || keys->get_array().empty()) {
        return invalid("a JWK Set is {\"keys\": [...]} with at least one key");
    }
    std::vector<VerifyKey> out;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < keys->get_array().size(); ++i) {
        auto key = VerifyKey::from_jwk(keys->get_array()[i]);
        if (!key) return invalid("key " + std::to_string(i) + ": " + key.error().message());
        if (!key->key_id().empty() && !ids.insert(key->key_id()).second) {
            return invalid("key " + std::to_string(i) + ": kid '" + json::excerpt(key->key_id()) + "' is not unique");
        }
        out.push_back(std::move(*key));
    }
    return out;
}

namespace {
Result<Pkey> read_private_key(std::string_view pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) return invalid("not a PEM private key (unencrypted)");
    return key;
}
}  // namespace

Result<Algorithm> private_key_algorithm(std::string_view pem) {
    auto key = read_private_key(pem);
    if (!key) return std::move(key).error();
    return algorithm_of(key->get());
}

Result<std::string> sign_with_pem(std::string_view pem, std::string_view message) {
    auto read = read_private_key(pem);
    if (!read) return std::move(read).error();
    Pkey key = std::move(*read);
    auto algorithm = algorithm_of(key.get());
    if (!algorithm) return std::move(algorithm).error();
    MdContext context(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
        return invalid("signing failed");
    }
    std::string signature(size, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
        return invalid("signing failed");
    }
    signature.resize(size);
    if (*algorithm == Algorithm::es256) {
        signature = raw_from_der(signature);
        if (signature.empty()) return invalid("signing failed");
    }
    return signature;
}

}  // namespace tessera::auth::internal
