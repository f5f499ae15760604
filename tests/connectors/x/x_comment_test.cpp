// A first comment on X (DESIGN.md "More networks": first_comment): a reply
// to the published post, against the in-process sandbox.
// POST /2/tweets with reply.in_reply_to_tweet_id
// (https://docs.x.com/x-api/posts/creation-of-a-post); settled through the
// account's timeline, GET /2/users/:id/tweets with
// tweet.fields=referenced_tweets (docs.x.com/x-api/fundamentals/data-dictionary).
#include "connectors/x/x_connector.hpp"
#include "tests/support/wall_clock.hpp"

#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;

XSandboxConfig::Account test_account() {
  return {"ck-test", "cs-test", "1001-at-test", "FAKE-x-token-secret-for-comment-tests", "1001", "herald_test"};
}

class XCommentTest : public ::testing::Test {
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

  XConnector connector() {
    const auto a = test_account();
    return XConnector(channel_,
                      XCredentials{{a.consumer_key, Secret(a.consumer_secret), a.access_token,
                                    Secret(a.access_token_secret)},
                                   a.user_id},
                      http_, [this] { return "nonce" + std::to_string(++nonce_); },
                      [] { return herald::testing::wall_now(); });
  }

  static PublishRequest request_for(std::string text, std::string key) {
    PublishRequest request;
    request.key = std::move(key);
    request.post = "launch";
    request.channel = "x";
    request.composed.text = std::move(text);
    return request;
  }

  PublishRequest comment_under_a_post(const std::string& text = "Tickets: https://example.nl/t") {
    PublishResult post = connector().publish(request_for("We launch today", "launch@x"));
    EXPECT_TRUE(std::holds_alternative<Published>(post)) << message_of(post);
    PublishRequest comment = request_for(text, "launch@x+comment");
    comment.comment_on = CommentOn{std::get<Published>(post).remote_id, std::get<Published>(post).url};
    return comment;
  }

  static void expect_no_secret(const std::string& message) {
    for (const char* secret : {"cs-test", "FAKE-x-token-secret-for-comment-tests"})
      EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }

  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  int nonce_ = 0;
};

TEST_F(XCommentTest, TheCommentIsAReplyToThePostWithItsText) {
  PublishRequest comment = comment_under_a_post();
  comment.composed.thread = {"never sent"};  // a comment is one reply
  PublishResult result = connector().publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[1].in_reply_to, comment.comment_on->remote_id);
  EXPECT_EQ(creates[1].text, "Tickets: https://example.nl/t");
  EXPECT_EQ(std::get<Published>(result).remote_id, creates[1].id);
  EXPECT_EQ(std::get<Published>(result).url, "https://x.com/herald_test/status/" + creates[1].id);
}

// The sandbox makes the reply and drops the answer: Unsure; the lookup
// finds the reply (not the post, whose text differs, nor a reply to
// another post with the same text).
TEST_F(XCommentTest, ALostAnswerIsUnsureAndTheLookupFindsTheReply) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  PublishResult result = connector().publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  expect_no_secret(message_of(result));
  LookupResult found = connector().lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(std::get<Found>(found).remote_id, creates[1].id);
  EXPECT_EQ(std::get<Found>(found).url, "https://x.com/herald_test/status/" + creates[1].id);
  PublishRequest elsewhere = comment;
  elsewhere.comment_on->remote_id = creates[1].id;
  EXPECT_TRUE(std::holds_alternative<Absent>(connector().lookup(elsewhere)));
  // A repeat is X's duplicate, the evidence the dispatcher looks up by.
  EXPECT_TRUE(std::holds_alternative<Duplicate>(connector().publish(comment)));
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

TEST_F(XCommentTest, WithNoCreateTheLookupIsAbsent) {
  PublishRequest comment = comment_under_a_post();
  EXPECT_TRUE(std::holds_alternative<Absent>(connector().lookup(comment)));
  // The same text posted as a post of its own is not the comment.
  ASSERT_TRUE(std::holds_alternative<Published>(connector().publish(request_for(comment.composed.text, "other@x"))));
  EXPECT_TRUE(std::holds_alternative<Absent>(connector().lookup(comment)));
}

// X answers a reply to a deleted post 403 "You attempted to reply to a
// Tweet that is deleted or not visible to you."
TEST_F(XCommentTest, APostDeletedOnXIsFailedNamingIt) {
  PublishRequest comment = comment_under_a_post();
  ASSERT_TRUE(sandbox_->delete_post("x", comment.comment_on->remote_id));
  PublishResult result = connector().publish(comment);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("the post this comment goes under is gone"), std::string::npos)
      << message_of(result);
  expect_no_secret(message_of(result));
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

// X's 429 with x-rate-limit-reset is retry later until then; a 5xx to the
// create is unsure.
TEST_F(XCommentTest, ARateLimitIsRetryLaterAndAServerErrorUnsure) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  PublishResult limited = connector().publish(comment);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(limited)) << message_of(limited);
  EXPECT_TRUE(std::get<RetryLater>(limited).after.has_value());
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult broken = connector().publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(broken)) << message_of(broken);
  expect_no_secret(message_of(broken));
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

}  // namespace
}  // namespace herald
