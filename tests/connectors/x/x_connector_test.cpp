// The x connector against the in-process sandbox, over real HTTP on loopback.
// Media uploads are in x_media_test.cpp.
#include "connectors/x/x_connector.hpp"
#include "tests/support/wall_clock.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace herald {
namespace {
using namespace std::chrono_literals;

XSandboxConfig::Account test_account() {
  return {"ck-test", "cs-test", "1001-at-test", "ats-test", "1001", "herald_test"};
}

XCredentials credentials_for(const XSandboxConfig::Account& account, std::string user_id = "1001") {
  return {{account.consumer_key, Secret(account.consumer_secret), account.access_token,
           Secret(account.access_token_secret)},
          std::move(user_id)};
}

Instant now() { return herald::testing::wall_now(); }

PublishRequest request_for(std::string text, std::vector<std::string> thread = {}) {
  PublishRequest request;
  request.key = "post@x";
  request.post = "post";
  request.channel = "x";
  request.composed.text = std::move(text);
  request.composed.thread = std::move(thread);
  return request;
}

class XConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.x.accounts.push_back(test_account());
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "x";
    channel_.account = "herald_test";
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/";
  }
  void TearDown() override { sandbox_->stop(); }

  XConnector connector(XCredentials credentials = credentials_for(test_account())) {
    return XConnector(channel_, std::move(credentials), http_, [this] { return "nonce" + std::to_string(++nonce_); },
                      now);
  }

  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  int nonce_ = 0;
};

TEST_F(XConnectorTest, PublishesAndReturnsTheStatusUrl) {
  auto x = connector();
  PublishResult result = x.publish(request_for("Hello from herald"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  const auto& published = std::get<Published>(result);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].text, "Hello from herald");
  EXPECT_EQ(creates[0].id, published.remote_id);
  EXPECT_EQ(published.url, "https://x.com/herald_test/status/" + published.remote_id);
}

TEST_F(XConnectorTest, ThreadGoesOutAsReplies) {
  auto x = connector();
  PublishResult result = x.publish(request_for("one", {"two", "three"}));
  ASSERT_TRUE(std::holds_alternative<Published>(result));
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 3u);
  EXPECT_EQ(std::get<Published>(result).remote_id, creates[0].id);
  EXPECT_EQ(creates[0].in_reply_to, "");
  EXPECT_EQ(creates[1].text, "two");
  EXPECT_EQ(creates[1].in_reply_to, creates[0].id);
  EXPECT_EQ(creates[2].text, "three");
  EXPECT_EQ(creates[2].in_reply_to, creates[1].id);
}

TEST_F(XConnectorTest, FailedReplyIsFailedNamingWhatWentOut) {
  auto x = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("taken"))));
  PublishResult result = x.publish(request_for("fresh start", {"taken"}));
  ASSERT_TRUE(std::holds_alternative<Failed>(result));
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  const std::string& message = std::get<Failed>(result).message;
  EXPECT_NE(message.find("1 of 2"), std::string::npos) << message;
  EXPECT_NE(message.find(creates[1].id), std::string::npos) << message;
  EXPECT_NE(message.find("duplicate"), std::string::npos) << message;
}

// X refuses a text the account posted already: 403 "duplicate content"
// (as X's clients report it; the docs do not print it). That is Duplicate:
// a permanent failure, unless an earlier attempt lost its answer, when it
// is evidence that the post exists (the dispatcher decides which).
TEST_F(XConnectorTest, DuplicateIsDuplicateWithXsWords) {
  auto x = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("same words"))));
  PublishResult result = x.publish(request_for("same words"));
  ASSERT_TRUE(std::holds_alternative<Duplicate>(result)) << result.index();
  EXPECT_NE(std::get<Duplicate>(result).message.find("You are not allowed to create a Tweet with duplicate content."),
            std::string::npos)
      << std::get<Duplicate>(result).message;
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

