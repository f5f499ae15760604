// The Bluesky part of herald-sandbox, spoken to directly with an HTTP
// client: sessions and their tokens, records and their validation, record
// key conflicts, blobs, rate limits and faults, each as the document named
// above the test says (the lexicons are github.com/bluesky-social/atproto,
// lexicons/; the XRPC spec atproto.com/specs/xrpc; sandbox_bluesky.cpp
// lists every source).
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "connectors/form_encoding.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

namespace herald {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kHandle = "herald-test.bsky.social";
constexpr const char* kDid = "did:plc:heraldtest00000000000001";
constexpr const char* kPassword = "FAKE-test-app-pass-word";
constexpr const char* kOtherHandle = "other.example.com";
constexpr const char* kOtherDid = "did:plc:heraldother0000000000002";
constexpr const char* kOtherPassword = "FAKE-other-app-password";
constexpr std::int64_t kStart = 1'800'000'000'000;  // 2027-01-15, Unix ms

std::string base64url_decode(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : s) {
    const auto at = std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").find(c);
    if (at == std::string_view::npos) break;
    bits = (bits << 6) | static_cast<unsigned>(at);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

json::object jwt_part(const std::string& jwt, int part) {
  std::size_t start = 0;
  for (int i = 0; i < part; ++i) start = jwt.find('.', start) + 1;
  return json::parse(base64url_decode(jwt.substr(start, jwt.find('.', start) - start))).as_object();
}

class BlueskySandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override { sandbox_->stop(); }

  void start(const std::function<void(BlueskySandboxConfig&)>& adjust) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    config.bluesky.accounts = {{kHandle, kDid, kPassword}, {kOtherHandle, kOtherDid, kOtherPassword}};
    config.bluesky.access_jwt_seconds = 600;
    config.bluesky.refresh_jwt_seconds = 3600;
    config.bluesky.refresh_grace_seconds = 60;
    if (adjust) adjust(config.bluesky);
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(2));
  }

  httplib::Result post(const std::string& nsid, const std::string& body, const std::string& token = {}) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client_->Post(("/xrpc/" + nsid).c_str(), headers, body, "application/json");
  }
  json::object login(const std::string& identifier = kHandle, const std::string& password = kPassword) {
    auto res = post("com.atproto.server.createSession",
                    json::serialize(json::object{{"identifier", identifier}, {"password", password}}));
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body).as_object();
  }
  std::string access() { return std::string(login().at("accessJwt").as_string()); }

  static json::object record(const std::string& text, json::object extra = {}) {
    json::object r{{"$type", "app.bsky.feed.post"}, {"text", text}, {"createdAt", "2027-01-15T08:00:00.000Z"}};
    for (auto& [k, v] : extra) r[k] = v;
    return r;
  }
  httplib::Result create(const std::string& token, const json::object& rec, const std::string& rkey = "3lbcdefghij22",
                         const std::string& repo = kDid) {
    json::object body{{"repo", repo}, {"collection", "app.bsky.feed.post"}, {"record", rec}};
    if (!rkey.empty()) body["rkey"] = rkey;
    return post("com.atproto.repo.createRecord", json::serialize(body), token);
  }
  httplib::Result upload(const std::string& token, const std::string& bytes, const std::string& type = "image/png") {
    httplib::Headers headers{{"Authorization", "Bearer " + token}};
    return client_->Post("/xrpc/com.atproto.repo.uploadBlob", headers, bytes, type.c_str());
  }
  static json::object body_of(const httplib::Result& res) { return json::parse(res->body).as_object(); }
  static std::string error_of(const httplib::Result& res) {
    return std::string(json::parse(res->body).as_object().at("error").as_string());
  }
  static std::string message_of(const httplib::Result& res) {
    return std::string(json::parse(res->body).as_object().at("message").as_string());
  }

  static std::string png(std::size_t size, int seed = 0) {
    std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x08", 24);
    while (bytes.size() < size) bytes += static_cast<char>(bytes.size() * 31 + seed);
    return bytes;
  }

  std::atomic<std::int64_t> now_ms_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

