// OAuth2Session with a scripted HttpClient: when it refreshes, what it sends,
// and that a rotated refresh token is stored before its access token is used.
#include "connectors/oauth2_session.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;

struct ScriptedHttp : HttpClient {
  std::deque<HttpResponse> answers;
  std::vector<HttpRequest> requests;
  std::vector<std::string>* log = nullptr;
  HttpResponse send(const HttpRequest& request) override {
    requests.push_back(request);
    if (log) log->push_back("http " + request.url);
    if (answers.empty()) {
      ADD_FAILURE() << "unexpected request to " << request.url;
      return HttpResponse{0, {}, {}, "no answer scripted"};
    }
    HttpResponse answer = answers.front();
    answers.pop_front();
    return answer;
  }
};

// Logs puts; can be told to fail them.
struct LoggingState : ConnectorState {
  MemoryConnectorState inner;
  std::vector<std::string>* log = nullptr;
  bool fail_puts = false;
  std::optional<std::string> get(const std::string& key) override { return inner.get(key); }
  void put(const std::string& key, const std::string& value) override {
    if (fail_puts) throw std::runtime_error("disk full");
    if (log) log->push_back("put " + key);
    inner.put(key, value);
  }
  void erase(const std::string& key) override { inner.erase(key); }
};

HttpResponse token_answer(const std::string& access, int expires_in, const std::string& refresh = {}) {
  std::string body = R"({"access_token":")" + access + R"(","expires_in":)" + std::to_string(expires_in) +
                     R"(,"token_type":"Bearer","scope":"https://www.googleapis.com/auth/youtube")";
  if (!refresh.empty()) body += R"(,"refresh_token":")" + refresh + R"(")";
  return HttpResponse{200, {}, body + "}", {}};
}

const Instant kStart = Instant{std::chrono::seconds{1'800'000'000}};
constexpr const char* kUrl = "https://oauth2.googleapis.com/token";
const std::string kKey = refresh_token_state_key("youtube");

class OAuth2SessionTest : public ::testing::Test {
 protected:
  OAuth2Session session(const std::string& file_token = "1//file-token") {
    return OAuth2Session(kUrl, "client.apps.googleusercontent.com", Secret("GOCSPX-client-secret"), Secret(file_token),
                         state_, kKey, http_, [this] { return now_; });
  }
  static std::string token_of(const std::variant<Secret, TokenError>& r) {
    if (const auto* e = std::get_if<TokenError>(&r)) {
      ADD_FAILURE() << e->error << ": " << e->description;
      return {};
    }
    return std::get<Secret>(r).reveal();
  }
  ScriptedHttp http_;
  LoggingState state_;
  Instant now_ = kStart;
};

TEST_F(OAuth2SessionTest, RefreshesOnFirstUseAndSendsTheGrant) {
  http_.answers.push_back(token_answer("ya29.first", 3599));
  auto s = session();
  EXPECT_EQ(token_of(s.access_token()), "ya29.first");
  ASSERT_EQ(http_.requests.size(), 1u);
  const HttpRequest& r = http_.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, kUrl);
  EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body,
            "grant_type=refresh_token&refresh_token=1%2F%2Ffile-token&client_id=client.apps.googleusercontent.com"
            "&client_secret=GOCSPX-client-secret");
}

