// A first comment on Mastodon (DESIGN.md "More networks": first_comment):
// a reply to the published status, against the in-process sandbox.
// docs.joinmastodon.org/methods/statuses/#create (in_reply_to_id,
// Idempotency-Key) and /methods/statuses/#context (descendants).
#include "connectors/mastodon/mastodon_connector.hpp"

#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/sandbox_records.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kToken = "FAKE-mastodon-token-for-comment-tests";
constexpr const char* kAccountId = "109000000000000001";
constexpr std::int64_t kStart = 1796205600;  // 2026-12-02T10:00:00Z

class MastodonCommentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MastodonSandboxConfig config;
    config.accounts = {{kAccountId, "sandbox_herald", kToken, {"read", "write"}}};
    Sandbox::Config c;
    c.mastodon = std::move(config);
    c.now_ms = [this] { return now_s_.load() * 1000; };
    sandbox_ = std::make_unique<Sandbox>(std::move(c));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "mastodon";
    channel_.kind = ChannelKind::mastodon;
    channel_.instance = "https://mastodon.example";
    channel_.credentials = "mastodon";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  MastodonConnector connector(HttpClient& http) {
    return MastodonConnector(channel_, MastodonCredentials{Secret(kToken)}, http, state_,
                             [this] { return Instant{std::chrono::seconds{now_s_.load()}}; });
  }

  static PublishRequest request_for(std::string text, std::string key) {
    PublishRequest request;
    request.key = std::move(key);
    request.post = "spring";
    request.channel = "mastodon";
    request.composed.kind = ChannelKind::mastodon;
    request.composed.text = std::move(text);
    request.composed.visibility = "public";
    return request;
  }

  // The post, published; the comment's request under it.
  PublishRequest comment_under_a_post(const std::string& text = "Tickets at the door") {
    auto published = connector(http_).publish(request_for("Spring is here", "spring@mastodon"));
    EXPECT_TRUE(std::holds_alternative<Published>(published)) << message_of(published);
    PublishRequest comment = request_for(text, "spring@mastodon+comment");
    comment.comment_on = CommentOn{std::get<Published>(published).remote_id, std::get<Published>(published).url};
    return comment;
  }

  static void expect_no_token(const std::string& message) {
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
  }

  std::atomic<std::int64_t> now_s_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  HttplibClient short_http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 300ms, .write_timeout = 2s}};
  MemoryConnectorState state_;
};

// methods/statuses #create: in_reply_to_id makes the status a reply.
TEST_F(MastodonCommentTest, TheCommentIsAReplyToThePostWithItsText) {
  PublishRequest comment = comment_under_a_post();
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto made = testing::creates_on(*sandbox_, "mastodon");
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(made[1].in_reply_to, comment.comment_on->remote_id);
  EXPECT_EQ(made[1].text, "Tickets at the door");
  EXPECT_EQ(std::get<Published>(result).remote_id, made[1].id);
  EXPECT_EQ(std::get<Published>(result).url, made[1].fields.at("url"));
  EXPECT_FALSE(made[1].fields.at("idempotency_key").empty());
  EXPECT_NE(made[1].fields.at("idempotency_key"), made[0].fields.at("idempotency_key"));
}

// A lost answer: the reply exists; lookup finds it among the post's
// descendants (methods/statuses #context) even with no state to go by.
TEST_F(MastodonCommentTest, ALostAnswerIsUnsureAndTheLookupFindsTheReply) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto mastodon = connector(short_http_);
  PublishResult result = mastodon.publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  expect_no_token(message_of(result));
  MemoryConnectorState fresh;  // as after a restart with its state lost
  MastodonConnector other(channel_, MastodonCredentials{Secret(kToken)}, http_, fresh,
                          [this] { return Instant{std::chrono::seconds{now_s_.load()}}; });
  for (auto* c : {&mastodon, &other}) {
    LookupResult found = c->lookup(comment);
    ASSERT_TRUE(std::holds_alternative<Found>(found));
    auto made = testing::creates_on(*sandbox_, "mastodon");
    ASSERT_EQ(made.size(), 2u);
    EXPECT_EQ(std::get<Found>(found).remote_id, made[1].id);
  }
  // The post itself is not the comment, nor is another text.
  EXPECT_TRUE(std::holds_alternative<Absent>(other.lookup([&] {
    PublishRequest r = comment;
    r.composed.text = "Spring is here";
    return r;
  }())));
}

TEST_F(MastodonCommentTest, WithNoCreateTheLookupIsAbsent) {
  PublishRequest comment = comment_under_a_post();
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
  sandbox_->add_fault({"GET /api/v1/statuses/:id/context", Sandbox::FaultMode::server_error, 1, 60, 0});
  LookupResult unknown = connector(http_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  expect_no_token(std::get<Unknown>(unknown).message);
}

// statuses_controller set_thread: a reply to a status that is not there is
// a 404 "The post you are trying to reply to does not appear to exist."
TEST_F(MastodonCommentTest, APostDeletedOnMastodonIsFailedNamingIt) {
  PublishRequest comment = comment_under_a_post();
  ASSERT_TRUE(sandbox_->delete_post("mastodon", comment.comment_on->remote_id));
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("the post this comment goes under is gone"), std::string::npos)
      << message_of(result);
  EXPECT_NE(message_of(result).find("does not appear to exist"), std::string::npos) << message_of(result);
  expect_no_token(message_of(result));
  EXPECT_EQ(testing::creates_on(*sandbox_, "mastodon").size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_).lookup(comment)));
}

// A first comment is its text alone: no media go up.
TEST_F(MastodonCommentTest, ACommentCarriesNoMedia) {
  PublishRequest comment = comment_under_a_post();
  comment.composed.media = {"/nonexistent/picture.png"};
  PublishResult result = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_TRUE(testing::creates_on(*sandbox_, "mastodon").at(1).media_ids.empty());
}

// A 429 is retry later; a 5xx to the create is unsure (and the repeat
// carries the same Idempotency-Key, so it is safe).
TEST_F(MastodonCommentTest, ARateLimitIsRetryLaterAndAServerErrorUnsure) {
  PublishRequest comment = comment_under_a_post();
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  PublishResult limited = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(limited)) << message_of(limited);
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult broken = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(broken)) << message_of(broken);
  expect_no_token(message_of(broken));
  EXPECT_TRUE(connector(http_).comment_settle_policy().repeat_is_safe);
  PublishResult again = connector(http_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(testing::creates_on(*sandbox_, "mastodon").size(), 2u);
}

}  // namespace
}  // namespace herald