// com.atproto.server.createSession: a handle (any case) or DID and the app
// password give JWT-shaped tokens as the reference PDS makes them: an
// access token (typ at+jwt, scope com.atproto.appPass) and a refresh token
// (typ refresh+jwt, a jti), sub the DID, exp by the sandbox clock.
TEST_F(BlueskySandboxTest, CreateSessionAnswersJwtsThatExpireByTheSandboxClock) {
  const json::object session = login("Herald-Test.bsky.social");
  EXPECT_EQ(session.at("did").as_string(), kDid);
  EXPECT_EQ(session.at("handle").as_string(), kHandle);
  const std::string access(session.at("accessJwt").as_string());
  const std::string refresh(session.at("refreshJwt").as_string());
  EXPECT_EQ(jwt_part(access, 0).at("typ").as_string(), "at+jwt");
  EXPECT_EQ(jwt_part(access, 1).at("scope").as_string(), "com.atproto.appPass");
  EXPECT_EQ(jwt_part(access, 1).at("sub").as_string(), kDid);
  EXPECT_EQ(jwt_part(access, 1).at("exp").as_int64(), kStart / 1000 + 600);
  EXPECT_EQ(jwt_part(refresh, 0).at("typ").as_string(), "refresh+jwt");
  EXPECT_EQ(jwt_part(refresh, 1).at("scope").as_string(), "com.atproto.refresh");
  EXPECT_FALSE(jwt_part(refresh, 1).at("jti").as_string().empty());
  EXPECT_EQ(jwt_part(refresh, 1).at("exp").as_int64(), kStart / 1000 + 3600);
  EXPECT_EQ(login(kDid).at("did").as_string(), kDid);  // by DID too
}

// The reference PDS (account-manager): a wrong password, or an unknown
// identifier, is 401 AuthenticationRequired "Invalid identifier or password";
// a body without the password is 400 InvalidRequest.
TEST_F(BlueskySandboxTest, AWrongAppPasswordIs401) {
  auto wrong = post("com.atproto.server.createSession", R"({"identifier":"herald-test.bsky.social","password":"nope"})");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(error_of(wrong), "AuthenticationRequired");
  EXPECT_EQ(message_of(wrong), "Invalid identifier or password");
  auto unknown = post("com.atproto.server.createSession", R"({"identifier":"nobody.bsky.social","password":"x"})");
  EXPECT_EQ(unknown->status, 401);
  auto missing = post("com.atproto.server.createSession", R"({"identifier":"herald-test.bsky.social"})");
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(message_of(missing), "Input must have the property \"password\"");
}

// XRPC auth (the reference PDS's auth-verifier): no token is 401 AuthMissing;
// an access token past its exp is 400 ExpiredToken "Token has expired"; a
// token not signed here, or a refresh token used as an access token, is 400
// InvalidToken "Token could not be verified".
TEST_F(BlueskySandboxTest, AccessTokensAreCheckedAndExpire) {
  const json::object session = login();
  const std::string token(session.at("accessJwt").as_string());
  auto none = create("", record("a"));
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(error_of(none), "AuthMissing");
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  auto bad = create(forged, record("a"));
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(error_of(bad), "InvalidToken");
  auto refresh_as_access = create(std::string(session.at("refreshJwt").as_string()), record("a"));
  EXPECT_EQ(refresh_as_access->status, 400);
  EXPECT_EQ(error_of(refresh_as_access), "InvalidToken");
  now_ms_ += 600'000;  // the access token's whole life
  auto expired = create(token, record("a"));
  EXPECT_EQ(expired->status, 400);
  EXPECT_EQ(error_of(expired), "ExpiredToken");
  EXPECT_EQ(message_of(expired), "Token has expired");
  EXPECT_TRUE(sandbox_->creates().empty());
}

// com.atproto.server.refreshSession: the refresh JWT as Bearer gives new
// tokens and a new refresh JWT; the used one still answers the same
// successor during the grace period, then is "Token has been revoked"
// (400 ExpiredToken), as the reference PDS's rotateRefreshToken does.
TEST_F(BlueskySandboxTest, RefreshRotatesAndAUsedTokenDiesAfterTheGracePeriod) {
  const std::string first(login().at("refreshJwt").as_string());
  auto renewed = post("com.atproto.server.refreshSession", "", first);
  ASSERT_TRUE(renewed);
  ASSERT_EQ(renewed->status, 200) << renewed->body;
  const std::string second(body_of(renewed).at("refreshJwt").as_string());
  EXPECT_NE(second, first);
  EXPECT_NE(jwt_part(second, 1).at("jti"), jwt_part(first, 1).at("jti"));
  EXPECT_EQ(create(std::string(body_of(renewed).at("accessJwt").as_string()), record("after refresh"))->status, 200);

  now_ms_ += 30'000;  // within the 60 s grace: the same successor
  auto again = post("com.atproto.server.refreshSession", "", first);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(jwt_part(std::string(body_of(again).at("refreshJwt").as_string()), 1).at("jti"),
            jwt_part(second, 1).at("jti"));
  now_ms_ += 30'000;  // the grace is over
  auto revoked = post("com.atproto.server.refreshSession", "", first);
  EXPECT_EQ(revoked->status, 400);
  EXPECT_EQ(error_of(revoked), "ExpiredToken");
  EXPECT_EQ(message_of(revoked), "Token has been revoked");
  EXPECT_EQ(post("com.atproto.server.refreshSession", "", second)->status, 200);  // the successor works

  auto with_access = post("com.atproto.server.refreshSession", "", access());
  EXPECT_EQ(with_access->status, 400);
  EXPECT_EQ(error_of(with_access), "InvalidToken");
}

