// A first comment on Bluesky (DESIGN.md "More networks": first_comment): a
// reply to the published post, against the in-process sandbox.
// app.bsky.feed.post with reply {root, parent} strongRefs
// (docs.bsky.app/docs/advanced-guides/posts "Replies"), the parent's CID
// from com.atproto.repo.getRecord; created under herald's own record key,
// so a repeat after a lost answer finds the record instead of making another.
#include "connectors/bluesky/bluesky_connector.hpp"

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

constexpr const char* kHandle = "herald-test.bsky.social";
constexpr const char* kDid = "did:plc:heraldtest00000000000001";
constexpr const char* kPassword = "FAKE-comment-app-pass-word";
constexpr std::int64_t kStart = 1'803'978'000'000;  // 2027-03-02T09:00:00Z, Unix ms

class BlueskyCommentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.bluesky.accounts = {{kHandle, kDid, kPassword}};
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "bluesky";
    channel_.kind = ChannelKind::bluesky;
    channel_.handle = kHandle;
    channel_.credentials = "bluesky";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  BlueskyConnector connector(HttpClient& http, MemoryConnectorState& state, std::string password = kPassword) {
    return BlueskyConnector(channel_, BlueskyCredentials{Secret(std::move(password))}, {}, http, state,
                            [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  static PublishRequest request_for(std::string text, std::string key) {
    PublishRequest request;
    request.key = std::move(key);
    request.post = "spring";
    request.channel = "bluesky";
    request.composed.kind = ChannelKind::bluesky;
    request.composed.text = std::move(text);
    return request;
  }

  PublishRequest comment_under(const Published& post, const std::string& text = "Tickets at the door") {
    PublishRequest comment = request_for(text, "spring@bluesky+comment");
    comment.comment_on = CommentOn{post.remote_id, post.url};
    return comment;
  }

  Published a_post(const std::string& text = "Spring is here", const std::string& key = "spring@bluesky") {
    PublishResult post = connector(http_, state_).publish(request_for(text, key));
    EXPECT_TRUE(std::holds_alternative<Published>(post)) << message_of(post);
    return std::holds_alternative<Published>(post) ? std::get<Published>(post) : Published{};
  }

  static void expect_no_password(const std::string& message) {
    EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
  }

  std::atomic<std::int64_t> now_ms_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  HttplibClient short_http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 300ms, .write_timeout = 2s}};
  MemoryConnectorState state_;
};

// The reply names the post as parent and as root, with the post's CID.
TEST_F(BlueskyCommentTest, TheCommentIsAReplyToThePostWithItsText) {
  const Published post = a_post();
  PublishRequest comment = comment_under(post);
  comment.composed.link = "https://example.nl/tickets";  // no card on a comment
  PublishResult result = connector(http_, state_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto made = testing::creates_on(*sandbox_, "bluesky");
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(made[1].in_reply_to, post.remote_id);
  EXPECT_EQ(made[1].fields.at("reply_root"), post.remote_id);
  EXPECT_EQ(made[1].text, "Tickets at the door");
  EXPECT_EQ(made[1].fields.at("embed"), "none");
  EXPECT_EQ(std::get<Published>(result).remote_id, made[1].id);
  EXPECT_EQ(std::get<Published>(result).url,
            "https://bsky.app/profile/herald-test.bsky.social/post/" + made[1].fields.at("rkey"));
  EXPECT_TRUE(connector(http_, state_).comment_settle_policy().repeat_is_safe);
}

// A reply to a reply keeps the thread's root.
TEST_F(BlueskyCommentTest, AReplyToAReplyKeepsTheThreadsRoot) {
  const Published post = a_post();
  PublishResult first = connector(http_, state_).publish(comment_under(post));
  ASSERT_TRUE(std::holds_alternative<Published>(first)) << message_of(first);
  PublishRequest second = comment_under(std::get<Published>(first), "And more");
  second.key = "other@bluesky+comment";
  ASSERT_TRUE(std::holds_alternative<Published>(connector(http_, state_).publish(second)));
  auto made = testing::creates_on(*sandbox_, "bluesky");
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(made[2].in_reply_to, std::get<Published>(first).remote_id);
  EXPECT_EQ(made[2].fields.at("reply_root"), post.remote_id);
}

// The PDS makes the record and drops the answer: Unsure; the lookup finds
// the record under the stored key; the repeat finds it and makes no second.
TEST_F(BlueskyCommentTest, ALostAnswerIsUnsureAndTheLookupFindsTheReply) {
  const Published post = a_post();
  PublishRequest comment = comment_under(post);
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  PublishResult lost = connector(short_http_, state_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Unsure>(lost)) << message_of(lost);
  expect_no_password(message_of(lost));
  LookupResult found = connector(http_, state_).lookup(comment);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  auto made = testing::creates_on(*sandbox_, "bluesky");
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(std::get<Found>(found).remote_id, made[1].id);
  comment.answer_lost_before = true;
  PublishResult again = connector(http_, state_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(std::get<Published>(again).remote_id, made[1].id);
  EXPECT_EQ(testing::creates_on(*sandbox_, "bluesky").size(), 2u);
}

TEST_F(BlueskyCommentTest, WithNoCreateTheLookupIsAbsent) {
  const Published post = a_post();
  EXPECT_TRUE(std::holds_alternative<Absent>(connector(http_, state_).lookup(comment_under(post))));
}

// A post deleted in a Bluesky app: getRecord answers RecordNotFound, and
// nothing is created.
TEST_F(BlueskyCommentTest, APostDeletedOnBlueskyIsFailedNamingIt) {
  const Published post = a_post();
  ASSERT_TRUE(sandbox_->delete_post("bluesky", post.remote_id));
  PublishRequest comment = comment_under(post);
  PublishResult result = connector(http_, state_).publish(comment);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("the post this comment goes under is gone"), std::string::npos)
      << message_of(result);
  expect_no_password(message_of(result));
  EXPECT_EQ(testing::creates_on(*sandbox_, "bluesky").size(), 1u);
}

TEST_F(BlueskyCommentTest, AWrongAppPasswordIsAuthFailedWithoutIt) {
  const Published post = a_post();
  MemoryConnectorState other_state;
  PublishResult result = connector(http_, other_state, "FAKE-wrong-app-password").publish(comment_under(post));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_EQ(message_of(result).find("FAKE-wrong-app-password"), std::string::npos) << message_of(result);
}

}  // namespace
}  // namespace herald
