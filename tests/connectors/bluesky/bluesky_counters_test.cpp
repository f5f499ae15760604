// BlueskyConnector::read_counters against the in-process sandbox, over real
// HTTP on loopback: a post's view from app.bsky.feed.getPosts
// (docs.bsky.app/docs/api/app-bsky-feed-get-posts; the lexicons
// app/bsky/feed/getPosts.json and defs.json#postView in
// github.com/bluesky-social/atproto: likeCount, repostCount, quoteCount,
// replyCount), asked of the PDS with the session's access JWT. The sandbox
// and the connector share one manual clock, so counts grow by moving it.
#include "connectors/bluesky/bluesky_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/support/counters_result.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;
using testing::describe;

constexpr const char* kHandle = "herald-test.bsky.social";
constexpr const char* kDid = "did:plc:heraldtest00000000000001";
constexpr const char* kPassword = "FAKE-test-app-pass-word";
constexpr std::int64_t kStart = 1'803'978'000'000;  // 2027-03-02T09:00:00Z, Unix ms

class BlueskyCountersTest : public ::testing::Test {
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

  BlueskyConnector connector(ConnectorState& state, std::string password = kPassword) {
    return BlueskyConnector(channel_, BlueskyCredentials{Secret(std::move(password))}, {}, recorder_, state,
                            [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes `text` and answers the request to read its counters.
  CountersRequest published(BlueskyConnector& bluesky, const std::string& text) {
    PublishRequest request;
    request.key = "p@bluesky";
    request.post = "p";
    request.channel = "bluesky";
    request.composed.kind = ChannelKind::bluesky;
    request.composed.text = text;
    request.local_time = "2027-03-02T10:00:00+01:00";
    PublishResult result = bluesky.publish(request);
    EXPECT_TRUE(std::holds_alternative<Published>(result)) << result.index();
    const auto* p = std::get_if<Published>(&result);
    return CountersRequest{request.key, request.post, request.channel, p ? p->remote_id : "", p ? p->url : ""};
  }

  void advance(std::chrono::seconds by) { now_ms_ += by.count() * 1000; }

  std::atomic<std::int64_t> now_ms_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
};

// defs.json#postView: likes, reposts and quotes (shares), replies.
TEST_F(BlueskyCountersTest, ReadsThePostViewsCountsUnderBlueskysNames) {
  auto bluesky = connector(state_);
  EXPECT_TRUE(bluesky.reads_counters());
  const CountersRequest request = published(bluesky, "Counting on herald");
  ASSERT_TRUE(request.remote_id.starts_with("at://"));
  advance(600s);
  CountersResult result = bluesky.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"likeCount", metric::likes, e.likes},
                                                                    {"repostCount", metric::shares, e.shares},
                                                                    {"quoteCount", metric::shares, e.quotes},
                                                                    {"replyCount", metric::replies, e.replies}}));
  EXPECT_EQ(recorder_.count("GET", "/xrpc/app.bsky.feed.getPosts?uris=at%3A%2F%2F"), 1);
}

TEST_F(BlueskyCountersTest, CountersGrowBetweenTwoReads) {
  auto bluesky = connector(state_);
  const CountersRequest request = published(bluesky, "Growing");
  advance(120s);
  CountersResult first = bluesky.read_counters(request);
  advance(1h);
  CountersResult second = bluesky.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  for (const char* name : {"likeCount", "repostCount", "quoteCount", "replyCount"})
    EXPECT_LT(testing::counter(first, name).value_or(-1), testing::counter(second, name).value_or(-1)) << name;
  EXPECT_EQ(testing::counter(second, "replyCount"), engagement_after(3'720'000).replies);
}

// getPosts leaves out a post the AppView does not have: an empty `posts`.
TEST_F(BlueskyCountersTest, ADeletedPostIsGone) {
  auto bluesky = connector(state_);
  const CountersRequest request = published(bluesky, "Soon deleted");
  ASSERT_TRUE(sandbox_->delete_post("bluesky", request.remote_id));
  CountersResult result = bluesky.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
}

// docs.bsky.app/docs/advanced-guides/rate-limits: 429 with RateLimit-Reset
// in Unix seconds.
TEST_F(BlueskyCountersTest, ARateLimitIsRetryLaterUntilTheReset) {
  auto bluesky = connector(state_);
  const CountersRequest request = published(bluesky, "Limited");
  sandbox_->add_fault({"GET /xrpc/app.bsky.feed.getPosts", Sandbox::FaultMode::rate_limit, 1, 300, 0});
  const int before = recorder_.total();
  CountersResult result = bluesky.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 300s);
  EXPECT_EQ(recorder_.total(), before + 1);
}

// com.atproto.server.createSession refuses a wrong app password (401
// AuthenticationRequired): no session, so no read.
TEST_F(BlueskyCountersTest, ARefusedAppPasswordIsAuthFailedWithoutThePassword) {
  const CountersRequest request = [&] {
    auto bluesky = connector(state_);
    return published(bluesky, "Then the app password is revoked");
  }();
  MemoryConnectorState fresh;  // no refresh JWT kept from the publish
  auto bluesky = connector(fresh, "FAKE-wrong-pass-word");
  CountersResult result = bluesky.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("FAKE-wrong-pass-word"), std::string::npos);
}

}  // namespace
}  // namespace herald