// refresh_grace_seconds: 0 refuses a used refresh token at once; a refresh
// token past its own exp is "Token has expired".
TEST_F(BlueskySandboxTest, WithoutGraceAUsedRefreshTokenIsRefusedAndOldOnesExpire) {
  start([](BlueskySandboxConfig& c) { c.refresh_grace_seconds = 0; });
  const std::string first(login().at("refreshJwt").as_string());
  EXPECT_EQ(post("com.atproto.server.refreshSession", "", first)->status, 200);
  auto reused = post("com.atproto.server.refreshSession", "", first);
  EXPECT_EQ(reused->status, 400);
  EXPECT_EQ(message_of(reused), "Token has been revoked");
  const std::string other(login().at("refreshJwt").as_string());
  now_ms_ += 3'600'000;
  auto expired = post("com.atproto.server.refreshSession", "", other);
  EXPECT_EQ(expired->status, 400);
  EXPECT_EQ(error_of(expired), "ExpiredToken");
  EXPECT_EQ(message_of(expired), "Token has expired");
}

// com.atproto.repo.createRecord: {uri, cid, commit, validationStatus}; the
// record keeps the text, key, createdAt, langs and facets as sent.
TEST_F(BlueskySandboxTest, CreateRecordStoresAndRecordsThePost) {
  const std::string text = "Spring \xF0\x9F\x8C\xB7 example.nl/spring #bakery";  // 🌷: 4 bytes
  json::array facets{
      json::object{{"index", json::object{{"byteStart", 12}, {"byteEnd", 29}}},
                   {"features", json::array{json::object{{"$type", "app.bsky.richtext.facet#link"},
                                                         {"uri", "https://example.nl/spring?utm_source=bluesky"}}}}},
      json::object{{"index", json::object{{"byteStart", 30}, {"byteEnd", 37}}},
                   {"features", json::array{json::object{{"$type", "app.bsky.richtext.facet#tag"}, {"tag", "bakery"}}}}}};
  auto res = create(access(), record(text, {{"langs", json::array{"nl"}}, {"facets", facets}}), "3lbcdefghij22");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json::object answer = body_of(res);
  EXPECT_EQ(answer.at("uri").as_string(), std::string("at://") + kDid + "/app.bsky.feed.post/3lbcdefghij22");
  EXPECT_TRUE(answer.at("cid").as_string().starts_with("bafyrei"));
  EXPECT_EQ(answer.at("validationStatus").as_string(), "valid");
  EXPECT_FALSE(res->get_header_value("RateLimit-Remaining").empty());
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "bluesky");
  EXPECT_EQ(creates[0].account, kHandle);
  EXPECT_EQ(creates[0].text, text);
  EXPECT_EQ(creates[0].fields.at("rkey"), "3lbcdefghij22");
  EXPECT_EQ(creates[0].fields.at("createdAt"), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(creates[0].fields.at("langs"), "nl");
  EXPECT_EQ(json::parse(creates[0].fields.at("facets")), facets);
  EXPECT_EQ(creates[0].fields.at("embed"), "none");
}

