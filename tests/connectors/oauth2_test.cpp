#include "connectors/oauth2.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

// By value: the tests pass temporaries.
TokenResponse token(const std::variant<TokenResponse, TokenError>& result) {
  if (const auto* e = std::get_if<TokenError>(&result)) {
    ADD_FAILURE() << e->error << ": " << e->description;
    return {};
  }
  return std::get<TokenResponse>(result);
}

TokenError error(const std::variant<TokenResponse, TokenError>& result) {
  EXPECT_TRUE(std::holds_alternative<TokenError>(result));
  return std::holds_alternative<TokenError>(result) ? std::get<TokenError>(result) : TokenError{};
}

TEST(OAuth2Test, RefreshBodyForAPublicClient) {
  EXPECT_EQ(refresh_request_body("x-client", Secret("bWRjQ3-token")),
            "grant_type=refresh_token&refresh_token=bWRjQ3-token&client_id=x-client");
}

TEST(OAuth2Test, RefreshBodyWithAClientSecretIsFormEncoded) {
  // Google refresh tokens start "1//"; the slashes must be escaped in a form body.
  EXPECT_EQ(refresh_request_body("123.apps.googleusercontent.com", Secret("1//0g a+b"), Secret("GOCSPX-s&c=t")),
            "grant_type=refresh_token&refresh_token=1%2F%2F0g%20a%2Bb&client_id=123.apps.googleusercontent.com"
            "&client_secret=GOCSPX-s%26c%3Dt");
}

TEST(OAuth2Test, BasicClientAuthorizationEncodesBothHalves) {
  EXPECT_EQ(basic_client_authorization("client", Secret("secret")), "Basic Y2xpZW50OnNlY3JldA==");
  // "my client" and "s/cr=t" are form-encoded before joining (RFC 6749 2.3.1).
  EXPECT_EQ(basic_client_authorization("my client", Secret("s/cr=t")), "Basic bXklMjBjbGllbnQ6cyUyRmNyJTNEdA==");
}

TEST(OAuth2Test, ParsesAGoogleAnswerWithoutRotation) {
  auto result = parse_token_response(200, R"({"access_token": "ya29.a0AfH6", "expires_in": 3599,
      "scope": "https://www.googleapis.com/auth/youtube", "token_type": "Bearer"})");
  TokenResponse t = token(result);
  EXPECT_EQ(t.access_token.reveal(), "ya29.a0AfH6");
  EXPECT_EQ(t.expires_in, std::chrono::seconds(3599));
  EXPECT_FALSE(t.refresh_token.has_value());
  EXPECT_EQ(t.token_type, "Bearer");
  EXPECT_EQ(t.scope, "https://www.googleapis.com/auth/youtube");
}

TEST(OAuth2Test, ParsesAnXAnswerWithARotatedRefreshToken) {
  auto result = parse_token_response(200, R"({"token_type":"bearer","expires_in":7200,"access_token":"at-1",
      "scope":"tweet.write users.read offline.access","refresh_token":"rt-2"})");
  TokenResponse t = token(result);
  EXPECT_EQ(t.access_token.reveal(), "at-1");
  EXPECT_EQ(t.expires_in, std::chrono::seconds(7200));
  ASSERT_TRUE(t.refresh_token.has_value());
  EXPECT_EQ(t.refresh_token->reveal(), "rt-2");
  EXPECT_EQ(t.scope, "tweet.write users.read offline.access");
}

TEST(OAuth2Test, ExpiresInMayBeAStringOrAbsent) {
  EXPECT_EQ(token(parse_token_response(200, R"({"access_token":"a","expires_in":"3600"})")).expires_in,
            std::chrono::seconds(3600));
  TokenResponse t = token(parse_token_response(200, R"({"access_token":"a","refresh_token":""})"));
  EXPECT_FALSE(t.expires_in.has_value());
  EXPECT_FALSE(t.refresh_token.has_value());  // an empty one is no rotation
  EXPECT_EQ(error(parse_token_response(200, R"({"access_token":"a","expires_in":-5})")).error, "invalid_response");
  EXPECT_EQ(error(parse_token_response(200, R"({"access_token":"a","expires_in":"soon"})")).error, "invalid_response");
}

TEST(OAuth2Test, InvalidGrantIsAnAuthFailureWithTheServersWords) {
  TokenError e = error(
      parse_token_response(400, R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})"));
  EXPECT_EQ(e.error, "invalid_grant");
  EXPECT_EQ(e.description, "Token has been expired or revoked.");
  EXPECT_TRUE(e.auth_failed);
  EXPECT_FALSE(e.retryable);
}

TEST(OAuth2Test, ClientErrorsAreAuthFailuresOtherCodesAreNot) {
  EXPECT_TRUE(error(parse_token_response(401, R"({"error":"invalid_client"})")).auth_failed);
  EXPECT_TRUE(error(parse_token_response(400, R"({"error":"unauthorized_client"})")).auth_failed);
  TokenError e = error(parse_token_response(400, R"({"error":"invalid_request","error_description":"x"})"));
  EXPECT_FALSE(e.auth_failed);
  EXPECT_FALSE(e.retryable);
  EXPECT_TRUE(error(parse_token_response(503, R"({"error":"temporarily_unavailable"})")).retryable);
  // An error object wins even under a 200.
  EXPECT_EQ(error(parse_token_response(200, R"({"error":"invalid_grant"})")).error, "invalid_grant");
}

TEST(OAuth2Test, ServerTroubleIsRetryableAndDoesNotQuoteTheBody) {
  TokenError e = error(parse_token_response(503, "<html>upstream down, token=ya29.secret</html>"));
  EXPECT_TRUE(e.retryable);
  EXPECT_FALSE(e.auth_failed);
  EXPECT_EQ(e.description.find("ya29"), std::string::npos) << e.description;
  EXPECT_TRUE(error(parse_token_response(429, "")).retryable);
  TokenError plain = error(parse_token_response(401, "{}"));
  EXPECT_EQ(plain.error, "http_401");
  EXPECT_TRUE(plain.auth_failed);
}

TEST(OAuth2Test, AMalformedSuccessIsAnErrorThatHoldsNoToken) {
  // Truncated JSON still carrying a token: the error must not echo it.
  TokenError cut = error(parse_token_response(200, R"({"access_token":"ya29.secret","expires_in":)"));
  EXPECT_EQ(cut.error, "invalid_response");
  EXPECT_EQ(cut.description.find("ya29"), std::string::npos) << cut.description;
  EXPECT_FALSE(cut.retryable);
  EXPECT_EQ(error(parse_token_response(200, R"(["ya29.secret"])")).error, "invalid_response");
  EXPECT_EQ(error(parse_token_response(200, R"({"token_type":"Bearer"})")).error, "invalid_response");
  TokenError mac = error(parse_token_response(200, R"({"access_token":"ya29.secret","token_type":"mac"})"));
  EXPECT_EQ(mac.error, "invalid_response");
  EXPECT_EQ(mac.description.find("ya29"), std::string::npos) << mac.description;
}

}  // namespace
}  // namespace herald
