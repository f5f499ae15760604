// A first comment on Instagram (DESIGN.md "More networks": first_comment):
// the account's comment on its published media, against the in-process
// sandbox. POST and GET /{ig-media-id}/comments (developers.facebook.com,
// Instagram Platform, IG Media Comments; IG Comment's `from`).
#include "connectors/instagram/instagram_connector.hpp"

#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/sandbox_records.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kAccount = "17841400000000001";
constexpr const char* kToken = "FAKE-instagram-token-for-comment-tests";
constexpr const char* kMediaBase = "https://media.example.nl/herald/";
constexpr std::int64_t kStartMs = 1'796'126'400'000;  // 2026-12-01T12:00:00Z

class InstagramCommentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config all;
    all.instagram.accounts.push_back({kAccount, "herald_test", kToken});
    all.now_ms = [this] { return clock_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(all));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "instagram";
    channel_.kind = ChannelKind::instagram;
    channel_.account_id = kAccount;
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  InstagramConnector connector(HttpClient& http, std::string token = kToken) {
    return InstagramConnector(channel_, InstagramCredentials{Secret(std::move(token)), std::nullopt}, http, state_,
                              [this] {
                                return Instant{std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::milliseconds(clock_ms_.load()))};
                              });
  }

  static PublishRequest request_for(std::string text, std::string key) {
    PublishRequest request;
    request.key = std::move(key);
    request.post = "post";
    request.channel = "instagram";
    request.composed.kind = ChannelKind::instagram;
    request.composed.text = std::move(text);
    return request;
  }

  PublishRequest comment_under_a_post(const std::string& text = "Link in bio: example.nl/tickets") {
    PublishRequest post = request_for("Spring is here #herald", "spring@instagram");
    std::string bytes("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11);
    bytes += std::string(200, 'j');
    post.composed.media.push_back(dir_.write("spring.jpg", bytes));
    post.composed.media_urls.push_back(std::string(kMediaBase) + "spring.jpg");
    PublishResult published = connector(http_).publish(post);
    EXPECT_TRUE(std::holds_alternative<Published>(published)) << message_of(published);
    PublishRequest comment = request_for(text, "spring@instagram+comment");
    comment.comment_on = CommentOn{std::get<Published>(published).remote_id, std::get<Published>(published).url};
    return comment;
  }

  std::vector<Sandbox::Create> comments() const {
    std::vector<Sandbox::Create> out;
    for (const auto& c : testing::creates_on(*sandbox_, "instagram"))
      if (c.fields.contains("comment")) out.push_back(c);
    return out;
  }

  static void expect_no_token(const std::string& message) {
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
  }

  std::atomic<std::int64_t> clock_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 2s, .write_timeout = 1s}};
  HttplibClient short_http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 300ms, .write_timeout = 1s}};
  MemoryConnectorState state_;
  testing::TempDir dir_;
};

TEST_F(InstagramCommentTest, TheCommentIsTheAccountsOnTheMediaWithItsText) {
  PublishRequest comment = comment_under_a_post();
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto made = comments();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].in_reply_to, comment.comment_on->remote_id);
  EXPECT_EQ(made[0].account, kAccount);
  EXPECT_EQ(made[0].text, "Link in bio: example.nl/tickets");
  EXPECT_EQ(std::get<Published>(result).remote_id, made[0].id);
  EXPECT_EQ(std::get<Published>(result).url, comment.comment_on->url);
  EXPECT_FALSE(connector(http_).comment_settle_policy().repeat_is_safe);
}

// The sandbox makes the comment and drops the answer: Unsure; the lookup
// finds it; a repeat after the lost answer finds it too and makes no second.
TEST_F(InstagramCommentTest, ALostAnswerIsUnsureAndTheLookupFindsTheComment) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /:version/:ig-media-id/comments", Sandbox::FaultMode::drop_after_create, 1, 60, 1000});
  PublishResult result = connector(short_http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  expect_no_token(message_of(result));
  testing::wait_for_creates(*sandbox_, "instagram", 2);
  LookupResult found = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  ASSERT_EQ(comments().size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, comments()[0].id);
  comment.answer_lost_before = true;
  PublishResult again = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(std::get<Published>(again).remote_id, comments()[0].id);
  EXPECT_EQ(comments().size(), 1u);
}

TEST_F(InstagramCommentTest, WithNoCreateTheLookupIsAbsent) {
  PublishRequest comment = comment_under_a_post();
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
  sandbox_->add_fault({"GET /:version/:ig-media-id/comments", Sandbox::FaultMode::server_error, 1, 60, 0});
  LookupResult unknown = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  expect_no_token(std::get<Unknown>(unknown).message);
}

TEST_F(InstagramCommentTest, AMediaDeletedOnInstagramIsFailedNamingIt) {
  PublishRequest comment = comment_under_a_post();
  ASSERT_TRUE(sandbox_->delete_post("instagram", comment.comment_on->remote_id));
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("the post this comment goes under is gone"), std::string::npos)
      << message_of(result);
  expect_no_token(message_of(result));
  EXPECT_TRUE(comments().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
}

TEST_F(InstagramCommentTest, ABadTokenIsAuthFailedWithoutTheToken) {
  PublishRequest comment = comment_under_a_post();
  PublishResult result = connector(http_, "FAKE-wrong-instagram-token").publish(comment);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_EQ(message_of(result).find("FAKE-wrong-instagram-token"), std::string::npos) << message_of(result);
}

// Graph's throttling (code 4) is retry later; a 5xx to the create is unsure.
TEST_F(InstagramCommentTest, ARateLimitIsRetryLaterAndAServerErrorUnsure) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /:version/:ig-media-id/comments", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  PublishResult limited = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(limited)) << message_of(limited);
  sandbox_->add_fault({"POST /:version/:ig-media-id/comments", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult broken = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(broken)) << message_of(broken);
  expect_no_token(message_of(broken));
  EXPECT_TRUE(comments().empty());
}

}  // namespace
}  // namespace herald