// app.bsky.feed.post text: maxGraphemes 300, maxLength 3000 (bytes). 300
// "é" written with a combining accent (one grapheme, 3 bytes each) pass;
// 301 are one grapheme too many; 200 ZWJ families (one grapheme, 18 bytes
// each) are few graphemes but 3,600 bytes; 100 flags, 50 families and 150
// letters are 300 graphemes, and a flag more is 301.
TEST_F(BlueskySandboxTest, TextIsLimitedTo300GraphemesAnd3000Bytes) {
  const std::string token = access();
  std::string accents, over;
  for (int i = 0; i < 300; ++i) accents += "e\xCC\x81";  // e + U+0301: one grapheme, 3 bytes
  over = accents + "e";
  EXPECT_EQ(create(token, record(accents), "3lbcdefghij22")->status, 200);
  auto too_many = create(token, record(over), "3lbcdefghij23");
  EXPECT_EQ(too_many->status, 400);
  EXPECT_EQ(message_of(too_many), "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes");
  std::string families;
  for (int i = 0; i < 200; ++i) families += "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  auto too_long = create(token, record(families), "3lbcdefghij24");
  EXPECT_EQ(too_long->status, 400);
  EXPECT_EQ(message_of(too_long), "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters");
  // Flags (two regional indicators) and ZWJ families count one each.
  const std::string flag = "\xF0\x9F\x87\xB3\xF0\x9F\x87\xB1";
  std::string mixed;
  for (int i = 0; i < 100; ++i) mixed += flag;
  for (int i = 0; i < 50; ++i) mixed += "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  mixed += std::string(150, 'a');
  EXPECT_EQ(create(token, record(mixed), "3lbcdefghij25")->status, 200);
  EXPECT_EQ(create(token, record(flag + mixed), "3lbcdefghij26")->status, 400);
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

// app.bsky.richtext.facet: byteStart/byteEnd are UTF-8 byte offsets; the
// sandbox (stricter than a PDS, see sandbox_bluesky.cpp) refuses a range
// past the text or inside a character.
TEST_F(BlueskySandboxTest, FacetsMustBeWholeCharactersOfTheText) {
  const std::string token = access();
  const std::string text = "\xF0\x9F\x8C\xB7 https://example.nl";  // 4 bytes, a space, 18 bytes
  auto facet = [](int start, int end) {
    return json::array{json::object{
        {"index", json::object{{"byteStart", start}, {"byteEnd", end}}},
        {"features", json::array{json::object{{"$type", "app.bsky.richtext.facet#link"}, {"uri", "https://example.nl"}}}}}};
  };
  auto inside = create(token, record(text, {{"facets", facet(2, 23)}}), "3lbcdefghij22");
  EXPECT_EQ(inside->status, 400);
  EXPECT_NE(message_of(inside).find("bytes 2..23 are not whole characters"), std::string::npos) << inside->body;
  EXPECT_EQ(create(token, record(text, {{"facets", facet(5, 24)}}), "3lbcdefghij22")->status, 400);
  EXPECT_EQ(create(token, record(text, {{"facets", facet(5, 5)}}), "3lbcdefghij22")->status, 400);
  auto no_uri = create(token,
                       record(text, {{"facets", json::array{json::object{
                                                    {"index", json::object{{"byteStart", 5}, {"byteEnd", 23}}},
                                                    {"features", json::array{json::object{
                                                                     {"$type", "app.bsky.richtext.facet#link"},
                                                                     {"uri", "not a uri"}}}}}}}}),
                       "3lbcdefghij22");
  EXPECT_EQ(no_uri->status, 400);
  EXPECT_EQ(create(token, record(text, {{"facets", facet(5, 23)}}), "3lbcdefghij22")->status, 200);
}

// app.bsky.feed.post: createdAt is a datetime (atproto.com/specs/lexicon:
// RFC 3339 with a time zone), langs at most 3 language tags, the record key
// a TID (atproto.com/specs/tid), $type the collection.
TEST_F(BlueskySandboxTest, CreatedAtLangsKeyAndTypeAreValidated) {
  const std::string token = access();
  json::object no_zone = record("a");
  no_zone["createdAt"] = "2027-01-15T08:00:00";
  EXPECT_EQ(message_of(create(token, no_zone)),
            "Invalid app.bsky.feed.post record: Record/createdAt must be an valid atproto datetime (both RFC-3339 and "
            "ISO-8601)");
  json::object offset = record("a");
  offset["createdAt"] = "2027-01-15T09:00:00+01:00";
  EXPECT_EQ(create(token, offset, "3lbcdefghij22")->status, 200);
  EXPECT_EQ(create(token, record("b", {{"langs", json::array{"nl", "en", "de", "fr"}}}), "3lbcdefghij23")->status, 400);
  EXPECT_EQ(create(token, record("b", {{"langs", json::array{"not a tag"}}}), "3lbcdefghij23")->status, 400);
  auto key = create(token, record("b"), "self");
  EXPECT_EQ(key->status, 400);
  EXPECT_EQ(message_of(key), "Invalid record key for app.bsky.feed.post: must be a valid TID");
  EXPECT_EQ(create(token, record("b"), "klbcdefghij22")->status, 400);  // top bit set
  json::object like = record("b");
  like["$type"] = "app.bsky.feed.like";
  EXPECT_EQ(create(token, like, "3lbcdefghij23")->status, 400);
  auto generated = create(token, record("no key"), "");
  ASSERT_EQ(generated->status, 200);  // the PDS picks a TID
  EXPECT_EQ(std::string(body_of(generated).at("uri").as_string()).size(),
            std::string("at://") .size() + std::string(kDid).size() + std::string("/app.bsky.feed.post/").size() + 13);
}

// createRecord on someone else's repo: 401 (the reference PDS's
// AuthRequiredError when the repo's DID is not the token's).
TEST_F(BlueskySandboxTest, ATokenWritesOnlyItsOwnRepo) {
  auto other = create(access(), record("a"), "3lbcdefghij22", kOtherDid);
  EXPECT_EQ(other->status, 401);
  EXPECT_EQ(create(access(), record("a"), "3lbcdefghij22", kHandle)->status, 200);  // the handle names it too
}

// A create at a key that is taken: 500 InternalServerError from the
// reference PDS (atproto#3718); 400 RecordAlreadyExists with the lexicon
// error under review (atproto pull 4728). Either way the first record stays,
// alone.
TEST_F(BlueskySandboxTest, ATakenRecordKeyIsRefusedAsThePdsDoes) {
  const std::string token = access();
  ASSERT_EQ(create(token, record("first"))->status, 200);
  auto again = create(token, record("second"));
  EXPECT_EQ(again->status, 500);
  EXPECT_EQ(error_of(again), "InternalServerError");
  EXPECT_EQ(message_of(again), "Internal Server Error");
  start([](BlueskySandboxConfig& c) { c.duplicate_rkey = "record_already_exists"; });
  const std::string token2 = access();
  ASSERT_EQ(create(token2, record("first"))->status, 200);
  auto named = create(token2, record("second"));
  EXPECT_EQ(named->status, 400);
  EXPECT_EQ(error_of(named), "RecordAlreadyExists");
  EXPECT_EQ(message_of(named), "Record already exists: app.bsky.feed.post/3lbcdefghij22");
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].text, "first");
}

