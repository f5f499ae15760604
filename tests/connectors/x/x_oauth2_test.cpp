// The x connector with OAuth 2.0 user context against the in-process sandbox,
// over real HTTP on loopback: Bearer tokens on posts, lookups and media, the
// refresh-token rotation X does on every refresh (persisted before use, so a
// restart carries on), the refresh after a 401, and token errors as results.
#include "connectors/json_fields.hpp"
#include "connectors/x/x_connector.hpp"

#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kClientId = "x-oauth2-client";
constexpr const char* kClientSecret = "x-client-secret-SECRET";
constexpr const char* kPublicClientId = "x-public-client";
constexpr const char* kFileToken = "x-file-refresh-SECRET";
constexpr const char* kPublicFileToken = "x-public-refresh-SECRET";
const std::int64_t kStartMs = 1'900'000'000'000;

XSandboxConfig::Account test_account() {
  XSandboxConfig::Account account{"ck-test", "cs-test", "1001-at-test", "ats-test", "1001", "herald_test"};
  account.oauth2_client_id = kClientId;
  account.refresh_tokens = {kFileToken};
  return account;
}

XCredentials oauth2_credentials(std::string client_id = kClientId, std::optional<Secret> secret = Secret(kClientSecret),
                                std::string refresh_token = kFileToken) {
  XCredentials credentials;
  credentials.user_id = "1001";
  credentials.oauth2 = XOAuth2Credentials{std::move(client_id), std::move(secret), Secret(std::move(refresh_token))};
  return credentials;
}

PublishRequest request_for(std::string text, std::vector<fs::path> media = {}) {
  PublishRequest request;
  request.key = "post@x";
  request.post = "post";
  request.channel = "x";
  request.composed.text = std::move(text);
  request.composed.media = std::move(media);
  return request;
}

// The real client, noting each request's path and answer status (never a
// header or body: those carry the secrets).
struct RecordingHttp : HttpClient {
  HttplibClient inner{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  std::mutex mutex;
  std::vector<std::pair<std::string, int>> seen;  // path, status

  HttpResponse send(const HttpRequest& request) override {
    HttpResponse response = inner.send(request);
    std::string path = request.url.substr(request.url.find('/', request.url.find("//") + 2));
    path = path.substr(0, path.find('?'));
    std::lock_guard lock(mutex);
    seen.emplace_back(path, response.status);
    return response;
  }
  int count(const std::string& path) {
    std::lock_guard lock(mutex);
    return static_cast<int>(std::count_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == path; }));
  }
  std::vector<int> statuses(const std::string& path) {
    std::lock_guard lock(mutex);
    std::vector<int> out;
    for (const auto& [p, status] : seen)
      if (p == path) out.push_back(status);
    return out;
  }
};

class XOAuth2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.x.accounts.push_back(test_account());
    config.x.oauth2_clients = {{kClientId, kClientSecret}, {kPublicClientId}};
    XSandboxConfig::Account other{"ck-2", "cs-2", "2002-at", "ats-2", "2002", "public_user"};
    other.oauth2_client_id = kPublicClientId;
    other.refresh_tokens = {kPublicFileToken};
    config.x.accounts.push_back(other);
    config.now_ms = [this] { return sandbox_now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "x";
    channel_.account = "herald_test";
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/";
  }
  void TearDown() override { sandbox_->stop(); }

  // The connector's clock stands still at the sandbox's start: only the
  // sandbox's moves, so an access token can die "early" on the server.
  XConnector connector(ConnectorState& state, XCredentials credentials = oauth2_credentials()) {
    return XConnector(
        channel_, std::move(credentials), http_, state, [this] { return "nonce" + std::to_string(++nonce_); },
        [] { return Instant{std::chrono::seconds{kStartMs / 1000}}; }, [](std::chrono::seconds) {});
  }

  std::string stored_token(ConnectorState& state) { return state.get(refresh_token_state_key("x")).value_or(""); }

  std::unique_ptr<Sandbox> sandbox_;
  std::atomic<std::int64_t> sandbox_now_ms_{kStartMs};
  ChannelSettings channel_;
  RecordingHttp http_;
  int nonce_ = 0;
};

TEST_F(XOAuth2Test, PublishesWithABearerAndPersistsTheRotatedToken) {
  MemoryConnectorState state;
  auto x = connector(state);
  PublishResult result = x.publish(request_for("Hello with OAuth 2.0"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].text, "Hello with OAuth 2.0");
  EXPECT_EQ(creates[0].fields.at("auth"), "oauth2");  // a Bearer, not an OAuth 1.0a signature
  EXPECT_EQ(std::get<Published>(result).url, "https://x.com/herald_test/status/" + creates[0].id);
  EXPECT_EQ(http_.count("/2/oauth2/token"), 1);
  const std::string rotated = stored_token(state);
  EXPECT_TRUE(rotated.starts_with("sandbox-x-refresh-")) << "stored: " << (rotated.empty() ? "nothing" : "a token");
  EXPECT_NE(rotated, kFileToken);
}