// After a lost answer the same text again is Duplicate, and the lookup finds
// the post the first attempt made.
TEST_F(XConnectorTest, ARepeatAfterALostAnswerIsDuplicateAndTheLookupFindsThePost) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto x = connector();
  PublishRequest request = request_for("said once");
  ASSERT_TRUE(std::holds_alternative<Unsure>(x.publish(request)));
  request.answer_lost_before = true;
  ASSERT_TRUE(std::holds_alternative<Duplicate>(x.publish(request)));
  LookupResult found = x.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, sandbox_->creates().at(0).id);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

// X judges a duplicate when it stores the post, so a create slower than the
// client's timeout that completes after an identical second one is refused:
// one post, whichever request X finished first.
TEST_F(XConnectorTest, ASlowCreateCompletingAfterAnIdenticalSecondIsRefused) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::delay, 1, 60, 1500});
  auto x = connector();
  const PublishRequest request = request_for("slow and then again");
  ASSERT_TRUE(std::holds_alternative<Unsure>(x.publish(request)));  // timed out after 1 s
  PublishResult again = x.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << again.index();
  std::this_thread::sleep_for(800ms);  // the held request completes (and is refused)
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, std::get<Published>(again).remote_id);
}

TEST_F(XConnectorTest, SettlePolicySettlesByLookups) {
  auto x = connector();
  EXPECT_FALSE(x.settle_policy().repeat_is_safe);
  EXPECT_EQ(x.settle_policy().margin, 120s);
}

TEST_F(XConnectorTest, WrongSecretIsAuthFailed) {
  XSandboxConfig::Account wrong = test_account();
  wrong.access_token_secret = "not-the-secret";
  auto x = connector(credentials_for(wrong));
  PublishResult result = x.publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result));
  EXPECT_EQ(std::get<AuthFailed>(result).message.find("not-the-secret"), std::string::npos);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(XConnectorTest, RateLimitIsRetryLaterWithTheResetTime) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  auto x = connector();
  PublishResult result = x.publish(request_for("limited"));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result));
  const auto& retry = std::get<RetryLater>(result);
  ASSERT_TRUE(retry.after);
  EXPECT_GE(*retry.after, 117s);
  EXPECT_LE(*retry.after, 121s);
  EXPECT_TRUE(sandbox_->creates().empty());
}

// A 5xx may come after X stored the post: Unsure, so the dispatcher looks
// it up (here: absent, so it retries later) instead of resending.
TEST_F(XConnectorTest, ServerErrorOnTheCreateIsUnsureAndLookupDecides) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto x = connector();
  PublishRequest request = request_for("a");
  EXPECT_TRUE(std::holds_alternative<Unsure>(x.publish(request)));
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(x.lookup(request)));
}

TEST_F(XConnectorTest, DropAfterCreateIsUnsureAndLookupFindsIt) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  auto x = connector();
  PublishRequest request = request_for("dropped");
  PublishResult result = x.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << result.index();
  LookupResult found = x.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, creates[0].id);
  EXPECT_EQ(std::get<Found>(found).url, "https://x.com/herald_test/status/" + creates[0].id);
}

TEST_F(XConnectorTest, LookupOfANeverSentTextIsAbsent) {
  auto x = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request_for("something else"))));
  EXPECT_TRUE(std::holds_alternative<Absent>(x.lookup(request_for("never sent"))));
}

TEST_F(XConnectorTest, LookupWithoutUserIdIsUnknown) {
  auto x = connector(credentials_for(test_account(), ""));
  LookupResult result = x.lookup(request_for("anything"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(result));
  EXPECT_EQ(std::get<Unknown>(result).message, "no user_id in the credentials");
}

TEST_F(XConnectorTest, LookupErrorIsUnknown) {
  sandbox_->add_fault({"/2/users/:id/tweets", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto x = connector();
  EXPECT_TRUE(std::holds_alternative<Unknown>(x.lookup(request_for("anything"))));
}

}  // namespace
}  // namespace herald