// com.atproto.repo.getRecord: public; {uri, cid, value} or 400
// RecordNotFound "Could not locate record: AT-URI".
TEST_F(BlueskySandboxTest, GetRecordFindsTheRecordOrSaysRecordNotFound) {
  ASSERT_EQ(create(access(), record("kept"))->status, 200);
  auto found = client_->Get(
      "/xrpc/com.atproto.repo.getRecord?repo=herald-test.bsky.social&collection=app.bsky.feed.post&rkey=3lbcdefghij22");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->status, 200);
  EXPECT_EQ(body_of(found).at("uri").as_string(), std::string("at://") + kDid + "/app.bsky.feed.post/3lbcdefghij22");
  EXPECT_EQ(body_of(found).at("value").at("text").as_string(), "kept");
  auto missing = client_->Get((std::string("/xrpc/com.atproto.repo.getRecord?repo=") + kDid +
                               "&collection=app.bsky.feed.post&rkey=3lbcdefghij23").c_str());
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(error_of(missing), "RecordNotFound");
  EXPECT_EQ(message_of(missing), std::string("Could not locate record: at://") + kDid + "/app.bsky.feed.post/3lbcdefghij23");
}

// com.atproto.repo.uploadBlob: the bytes with their Content-Type answer a
// blob reference (CIDv1, raw codec: "bafkrei..."), the type sniffed from the
// bytes; a body over the limit is 413 PayloadTooLarge; without a token it is 401.
TEST_F(BlueskySandboxTest, UploadBlobAnswersABlobReference) {
  const std::string token = access();
  const std::string bytes = png(5000);
  auto res = upload(token, bytes, "image/jpeg");  // declared wrong: the PDS sniffs
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json::object blob = body_of(res).at("blob").as_object();
  EXPECT_EQ(blob.at("$type").as_string(), "blob");
  EXPECT_EQ(blob.at("ref").at("$link").as_string(), BlueskySandbox::blob_cid(bytes));
  EXPECT_TRUE(blob.at("ref").at("$link").as_string().starts_with("bafkrei"));
  EXPECT_EQ(blob.at("mimeType").as_string(), "image/png");
  EXPECT_EQ(blob.at("size").as_int64(), 5000);
  auto big = upload(token, png(1'000'001));
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(error_of(big), "PayloadTooLarge");
  EXPECT_EQ(upload(token, png(1'000'000))->status, 200);
  EXPECT_EQ(upload("", bytes)->status, 401);
}