TEST_F(XOAuth2Test, ARestartUsesThePersistedTokenAndAnEmptyStateFindsTheFileTokenRevoked) {
  MemoryConnectorState state;
  {
    auto first = connector(state);
    ASSERT_TRUE(std::holds_alternative<Published>(first.publish(request_for("before the restart"))));
  }
  const std::string rotated = stored_token(state);

  // Same credential file (its token is spent now), same state: works, and
  // rotates again.
  auto restarted = connector(state);
  PublishResult after = restarted.publish(request_for("after the restart"));
  ASSERT_TRUE(std::holds_alternative<Published>(after)) << message_of(after);
  EXPECT_EQ(sandbox_->creates().size(), 2u);
  EXPECT_EQ(http_.count("/2/oauth2/token"), 2);
  EXPECT_NE(stored_token(state), rotated);

  // Without the state, the file's token is all there is, and X refused it.
  MemoryConnectorState empty;
  auto stale = connector(empty);
  PublishResult refused = stale.publish(request_for("never sent"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(refused)) << message_of(refused);
  const std::string message = std::get<AuthFailed>(refused).message;
  EXPECT_NE(message.find("Value passed for the token was invalid."), std::string::npos) << message;
  EXPECT_NE(message.find("refresh_token"), std::string::npos) << message;
  EXPECT_NE(message.find("credential 'x'"), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  EXPECT_EQ(message.find("sandbox-x-"), std::string::npos) << message;
  EXPECT_EQ(sandbox_->creates().size(), 2u);
  EXPECT_FALSE(empty.get(refresh_token_state_key("x")));
}

TEST_F(XOAuth2Test, TheAccessTokenIsReusedAcrossPublishes) {
  MemoryConnectorState state;
  auto x = connector(state);
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("first"))));
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("second"))));
  EXPECT_EQ(sandbox_->creates().size(), 2u);
  EXPECT_EQ(http_.count("/2/oauth2/token"), 1);
}

TEST_F(XOAuth2Test, A401FromAnExpiredAccessTokenRefreshesAndSendsOnce) {
  MemoryConnectorState state;
  auto x = connector(state);
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("first"))));
  // Two hours and a bit pass on X's side; our clock believes the token good.
  sandbox_now_ms_ += 7201 * 1000;
  PublishResult result = x.publish(request_for("second"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(http_.statuses("/2/tweets"), (std::vector<int>{201, 401, 201}));
  EXPECT_EQ(http_.count("/2/oauth2/token"), 2);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[1].text, "second");
}

TEST_F(XOAuth2Test, LookupFindsThePostWithABearer) {
  MemoryConnectorState state;
  auto x = connector(state);
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("find me"))));
  LookupResult found = x.lookup(request_for("find me"));
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, sandbox_->creates()[0].id);
  EXPECT_TRUE(std::holds_alternative<Absent>(x.lookup(request_for("never posted"))));
  EXPECT_EQ(http_.count("/2/oauth2/token"), 1);
}

