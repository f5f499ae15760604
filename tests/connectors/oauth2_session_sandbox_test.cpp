// OAuth2Session against the sandbox's Google token endpoint with refresh-token
// rotation on: the rotated token is what survives a restart.
#include "connectors/oauth2_session.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kClientId = "rot-client.apps.googleusercontent.com";
constexpr const char* kClientSecret = "GOCSPX-rot-secret";
constexpr const char* kFileToken = "1//file-refresh-token";

class OAuth2SessionSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.youtube.rotate_refresh_tokens = true;
    config.youtube.clients.push_back({kClientId, kClientSecret});
    YoutubeSandboxConfig::Channel channel;
    channel.id = "UCrotation";
    channel.client_id = kClientId;
    channel.refresh_tokens = {kFileToken};
    config.youtube.channels.push_back(channel);
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    url_ = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/token";
  }
  void TearDown() override { sandbox_->stop(); }

  std::unique_ptr<OAuth2Session> session(ConnectorState& state, const char* secret = kClientSecret) {
    return std::make_unique<OAuth2Session>(
        url_, kClientId, Secret(secret), Secret(kFileToken), state, refresh_token_state_key("youtube"), http_,
        [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); });
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::string url_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
};

TEST_F(OAuth2SessionSandboxTest, RotatedTokenIsPersistedAndUsedAfterARestart) {
  MemoryConnectorState state;
  auto first = session(state);
  auto token = first->access_token();
  ASSERT_TRUE(std::holds_alternative<Secret>(token));
  EXPECT_TRUE(std::get<Secret>(token).reveal().starts_with("ya29."));
  auto stored = state.get(refresh_token_state_key("youtube"));
  ASSERT_TRUE(stored);
  EXPECT_NE(*stored, kFileToken);

  // The file's token is dead now: a session without the stored rotation fails.
  MemoryConnectorState empty;
  auto stale = session(empty);
  auto rejected = stale->access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(rejected));
  EXPECT_EQ(std::get<TokenError>(rejected).error, "invalid_grant");
  EXPECT_TRUE(std::get<TokenError>(rejected).auth_failed);

  // A new session (a restart) with the same file token and state works, and
  // rotates again.
  first.reset();
  auto restarted = session(state);
  ASSERT_TRUE(std::holds_alternative<Secret>(restarted->access_token()));
  EXPECT_NE(state.get(refresh_token_state_key("youtube")), stored);
}

TEST_F(OAuth2SessionSandboxTest, WrongClientSecretIsAnAuthFailureNamingNoSecret) {
  MemoryConnectorState state;
  auto s = session(state, "GOCSPX-wrong-secret");
  auto r = s->access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(r));
  const TokenError& e = std::get<TokenError>(r);
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_TRUE(e.auth_failed);
  const std::string message = describe_token_error(e, "YouTube", "youtube");
  EXPECT_NE(message.find("OAuth client rejected"), std::string::npos) << message;
  for (const char* secret : {"GOCSPX-wrong-secret", kClientSecret, kFileToken})
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
}

TEST_F(OAuth2SessionSandboxTest, TokenEndpointDownIsRetryable) {
  MemoryConnectorState state;
  sandbox_->add_fault({"/token", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto s = session(state);
  auto r = s->access_token();
  ASSERT_TRUE(std::holds_alternative<TokenError>(r));
  EXPECT_TRUE(std::get<TokenError>(r).retryable);
  // Nothing was rotated, so the file token still works.
  ASSERT_TRUE(std::holds_alternative<Secret>(s->access_token()));
}

}  // namespace
}  // namespace herald
