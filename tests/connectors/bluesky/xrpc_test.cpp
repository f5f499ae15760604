// Reading XRPC answers (connectors/bluesky/xrpc): the error body of
// atproto.com/specs/xrpc, the RateLimit-Reset header of docs.bsky.app "Rate
// Limits", and a session JWT's exp.
#include "connectors/bluesky/xrpc.hpp"

#include "connectors/json_fields.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {
using namespace std::chrono_literals;

const Instant kNow{std::chrono::seconds{1'800'000'000}};

HttpResponse answer(int status, std::string body, std::multimap<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(Xrpc, ReadsTheErrorBody) {
  const auto e = xrpc_error(answer(400, R"({"error":"RecordNotFound","message":"Could not locate record: at://x"})"));
  EXPECT_EQ(e.error, "RecordNotFound");
  EXPECT_EQ(e.message, "Could not locate record: at://x");
  EXPECT_TRUE(xrpc_error(answer(502, "<html>Bad Gateway</html>")).error.empty());
  EXPECT_EQ(describe_xrpc(answer(400, R"({"error":"InvalidRequest","message":"Invalid\nrecord"})")),
            "Bluesky: Invalid record (HTTP 400, InvalidRequest)");
  EXPECT_EQ(describe_xrpc(answer(502, "")), "Bluesky: no error message (HTTP 502)");
}

TEST(Xrpc, WaitsUntilRateLimitResetElseRetryAfter) {
  EXPECT_EQ(bluesky_wait(answer(429, "", {{"ratelimit-reset", "1800000090"}}), kNow), 90s);
  EXPECT_EQ(bluesky_wait(answer(429, "", {{"ratelimit-reset", "1700000000"}}), kNow), 0s);
  EXPECT_EQ(bluesky_wait(answer(429, "", {{"retry-after", "30"}}), kNow), 30s);
  EXPECT_EQ(bluesky_wait(answer(429, "", {{"ratelimit-reset", "soon"}}), kNow), std::nullopt);
}

TEST(Xrpc, ClassifiesEachAnswer) {
  EXPECT_FALSE(classify_xrpc(answer(200, "{}"), kNow));
  HttpResponse lost;
  lost.error = "read timeout";
  EXPECT_TRUE(std::holds_alternative<RetryLater>(*classify_xrpc(lost, kNow)));
  auto limited = classify_xrpc(
      answer(429, R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})", {{"ratelimit-reset", "1800000060"}}),
      kNow);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(*limited));
  EXPECT_EQ(std::get<RetryLater>(*limited).after, 60s);
  EXPECT_TRUE(std::holds_alternative<RetryLater>(*classify_xrpc(answer(500, R"({"error":"InternalServerError"})"), kNow)));
  EXPECT_TRUE(std::holds_alternative<AuthFailed>(
      *classify_xrpc(answer(401, R"({"error":"AuthenticationRequired","message":"Authentication Required"})"), kNow)));
  EXPECT_TRUE(std::holds_alternative<AuthFailed>(
      *classify_xrpc(answer(400, R"({"error":"ExpiredToken","message":"Token has expired"})"), kNow)));
  auto invalid = classify_xrpc(answer(400, R"({"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record"})"), kNow);
  ASSERT_TRUE(std::holds_alternative<Failed>(*invalid));
  EXPECT_EQ(message_of(*invalid), "Bluesky: Invalid app.bsky.feed.post record (HTTP 400, InvalidRequest)");
  EXPECT_TRUE(std::holds_alternative<Failed>(*classify_xrpc(answer(413, R"({"error":"PayloadTooLarge"})"), kNow)));
}

TEST(Xrpc, ATokenIsRefusedByExpiredTokenOrInvalidToken) {
  EXPECT_TRUE(token_refused(answer(400, R"({"error":"ExpiredToken","message":"Token has expired"})")));
  EXPECT_TRUE(token_refused(answer(400, R"({"error":"InvalidToken","message":"Token could not be verified"})")));
  EXPECT_TRUE(token_refused(answer(401, R"({"error":"ExpiredToken"})")));
  EXPECT_FALSE(token_refused(answer(400, R"({"error":"InvalidRequest"})")));
  EXPECT_FALSE(token_refused(answer(401, R"({"error":"AuthenticationRequired"})")));
}

// A JWT's payload is base64url JSON (RFC 7519); exp is NumericDate seconds.
TEST(Xrpc, ReadsTheExpiryOfAJwt) {
  // {"alg":"HS256","typ":"at+jwt"} . {"sub":"did:plc:x","exp":1800000600} . sig
  EXPECT_EQ(jwt_expiry("eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJkaWQ6cGxjOngiLCJleHAiOjE4MDAwMDA2MDB9.c2ln"),
            kNow + 600s);
  EXPECT_EQ(jwt_expiry("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"), std::nullopt);  // no exp
  EXPECT_EQ(jwt_expiry("not-a-jwt"), std::nullopt);
  EXPECT_EQ(jwt_expiry("a.!!!.b"), std::nullopt);
}

}  // namespace
}  // namespace herald