TEST_F(XOAuth2Test, LookupWithARevokedTokenIsUnknownNamingNoSecret) {
  MemoryConnectorState empty;
  auto spender = connector(empty);
  ASSERT_TRUE(std::holds_alternative<Published>(spender.publish(request_for("spends the file token"))));
  MemoryConnectorState other;
  auto stale = connector(other);
  LookupResult result = stale.lookup(request_for("spends the file token"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(result));
  EXPECT_EQ(std::get<Unknown>(result).message.find("SECRET"), std::string::npos) << std::get<Unknown>(result).message;
}

TEST_F(XOAuth2Test, MediaGoesUpWithABearer) {
  testing::TempDir dir;
  const fs::path png = dir.path() / "a.png";
  testing::write_file(png, std::string("\x89PNG\r\n\x1a\n", 8) + std::string(3000, 'p'));
  MemoryConnectorState state;
  auto x = connector(state);
  PublishResult result = x.publish(request_for("with a picture", {png}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  ASSERT_EQ(creates[0].media_ids.size(), 1u);
  EXPECT_EQ(creates[0].fields.at("auth"), "oauth2");

  httplib::Client client("127.0.0.1", sandbox_->port());
  auto res = client.Get("/_sandbox/x/media");
  ASSERT_TRUE(res);
  const json::array media = json::parse(res->body).at("media").as_array();
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(media[0].at("id").as_string(), creates[0].media_ids[0]);
  EXPECT_EQ(media[0].at("auth").as_string(), "oauth2");
  EXPECT_EQ(media[0].at("state").as_string(), "succeeded");
  EXPECT_EQ(http_.count("/2/oauth2/token"), 1);  // one token for every upload step and the post
}

TEST_F(XOAuth2Test, APublicClientRefreshesWithoutASecret) {
  MemoryConnectorState state;
  channel_.account = "public_user";
  auto x = connector(state, oauth2_credentials(kPublicClientId, std::nullopt, kPublicFileToken));
  PublishResult result = x.publish(request_for("from a public client"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(sandbox_->creates()[0].account, "2002");
  EXPECT_TRUE(stored_token(state).starts_with("sandbox-x-refresh-"));
}

TEST_F(XOAuth2Test, AWrongClientSecretIsAuthFailedNamingNoSecret) {
  MemoryConnectorState state;
  auto x = connector(state, oauth2_credentials(kClientId, Secret("wrong-client-SECRET")));
  PublishResult result = x.publish(request_for("never sent"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  const std::string message = std::get<AuthFailed>(result).message;
  EXPECT_NE(message.find("Missing valid authorization header"), std::string::npos) << message;
  EXPECT_NE(message.find("client_id/client_secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  EXPECT_TRUE(sandbox_->creates().empty());
  // The file token was not spent: the right secret still works with it.
  auto fixed = connector(state);
  EXPECT_TRUE(std::holds_alternative<Published>(fixed.publish(request_for("now it goes"))));
}

TEST_F(XOAuth2Test, ATokenEndpointOutageIsRetryLaterAndNothingIsSent) {
  httplib::Client client("127.0.0.1", sandbox_->port());
  auto armed = client.Post("/_sandbox/faults", R"({"path":"/2/oauth2/token","mode":"server_error"})",
                           "application/json");
  ASSERT_TRUE(armed);
  ASSERT_EQ(armed->status, 201) << armed->body;
  MemoryConnectorState state;
  auto x = connector(state);
  PublishResult result = x.publish(request_for("later"));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(http_.count("/2/tweets"), 0);
  // The fault is spent; the file token is still good.
  EXPECT_TRUE(std::holds_alternative<Published>(x.publish(request_for("later"))));
}

TEST_F(XOAuth2Test, TheStatelessConstructorRefusesOAuth2Credentials) {
  try {
    XConnector(channel_, oauth2_credentials(), http_, [] { return std::string("n"); }, [] { return Instant{}; });
    FAIL() << "constructed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("credential 'x'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("SECRET"), std::string::npos) << e.what();
  }
}

TEST(XOAuth2Credentials, ReadFromTheCredentialFile) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "x", "client_id: cid\nclient_secret: csec\nrefresh_token: rt\nuser_id: \"7\"\n");
  XCredentials c = x_credentials(load_credentials(dir.path(), "x", credential_keys(ChannelKind::x)));
  ASSERT_TRUE(c.oauth2);
  EXPECT_EQ(c.oauth2->client_id, "cid");
  ASSERT_TRUE(c.oauth2->client_secret);
  EXPECT_EQ(c.oauth2->client_secret->reveal(), "csec");
  EXPECT_EQ(c.oauth2->refresh_token.reveal(), "rt");
  EXPECT_EQ(c.user_id, "7");

  testing::write_file(dir.path() / "public", "client_id: cid\nrefresh_token: rt\n");
  c = x_credentials(load_credentials(dir.path(), "public", credential_keys(ChannelKind::x)));
  ASSERT_TRUE(c.oauth2);
  EXPECT_FALSE(c.oauth2->client_secret);

  testing::write_file(dir.path() / "v1", "consumer_key: a\nconsumer_secret: b\naccess_token: c\naccess_token_secret: d\n");
  c = x_credentials(load_credentials(dir.path(), "v1", credential_keys(ChannelKind::x)));
  EXPECT_FALSE(c.oauth2);
  EXPECT_EQ(c.oauth.consumer_key, "a");
}

TEST(XOAuth2Credentials, AFileWithBothSetsOrAPartialSetIsRejectedNamingTheKey) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "both",
                      "consumer_key: a\nconsumer_secret: b\naccess_token: c\naccess_token_secret: d\n"
                      "client_id: cid\nrefresh_token: rt-SECRET\n");
  testing::write_file(dir.path() / "partial", "client_id: cid\nclient_secret: cs-SECRET\n");
  for (const auto& [name, key] : {std::pair{"both", "client_id"}, std::pair{"partial", "refresh_token"}}) {
    try {
      (void)load_credentials(dir.path(), name, credential_keys(ChannelKind::x));
      ADD_FAILURE() << name << " was accepted";
    } catch (const CredentialError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find((dir.path() / name).string()), std::string::npos) << message;
      EXPECT_NE(message.find(key), std::string::npos) << message;
      EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
    }
  }
}

TEST(XTokenProblem, MapsXsRefusalsToAuthFailedAndOutagesToRetryLater) {
  const TokenError spent{"invalid_request", "Value passed for the token was invalid.", false, false};
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(x_token_problem(spent, "x")));
  EXPECT_NE(std::get<AuthFailed>(x_token_problem(spent, "x")).message.find("replace refresh_token in credential 'x'"),
            std::string::npos);
  EXPECT_TRUE(std::holds_alternative<AuthFailed>(
      x_token_problem({"unauthorized_client", "Missing valid authorization header", true, false}, "x")));
  EXPECT_TRUE(std::holds_alternative<RetryLater>(x_token_problem({"http_503", "", false, true}, "x")));
  EXPECT_TRUE(std::holds_alternative<RetryLater>(x_token_problem({"transport", "timeout", false, true}, "x")));
}

TEST(XTokenUrl, IsUnderTheApiBase) {
  EXPECT_EQ(x_token_url(""), "https://api.x.com/2/oauth2/token");
  EXPECT_EQ(x_token_url("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/2/oauth2/token");
}

}  // namespace
}  // namespace herald
