// A first comment on LinkedIn (DESIGN.md "More networks": first_comment):
// the author's comment on its published post, against the in-process
// sandbox. POST and GET /rest/socialActions/{URN}/comments
// (learn.microsoft.com, LinkedIn Community Management, Comments API:
// "Create a Comment", "Get Comments on Shares").
#include "connectors/linkedin/linkedin_connector.hpp"

#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kOrg = "urn:li:organization:2414183";
constexpr const char* kOrgToken = "FAKE-linkedin-org-token-for-comment-tests";

Instant fixed_now() { return Instant{date::sys_days{date::year{2026} / 12 / 2}} + 10h; }

PublishRequest request_for(std::string text, std::string key) {
  PublishRequest request;
  request.key = std::move(key);
  request.post = "post";
  request.channel = "linkedin";
  request.composed.kind = ChannelKind::linkedin;
  request.composed.text = std::move(text);
  return request;
}

class LinkedinCommentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    LinkedinSandboxConfig::Author author;
    author.urn = kOrg;
    author.access_token = kOrgToken;
    config.linkedin.authors.push_back(author);
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "linkedin";
    channel_.kind = ChannelKind::linkedin;
    channel_.author = kOrg;
    channel_.api_version = "202510";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  LinkedinConnector connector(HttpClient& http, std::string token = kOrgToken) {
    LinkedinCredentials credentials;
    credentials.access_token = Secret(std::move(token));
    return LinkedinConnector(channel_, credentials, http, state_, fixed_now);
  }

  PublishRequest comment_under_a_post(const std::string& text = "Register: https://example.nl/r") {
    PublishResult post = connector(http_).publish(request_for("Our spring webinar", "webinar@linkedin"));
    EXPECT_TRUE(std::holds_alternative<Published>(post)) << message_of(post);
    PublishRequest comment = request_for(text, "webinar@linkedin+comment");
    comment.comment_on = CommentOn{std::get<Published>(post).remote_id, std::get<Published>(post).url};
    return comment;
  }

  std::vector<Sandbox::Create> comments() const {
    std::vector<Sandbox::Create> out;
    for (const auto& c : testing::creates_on(*sandbox_, "linkedin"))
      if (c.fields.contains("comment")) out.push_back(c);
    return out;
  }

  static void expect_no_token(const std::string& message) {
    EXPECT_EQ(message.find(kOrgToken), std::string::npos) << message;
  }

  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 2s, .write_timeout = 1s}};
  HttplibClient short_http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 300ms, .write_timeout = 1s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
};

TEST_F(LinkedinCommentTest, TheCommentIsTheAuthorsOnThePostWithItsText) {
  PublishRequest comment = comment_under_a_post();
  PublishResult result = connector(recorder_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto made = comments();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].in_reply_to, comment.comment_on->remote_id);
  EXPECT_EQ(made[0].account, kOrg);
  EXPECT_EQ(made[0].text, "Register: https://example.nl/r");
  EXPECT_EQ(made[0].headers.at("X-Restli-Protocol-Version"), "2.0.0");
  EXPECT_EQ(std::get<Published>(result).remote_id, made[0].id);
  EXPECT_TRUE(made[0].id.starts_with("urn:li:comment:(" + comment.comment_on->remote_id + ","));
  EXPECT_TRUE(std::get<Published>(result).url.starts_with(comment.comment_on->url + "?commentUrn=urn%3Ali%3Acomment"))
      << std::get<Published>(result).url;
  EXPECT_FALSE(connector(http_).comment_settle_policy().repeat_is_safe);
}

// The sandbox makes the comment and drops the answer: Unsure; the lookup
// finds it among the post's comments.
TEST_F(LinkedinCommentTest, ALostAnswerIsUnsureAndTheLookupFindsTheComment) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /rest/socialActions/:urn/comments", Sandbox::FaultMode::drop_after_create, 1, 60, 1000});
  PublishResult result = connector(short_http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  expect_no_token(message_of(result));
  testing::wait_for_creates(*sandbox_, "linkedin", 2);
  LookupResult found = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  ASSERT_EQ(comments().size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, comments()[0].id);
}

TEST_F(LinkedinCommentTest, WithNoCreateTheLookupIsAbsent) {
  PublishRequest comment = comment_under_a_post();
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
  sandbox_->add_fault({"GET /rest/socialActions/:urn/comments", Sandbox::FaultMode::server_error, 1, 60, 0});
  LookupResult unknown = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  expect_no_token(std::get<Unknown>(unknown).message);
}

TEST_F(LinkedinCommentTest, APostDeletedOnLinkedinIsFailedNamingIt) {
  PublishRequest comment = comment_under_a_post();
  ASSERT_TRUE(sandbox_->delete_post("linkedin", comment.comment_on->remote_id));
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("the post this comment goes under is gone"), std::string::npos)
      << message_of(result);
  expect_no_token(message_of(result));
  EXPECT_TRUE(comments().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
}

TEST_F(LinkedinCommentTest, ABadTokenIsAuthFailedWithoutTheToken) {
  PublishRequest comment = comment_under_a_post();
  PublishResult result = connector(http_, "FAKE-wrong-linkedin-token").publish(comment);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_EQ(message_of(result).find("FAKE-wrong-linkedin-token"), std::string::npos) << message_of(result);
}

// LinkedIn's 429 (daily limits) is retry later; a 5xx to the create is unsure.
TEST_F(LinkedinCommentTest, ARateLimitIsRetryLaterAndAServerErrorUnsure) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /rest/socialActions/:urn/comments", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  PublishResult limited = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(limited)) << message_of(limited);
  sandbox_->add_fault({"POST /rest/socialActions/:urn/comments", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult broken = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(broken)) << message_of(broken);
  expect_no_token(message_of(broken));
  EXPECT_TRUE(comments().empty());
}

}  // namespace
}  // namespace herald