// app.bsky.embed.images: at most 4, each with alt and an uploaded blob of
// image/*; a blob the account never uploaded is 400 BlobNotFound, one
// referenced with another type InvalidMimeType (the PDS's blob transactor).
TEST_F(BlueskySandboxTest, ImageEmbedsNeedUploadedBlobsAndAlt) {
  const std::string token = access();
  const json::object blob = body_of(upload(token, png(3000))).at("blob").as_object();
  auto images = [&](int n, bool alt = true, json::object b = {}) {
    json::array list;
    for (int i = 0; i < n; ++i) {
      json::object image{{"image", b.empty() ? blob : b}, {"aspectRatio", json::object{{"width", 16}, {"height", 8}}}};
      if (alt) image["alt"] = "a tulip " + std::to_string(i);
      list.push_back(image);
    }
    return json::object{{"embed", json::object{{"$type", "app.bsky.embed.images"}, {"images", list}}}};
  };
  EXPECT_EQ(message_of(create(token, record("five", images(5)))),
            "Invalid app.bsky.feed.post record: Record/embed/images must not have more than 4 elements");
  EXPECT_EQ(message_of(create(token, record("no alt", images(1, false)))),
            "Invalid app.bsky.feed.post record: Record/embed/images/0 must have the property \"alt\"");
  json::object unknown = blob;
  unknown["ref"] = json::object{{"$link", BlueskySandbox::blob_cid("never uploaded")}};
  auto missing = create(token, record("missing", images(1, true, unknown)));
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(error_of(missing), "BlobNotFound");
  json::object retyped = blob;
  retyped["mimeType"] = "image/jpeg";
  EXPECT_EQ(error_of(create(token, record("retyped", images(1, true, retyped)))), "InvalidMimeType");
  auto posted = create(token, record("four tulips", images(4)));
  ASSERT_EQ(posted->status, 200) << posted->body;
  const auto created = sandbox_->creates().at(0);
  EXPECT_EQ(created.fields.at("embed"), "app.bsky.embed.images");
  EXPECT_EQ(json::parse(created.fields.at("alts")), (json::array{"a tulip 0", "a tulip 1", "a tulip 2", "a tulip 3"}));
  ASSERT_EQ(created.media_ids.size(), 4u);
  const std::string link(blob.at("ref").at("$link").as_string());
  EXPECT_EQ(created.media_ids[0], link);
  EXPECT_EQ(created.fields.at("blob:" + link), "3000 bytes image/png fnv1a64 " + fnv1a64_hex(png(3000)));
  EXPECT_EQ(created.fields.at("aspectRatio:" + link), "16x8");
  // Another account cannot use this account's blob.
  const std::string other(login(kOtherHandle, kOtherPassword).at("accessJwt").as_string());
  EXPECT_EQ(error_of(create(other, record("borrowed", images(1)), "3lbcdefghij22", kOtherDid)), "BlobNotFound");
}

// app.bsky.embed.external: external {uri, title, description} required, a
// thumb blob of at most 1,000,000 bytes; the record shows the card.
TEST_F(BlueskySandboxTest, ExternalEmbedIsTheLinkCard) {
  const std::string token = access();
  const json::object thumb = body_of(upload(token, png(2000))).at("blob").as_object();
  auto card = [&](json::object external) {
    return json::object{{"embed", json::object{{"$type", "app.bsky.embed.external"}, {"external", external}}}};
  };
  EXPECT_EQ(message_of(create(token, record("no title", card({{"uri", "https://example.nl"}, {"description", ""}})))),
            "Invalid app.bsky.feed.post record: Record/embed/external must have the property \"title\"");
  auto video = create(token, record("video", {{"embed", json::object{{"$type", "app.bsky.embed.video"}}}}));
  EXPECT_EQ(video->status, 400);
  auto posted = create(token, record("card", card({{"uri", "https://example.nl/spring"},
                                                   {"title", "Spring"},
                                                   {"description", "Tulips"},
                                                   {"thumb", thumb}})));
  ASSERT_EQ(posted->status, 200) << posted->body;
  const auto created = sandbox_->creates().at(0);
  EXPECT_EQ(created.fields.at("embed"), "app.bsky.embed.external");
  EXPECT_EQ(created.fields.at("card_uri"), "https://example.nl/spring");
  EXPECT_EQ(created.fields.at("card_title"), "Spring");
  EXPECT_EQ(created.fields.at("card_description"), "Tulips");
  EXPECT_EQ(created.fields.at("card_thumb"), thumb.at("ref").at("$link").as_string());
  EXPECT_TRUE(created.media_ids.empty());
}

// docs.bsky.app "Rate Limits": createSession is limited per account (here
// 2 per window), answered 429 RateLimitExceeded with RateLimit-Reset at the
// window's end in Unix seconds; a new window lets it through again.
TEST_F(BlueskySandboxTest, CreateSessionIsRateLimitedWithRateLimitHeaders) {
  start([](BlueskySandboxConfig& c) {
    c.session_limit = 2;
    c.session_window_seconds = 300;
  });
  const std::string body = R"({"identifier":"herald-test.bsky.social","password":"FAKE-test-app-pass-word"})";
  auto first = post("com.atproto.server.createSession", body);
  EXPECT_EQ(first->get_header_value("RateLimit-Limit"), "2");
  EXPECT_EQ(first->get_header_value("RateLimit-Remaining"), "1");
  EXPECT_EQ(first->get_header_value("RateLimit-Policy"), "2;w=300");
  EXPECT_EQ(post("com.atproto.server.createSession", body)->status, 200);
  auto limited = post("com.atproto.server.createSession", body);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(error_of(limited), "RateLimitExceeded");
  EXPECT_EQ(limited->get_header_value("RateLimit-Reset"), std::to_string(kStart / 1000 + 300));
  now_ms_ += 300'000;
  EXPECT_EQ(post("com.atproto.server.createSession", body)->status, 200);
}