TEST_F(OAuth2SessionTest, CachesUntilAMinuteBeforeExpiry) {
  http_.answers.push_back(token_answer("ya29.first", 3600));
  http_.answers.push_back(token_answer("ya29.second", 3600));
  auto s = session();
  EXPECT_EQ(token_of(s.access_token()), "ya29.first");
  now_ = kStart + 3600s - 61s;
  EXPECT_EQ(token_of(s.access_token()), "ya29.first");
  EXPECT_EQ(http_.requests.size(), 1u);
  now_ = kStart + 3600s - 60s;
  EXPECT_EQ(token_of(s.access_token()), "ya29.second");
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(OAuth2SessionTest, InvalidateForcesARefresh) {
  http_.answers.push_back(token_answer("ya29.first", 3600));
  http_.answers.push_back(token_answer("ya29.second", 3600));
  auto s = session();
  EXPECT_EQ(token_of(s.access_token()), "ya29.first");
  s.invalidate();
  EXPECT_EQ(token_of(s.access_token()), "ya29.second");
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(OAuth2SessionTest, RotatedTokenIsStoredBeforeTheAccessTokenIsHandedOut) {
  std::vector<std::string> log;
  http_.log = &log;
  state_.log = &log;
  http_.answers.push_back(token_answer("ya29.first", 3600, "1//rotated-1"));
  http_.answers.push_back(token_answer("ya29.second", 3600, "1//rotated-2"));
  auto s = session();
  auto token = s.access_token();
  log.push_back("use");
  EXPECT_EQ(token_of(token), "ya29.first");
  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[0], std::string("http ") + kUrl);
  EXPECT_EQ(log[1], "put " + kKey);
  EXPECT_EQ(log.back(), "use");
  EXPECT_EQ(state_.get(kKey), "1//rotated-1");

  // The next refresh spends the rotated token, not the file's.
  s.invalidate();
  EXPECT_EQ(token_of(s.access_token()), "ya29.second");
  EXPECT_NE(http_.requests[1].body.find("refresh_token=1%2F%2Frotated-1&"), std::string::npos)
      << http_.requests[1].body;
  EXPECT_EQ(state_.get(kKey), "1//rotated-2");
}

TEST_F(OAuth2SessionTest, ANewSessionStartsFromTheStoredRotation) {
  http_.answers.push_back(token_answer("ya29.first", 3600, "1//rotated-1"));
  http_.answers.push_back(token_answer("ya29.after-restart", 3600));
  {
    auto s = session();
    EXPECT_EQ(token_of(s.access_token()), "ya29.first");
  }
  auto restarted = session();
  EXPECT_EQ(token_of(restarted.access_token()), "ya29.after-restart");
  EXPECT_NE(http_.requests[1].body.find("refresh_token=1%2F%2Frotated-1&"), std::string::npos);
}

TEST_F(OAuth2SessionTest, AReplacedCredentialFileWinsOverAStaleRotation) {
  http_.answers.push_back(token_answer("ya29.first", 3600, "1//rotated-1"));
  http_.answers.push_back(token_answer("ya29.new-grant", 3600));
  {
    auto s = session("1//file-token");
    token_of(s.access_token());
  }
  auto s = session("1//authorized-again");
  EXPECT_EQ(token_of(s.access_token()), "ya29.new-grant");
  EXPECT_NE(http_.requests[1].body.find("refresh_token=1%2F%2Fauthorized-again&"), std::string::npos);
}

TEST_F(OAuth2SessionTest, UnstorableRotationWithholdsTheAccessToken) {
  state_.fail_puts = true;
  http_.answers.push_back(token_answer("ya29.unusable", 3600, "1//rotated-1"));
  http_.answers.push_back(token_answer("ya29.second", 3600, "1//rotated-2"));
  auto s = session();
  auto first = s.access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(first));
  EXPECT_TRUE(std::get<TokenError>(first).retryable);
  EXPECT_EQ(std::get<TokenError>(first).description.find("ya29"), std::string::npos);
  // Once the state works again, the newest (unsaved) token is the one spent.
  state_.fail_puts = false;
  EXPECT_EQ(token_of(s.access_token()), "ya29.second");
  EXPECT_NE(http_.requests[1].body.find("refresh_token=1%2F%2Frotated-1&"), std::string::npos);
  EXPECT_EQ(state_.get(kKey), "1//rotated-2");
}

TEST_F(OAuth2SessionTest, InvalidGrantIsAnAuthFailureNamingNoSecret) {
  http_.answers.push_back(HttpResponse{
      400, {}, R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})", {}});
  auto s = session();
  auto r = s.access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(r));
  const TokenError& e = std::get<TokenError>(r);
  EXPECT_TRUE(e.auth_failed);
  const std::string message = describe_token_error(e, "YouTube", "youtube");
  EXPECT_NE(message.find("refresh token rejected (invalid_grant: Token has been expired or revoked.)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("credential 'youtube'"), std::string::npos) << message;
  EXPECT_EQ(message.find("file-token"), std::string::npos) << message;
  EXPECT_EQ(message.find("GOCSPX"), std::string::npos) << message;
}

TEST_F(OAuth2SessionTest, TransportErrorIsRetryable) {
  http_.answers.push_back(HttpResponse{0, {}, {}, "Connection (POST https://oauth2.googleapis.com:443)"});
  auto s = session();
  auto r = s.access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(r));
  EXPECT_TRUE(std::get<TokenError>(r).retryable);
  EXPECT_FALSE(std::get<TokenError>(r).auth_failed);
  EXPECT_NE(describe_token_error(std::get<TokenError>(r), "YouTube", "youtube").find("token refresh failed"),
            std::string::npos);
}

TEST_F(OAuth2SessionTest, ServerErrorIsRetryable) {
  http_.answers.push_back(HttpResponse{503, {}, "<html>unavailable</html>", {}});
  auto s = session();
  auto r = s.access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(r));
  EXPECT_TRUE(std::get<TokenError>(r).retryable);
}

}  // namespace
}  // namespace herald
