#include "connectors/oauth1.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace herald {
namespace {

// The worked example of X's "Creating a signature" page
// (https://docs.x.com/fundamentals/authentication/oauth-1-0a/creating-a-signature):
// a POST to https://api.x.com/1.1/statuses/update.json?include_entities=true
// with a form body status=...
constexpr std::string_view kStatus = "Hello Ladies + Gentlemen, a signed OAuth request!";
constexpr std::string_view kNonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
constexpr std::int64_t kTimestamp = 1318622958;
constexpr std::string_view kConsumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
constexpr std::string_view kTokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
constexpr std::string_view kUrl = "https://api.x.com/1.1/statuses/update.json?include_entities=true";

OAuth1Credentials documented_credentials() {
  return {"xvz1evFS4wEEPTGEFPHBog", Secret(std::string(kConsumerSecret)),
          "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", Secret(std::string(kTokenSecret))};
}

Params documented_oauth_params() {
  return {{"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
          {"oauth_nonce", std::string(kNonce)},
          {"oauth_signature_method", "HMAC-SHA1"},
          {"oauth_timestamp", "1318622958"},
          {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
          {"oauth_version", "1.0"}};
}

Params with_status(Params params) {
  params.emplace_back("status", std::string(kStatus));
  return params;
}

TEST(OAuth1Test, PercentEncodesTheDocumentedExamples) {
  // X's "Percent encoding parameters" page.
  EXPECT_EQ(percent_encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
  EXPECT_EQ(percent_encode("An encoded string!"), "An%20encoded%20string%21");
  EXPECT_EQ(percent_encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
  EXPECT_EQ(percent_encode("\xE2\x98\x83"), "%E2%98%83");  // the snowman
}

TEST(OAuth1Test, PercentEncodingKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode(" "), "%20");
  EXPECT_EQ(percent_encode("+"), "%2B");
  EXPECT_EQ(percent_encode("*"), "%2A");
  EXPECT_EQ(percent_encode("%/=&?#"), "%25%2F%3D%26%3F%23");
  EXPECT_EQ(percent_encode("caf\xC3\xA9"), "caf%C3%A9");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(percent_encode(std::string_view("\x00\xFF", 2)), "%00%FF");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(OAuth1Test, FormBodyIsEncodedAsTheSignatureSeesIt) {
  EXPECT_EQ(form_urlencode({{"status", std::string(kStatus)}}),
            "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21");
  EXPECT_EQ(form_urlencode({{"a", "1"}, {"b c", ""}}), "a=1&b%20c=");
}

TEST(OAuth1Test, SignatureBaseStringMatchesTheDocumentedExample) {
  EXPECT_EQ(signature_base_string("POST", kUrl, with_status(documented_oauth_params())),
            "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26"
            "oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26"
            "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26"
            "oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26"
            "status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
}

TEST(OAuth1Test, SignatureMatchesTheDocumentedExample) {
  std::string base = signature_base_string("POST", kUrl, with_status(documented_oauth_params()));
  EXPECT_EQ(hmac_sha1_signature(base, Secret(std::string(kConsumerSecret)), Secret(std::string(kTokenSecret))),
            "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
}

TEST(OAuth1Test, AuthorizationHeaderForTheDocumentedExample) {
  EXPECT_EQ(oauth1_authorization("POST", kUrl, {{"status", std::string(kStatus)}}, documented_credentials(), kNonce,
                                 kTimestamp),
            "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
            "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
            "oauth_signature=\"Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D\", "
            "oauth_signature_method=\"HMAC-SHA1\", "
            "oauth_timestamp=\"1318622958\", "
            "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
            "oauth_version=\"1.0\"");
}

TEST(OAuth1Test, SameExampleOnTheFormerTwitterHost) {
  // Earlier versions of the page signed https://api.twitter.com/1.1/...; the
  // value below is that request's signature (also checked with
  // `openssl dgst -sha1 -hmac`). Only the host differs from the example above.
  std::string header = oauth1_authorization("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
                                            {{"status", std::string(kStatus)}}, documented_credentials(), kNonce,
                                            kTimestamp);
  EXPECT_NE(header.find("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""), std::string::npos) << header;
}

TEST(OAuth1Test, HeaderNeverContainsEitherSecret) {
  OAuth1Credentials credentials{"key", Secret("consumer secret/+="), "token", Secret("token secret/+=")};
  std::string header = oauth1_authorization("POST", "https://api.x.com/2/tweets", {}, credentials, "nonce", 1);
  for (const std::string& secret : {credentials.consumer_secret.reveal(), credentials.token_secret.reveal()}) {
    EXPECT_EQ(header.find(secret), std::string::npos) << header;
    EXPECT_EQ(header.find(percent_encode(secret)), std::string::npos) << header;
  }
  EXPECT_EQ(header.find("secret"), std::string::npos) << header;
}

TEST(OAuth1Test, QueryParametersAreDecodedThenSigned) {
  // '+' in a query is a space; %2B is a plus; a name without '=' has an empty value.
  std::string base = signature_base_string("GET", "https://api.x.com/2/users/by?q=a+b&plus=%2B&flag#frag", {});
  EXPECT_EQ(base, "GET&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2Fby&flag%3D%26plus%3D%252B%26q%3Da%2520b");
}

TEST(OAuth1Test, BaseUrlIsNormalised) {
  EXPECT_EQ(signature_base_string("get", "HTTPS://API.X.com:443/2/Tweets", {}),
            "GET&https%3A%2F%2Fapi.x.com%2F2%2FTweets&");
  EXPECT_EQ(signature_base_string("GET", "http://example.com:80", {}), "GET&http%3A%2F%2Fexample.com%2F&");
  EXPECT_EQ(signature_base_string("GET", "https://example.com:8443/x", {}),
            "GET&https%3A%2F%2Fexample.com%3A8443%2Fx&");
  EXPECT_THROW(signature_base_string("GET", "/relative", {}), std::invalid_argument);
}

TEST(OAuth1Test, ParametersSortByEncodedNameThenEncodedValue) {
  Params params{{"b", "2"}, {"a", "z"}, {"a", "a b"}, {"a", "a+b"}, {"Z", "upper"}, {"a", "10"}};
  // Encoded: "a%20b" < "a%2Bb" (' ' is 0x20) and "Z" < "a" (byte order).
  EXPECT_EQ(signature_base_string("POST", "https://h/p", params),
            "POST&https%3A%2F%2Fh%2Fp&Z%3Dupper%26a%3D10%26a%3Da%2520b%26a%3Da%252Bb%26a%3Dz%26b%3D2");
}

TEST(OAuth1Test, FormParametersAreSignedAndAJsonBodyIsNot) {
  OAuth1Credentials credentials = documented_credentials();
  std::string json_post = oauth1_authorization("POST", "https://api.x.com/2/tweets", {}, credentials, kNonce, kTimestamp);
  std::string form_post = oauth1_authorization("POST", "https://api.x.com/2/tweets", {{"text", "hi"}}, credentials,
                                               kNonce, kTimestamp);
  EXPECT_NE(json_post, form_post);
  // Signing the oauth_* parameters alone is what a JSON-bodied request does.
  Params oauth = documented_oauth_params();
  std::string expected = hmac_sha1_signature(signature_base_string("POST", "https://api.x.com/2/tweets", oauth),
                                             credentials.consumer_secret, credentials.token_secret);
  EXPECT_NE(json_post.find("oauth_signature=\"" + percent_encode(expected) + "\""), std::string::npos);
}

TEST(OAuth1Test, WithoutATokenTheKeyEndsInAnAmpersandAndNoTokenIsSent) {
  // Reference value from `printf %s 'GET&https%3A%2F%2Fh%2F&' | openssl dgst -sha1 -hmac 'cs&' -binary | base64`.
  EXPECT_EQ(hmac_sha1_signature("GET&https%3A%2F%2Fh%2F&", Secret("cs"), Secret()), "ASu+tYpK2RR5RadDPiA7AJl3EvQ=");
  OAuth1Credentials credentials{"key", Secret("cs"), "", Secret()};
  std::string header = oauth1_authorization("POST", "https://api.x.com/oauth/request_token", {}, credentials, "n", 1);
  EXPECT_EQ(header.find("oauth_token"), std::string::npos) << header;
}

TEST(OAuth1Test, NonceAndTimestampAreTheOnlyVaryingInputs) {
  OAuth1Credentials credentials = documented_credentials();
  auto sign = [&](std::string_view nonce, std::int64_t timestamp) {
    return oauth1_authorization("POST", kUrl, {{"status", std::string(kStatus)}}, credentials, nonce, timestamp);
  };
  EXPECT_EQ(sign(kNonce, kTimestamp), sign(kNonce, kTimestamp));
  EXPECT_NE(sign(kNonce, kTimestamp), sign("other", kTimestamp));
  EXPECT_NE(sign(kNonce, kTimestamp), sign(kNonce, kTimestamp + 1));
}

TEST(OAuth1Test, SecretPrintsRedactedAndDoesNotConvert) {
  static_assert(!std::is_convertible_v<Secret, std::string>);
  static_assert(!std::is_convertible_v<Secret, std::string_view>);
  static_assert(!std::is_convertible_v<std::string, Secret>);
  std::ostringstream out;
  out << Secret("hunter2");
  EXPECT_EQ(out.str(), "[redacted]");
  EXPECT_EQ(Secret("hunter2").reveal(), "hunter2");
  EXPECT_TRUE(Secret().empty());
}

}  // namespace
}  // namespace herald