// The same for record writes: 3 points a create (here 6 an hour).
TEST_F(BlueskySandboxTest, RecordWritesAreLimitedInPoints) {
  start([](BlueskySandboxConfig& c) { c.write_points_per_hour = 6; });
  const std::string token = access();
  EXPECT_EQ(create(token, record("1"), "3lbcdefghij22")->status, 200);
  EXPECT_EQ(create(token, record("2"), "3lbcdefghij23")->status, 200);
  auto third = create(token, record("3"), "3lbcdefghij24");
  EXPECT_EQ(third->status, 429);
  EXPECT_EQ(third->get_header_value("RateLimit-Reset"), std::to_string(kStart / 1000 + 3600));
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

// Faults through the core: rate_limit (429 with RateLimit-Reset at
// reset_in), server_error (500), drop_after_create (the record is made,
// the answer never arrives), delay (held, then done).
TEST_F(BlueskySandboxTest, FaultsAct) {
  const std::string token = access();
  const std::string path = "POST /xrpc/com.atproto.repo.createRecord";
  sandbox_->add_fault({path, Sandbox::FaultMode::rate_limit, 1, 90, 0});
  auto limited = create(token, record("a"));
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("RateLimit-Reset"), std::to_string(kStart / 1000 + 90));
  sandbox_->add_fault({path, Sandbox::FaultMode::server_error, 1, 60, 0});
  EXPECT_EQ(create(token, record("a"))->status, 500);
  EXPECT_TRUE(sandbox_->creates().empty());
  sandbox_->add_fault({path, Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  EXPECT_FALSE(create(token, record("dropped")));
  EXPECT_EQ(sandbox_->creates().size(), 1u);
  sandbox_->add_fault({path, Sandbox::FaultMode::delay, 1, 60, 300});
  auto slow = create(token, record("slow"), "3lbcdefghij23");
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

// The test aid for link cards: a page whose og: tags the query names,
// escaped as HTML, and an image of a given size.
TEST_F(BlueskySandboxTest, ServesAPageWithOgTagsAndAnImage) {
  auto page = client_->Get("/bluesky-sandbox/page?title=Tulips%20%26%20more&description=D&image=/bluesky-sandbox/image.png");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find(R"(<meta property="og:title" content="Tulips &amp; more">)"), std::string::npos);
  EXPECT_NE(page->body.find(R"(<meta property="og:image" content="/bluesky-sandbox/image.png">)"), std::string::npos);
  auto image = client_->Get("/bluesky-sandbox/image.png?bytes=4321");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->body.size(), 4321u);
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
}

TEST(BlueskySandboxConfig, TheExampleHasAnAccountWithAFakePassword) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  ASSERT_EQ(config.bluesky.accounts.size(), 1u);
  EXPECT_EQ(config.bluesky.accounts[0].handle, "sandbox-herald.bsky.social");
  EXPECT_TRUE(config.bluesky.accounts[0].did.starts_with("did:plc:"));
  EXPECT_TRUE(config.bluesky.accounts[0].app_password.starts_with("FAKE-"));
  EXPECT_EQ(config.bluesky.access_jwt_seconds, 7200);
  EXPECT_EQ(config.bluesky.refresh_grace_seconds, 7200);
  EXPECT_EQ(config.bluesky.duplicate_rkey, "internal_server_error");
}

