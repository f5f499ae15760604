// A first comment on Facebook (DESIGN.md "More networks": first_comment):
// the Page's comment on its published post, against the in-process sandbox.
// POST and GET /{post-id}/comments
// (https://developers.facebook.com/docs/graph-api/reference/object/comments).
#include "connectors/facebook/facebook_connector.hpp"
#include "tests/support/wall_clock.hpp"

#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/sandbox_records.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kPageId = "1234567890";
constexpr const char* kToken = "FAKE-page-token-for-comment-tests";

PublishRequest request_for(std::string text, std::string key) {
  PublishRequest request;
  request.key = std::move(key);
  request.post = "post";
  request.channel = "facebook";
  request.composed.kind = ChannelKind::facebook;
  request.composed.text = std::move(text);
  return request;
}

class FacebookCommentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.facebook.pages.push_back({kPageId, "Test Page", kToken});
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "facebook";
    channel_.kind = ChannelKind::facebook;
    channel_.page_id = kPageId;
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  FacebookConnector connector(HttpClient& http) {
    return FacebookConnector(channel_, FacebookCredentials{Secret(kToken)}, http, state_,
                             [] { return herald::testing::wall_now(); });
  }

  PublishRequest comment_under_a_post(const std::string& text = "Tickets: https://example.nl/t") {
    PublishResult post = connector(http_).publish(request_for("We open on Monday", "open@facebook"));
    EXPECT_TRUE(std::holds_alternative<Published>(post)) << message_of(post);
    PublishRequest comment = request_for(text, "open@facebook+comment");
    comment.comment_on = CommentOn{std::get<Published>(post).remote_id, std::get<Published>(post).url};
    return comment;
  }

  std::vector<Sandbox::Create> comments() const {
    std::vector<Sandbox::Create> out;
    for (const auto& c : testing::creates_on(*sandbox_, "facebook"))
      if (c.fields.contains("comment")) out.push_back(c);
    return out;
  }

  static void expect_no_token(const std::string& message) {
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
  }

  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 2s, .write_timeout = 1s}};
  HttplibClient short_http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 300ms, .write_timeout = 1s}};
  MemoryConnectorState state_;
};

TEST_F(FacebookCommentTest, TheCommentIsThePagesOnThePostWithItsText) {
  PublishRequest comment = comment_under_a_post();
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto made = comments();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].in_reply_to, comment.comment_on->remote_id);
  EXPECT_EQ(made[0].account, kPageId);
  EXPECT_EQ(made[0].text, "Tickets: https://example.nl/t");
  EXPECT_EQ(std::get<Published>(result).remote_id, made[0].id);
  EXPECT_EQ(std::get<Published>(result).url,
            comment.comment_on->url + "?comment_id=" + made[0].id.substr(made[0].id.find('_') + 1));
  // The post's comment count has it (the sandbox's engagement "replies").
  EXPECT_FALSE(connector(http_).comment_settle_policy().repeat_is_safe);
}

// The sandbox makes the comment and drops the answer: Unsure; the lookup
// finds it among the post's comments; a repeat after the lost answer finds
// it too and makes no second comment.
TEST_F(FacebookCommentTest, ALostAnswerIsUnsureAndTheLookupFindsTheComment) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /:version/:post-id/comments", Sandbox::FaultMode::drop_after_create, 1, 60, 1000});
  PublishResult result = connector(short_http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  expect_no_token(message_of(result));
  testing::wait_for_creates(*sandbox_, "facebook", 2);
  LookupResult found = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  ASSERT_EQ(comments().size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, comments()[0].id);
  EXPECT_TRUE(std::get<Found>(found).url.starts_with("https://www.facebook.com/")) << std::get<Found>(found).url;
  comment.answer_lost_before = true;
  PublishResult again = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(std::get<Published>(again).remote_id, comments()[0].id);
  EXPECT_EQ(comments().size(), 1u);
}

TEST_F(FacebookCommentTest, WithNoCreateTheLookupIsAbsent) {
  PublishRequest comment = comment_under_a_post();
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
  sandbox_->add_fault({"GET /:version/:post-id/comments", Sandbox::FaultMode::server_error, 1, 60, 0});
  LookupResult unknown = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  expect_no_token(std::get<Unknown>(unknown).message);
}

// Graph answers a post that is gone as any missing object (code 100,
// subcode 33): Failed, saying so.
TEST_F(FacebookCommentTest, APostDeletedOnFacebookIsFailedNamingIt) {
  PublishRequest comment = comment_under_a_post();
  ASSERT_TRUE(sandbox_->delete_post("facebook", comment.comment_on->remote_id));
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("the post this comment goes under is gone"), std::string::npos)
      << message_of(result);
  expect_no_token(message_of(result));
  EXPECT_TRUE(comments().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
}

TEST_F(FacebookCommentTest, ABadTokenIsAuthFailedWithoutTheToken) {
  PublishRequest comment = comment_under_a_post();
  FacebookConnector other(channel_, FacebookCredentials{Secret("FAKE-wrong-page-token")}, http_, state_,
                          [] { return herald::testing::wall_now(); });
  PublishResult result = other.publish(comment);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_EQ(message_of(result).find("FAKE-wrong-page-token"), std::string::npos) << message_of(result);
}

// Graph's throttling (code 32 with the usage headers' wait) before the
// comment is made is retry later; a 5xx to the create is unsure.
TEST_F(FacebookCommentTest, ARateLimitIsRetryLaterAndAServerErrorUnsure) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /:version/:post-id/comments", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  PublishResult limited = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(limited)) << message_of(limited);
  EXPECT_TRUE(std::get<RetryLater>(limited).after.has_value());
  sandbox_->add_fault({"POST /:version/:post-id/comments", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult broken = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(broken)) << message_of(broken);
  expect_no_token(message_of(broken));
  EXPECT_TRUE(comments().empty());
}

}  // namespace
}  // namespace herald