TEST(BlueskySandboxConfig, UnknownKeysAndBadValuesAreErrorsWithAPlace) {
  const std::string file = ::testing::TempDir() + "herald-bsky-sandbox-" + std::to_string(::getpid()) + ".yaml";
  auto load = [&](const std::string& text) -> std::string {
    std::ofstream(file) << text;
    try {
      load_sandbox_config(file);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "loaded";
  };
  EXPECT_EQ(load("bluesky:\n  acounts: []\n"), file + ":2:3: error: unknown key 'acounts'");
  EXPECT_EQ(load("bluesky:\n  duplicate_rkey: sometimes\n"),
            file + ":2:19: error: duplicate_rkey is internal_server_error or record_already_exists");
  EXPECT_EQ(load("bluesky:\n  accounts:\n    - {handle: a.bsky.social, did: 'x:y', app_password: p}\n"),
            file + ":3:36: error: did must be did:plc:... or did:web:...");
  EXPECT_EQ(load("bluesky:\n  accounts:\n    - {handle: a.bsky.social, did: 'did:plc:abc'}\n"),
            file + ":3:7: error: an account needs 'app_password'");
  std::remove(file.c_str());
}

// app.bsky.feed.getPosts (lexicons/app/bsky/feed/getPosts.json, defs.json
// #postView; docs.bsky.app/docs/api/app-bsky-feed-get-posts): the post views
// asked for, in order, with replyCount, repostCount, likeCount and
// quoteCount, here growing with the post's age; a post the AppView does not
// have (never made, or deleted) is left out, not an error. The PDS proxies
// the call for a signed-in account, so it wants an access JWT.
TEST_F(BlueskySandboxTest, GetPostsAnswersCountsThatGrowAndLeavesOutWhatIsGone) {
  const std::string token = access();
  auto made = create(token, record("Counted"), "3lbcdefghij22");
  ASSERT_EQ(made->status, 200) << made->body;
  auto other = create(token, record("Deleted"), "3lbcdefghij23");
  ASSERT_EQ(other->status, 200) << other->body;
  const std::string uri(body_of(made).at("uri").as_string());
  const std::string gone(body_of(other).at("uri").as_string());
  ASSERT_TRUE(sandbox_->delete_post("bluesky", gone));
  now_ms_ += 600'000;
  const std::string fresh = access();  // the first access JWT has expired by now
  const std::string target = "/xrpc/app.bsky.feed.getPosts?uris=" + percent_encode(gone) + "&uris=" +
                             percent_encode(uri) + "&uris=" +
                             percent_encode("at://" + std::string(kDid) + "/app.bsky.feed.post/3lbcdefghij99");
  auto res = client_->Get(target, httplib::Headers{{"Authorization", "Bearer " + fresh}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto posts = body_of(res).at("posts").as_array();
  ASSERT_EQ(posts.size(), 1u);
  const json::object& view = posts[0].as_object();
  EXPECT_EQ(view.at("uri").as_string(), uri);
  EXPECT_EQ(view.at("cid").as_string(), body_of(made).at("cid").as_string());
  EXPECT_EQ(view.at("author").at("did").as_string(), kDid);
  EXPECT_EQ(view.at("author").at("handle").as_string(), kHandle);
  EXPECT_EQ(view.at("record").at("text").as_string(), "Counted");
  EXPECT_EQ(view.at("indexedAt").as_string(), "2027-01-15T08:00:00.000Z");
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(view.at("replyCount").as_int64(), e.replies);
  EXPECT_EQ(view.at("repostCount").as_int64(), e.shares);
  EXPECT_EQ(view.at("likeCount").as_int64(), e.likes);
  EXPECT_EQ(view.at("quoteCount").as_int64(), e.quotes);
  // The same post by handle, an AT-URI form the lexicon allows.
  auto by_handle = client_->Get("/xrpc/app.bsky.feed.getPosts?uris=" +
                                    percent_encode("at://" + std::string(kHandle) + "/app.bsky.feed.post/3lbcdefghij22"),
                                httplib::Headers{{"Authorization", "Bearer " + fresh}});
  ASSERT_EQ(by_handle->status, 200);
  EXPECT_EQ(body_of(by_handle).at("posts").as_array().size(), 1u);
}

// getPosts.json: uris is required, at most 25; XRPC: AuthMissing without a
// token at the PDS.
TEST_F(BlueskySandboxTest, GetPostsChecksItsParametersAndTheToken) {
  const std::string token = access();
  const httplib::Headers auth{{"Authorization", "Bearer " + token}};
  auto none = client_->Get("/xrpc/app.bsky.feed.getPosts", auth);
  ASSERT_EQ(none->status, 400);
  EXPECT_EQ(error_of(none), "InvalidRequest");
  std::string many = "/xrpc/app.bsky.feed.getPosts?uris=x";
  for (int i = 0; i < 25; ++i) many += "&uris=x";
  EXPECT_EQ(client_->Get(many, auth)->status, 400);
  auto anonymous = client_->Get("/xrpc/app.bsky.feed.getPosts?uris=" +
                                percent_encode("at://" + std::string(kDid) + "/app.bsky.feed.post/3lbcdefghij22"));
  ASSERT_EQ(anonymous->status, 401);
  EXPECT_EQ(error_of(anonymous), "AuthMissing");
}

}  // namespace
}  // namespace herald
