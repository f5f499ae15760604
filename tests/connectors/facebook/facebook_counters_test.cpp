// FacebookConnector::read_counters against the in-process sandbox, over real
// HTTP on loopback: a Page post's engagement edges (GET /{post-id} with
// reactions.summary(total_count).limit(0), comments.summary(total_count).limit(0)
// and shares: developers.facebook.com/docs/graph-api/reference/pagepost,
// .../reference/object/reactions, .../reference/object/comments) and its
// insights (GET /{post-id}/insights?metric=post_impressions:
// developers.facebook.com/docs/graph-api/reference/insights), mapped to the
// common vocabulary. The sandbox and the connector share one manual clock.
#include "connectors/facebook/facebook_connector.hpp"

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

constexpr const char* kPageId = "1234567890";
constexpr const char* kToken = "FAKE-page-token-for-counters-tests";
// 2026-12-02T10:00:00Z.
constexpr std::int64_t kStartMs = 1'796'205'600'000;

class FacebookCountersTest : public ::testing::Test {
 protected:
  void SetUp() override { start(true); }
  void TearDown() override { sandbox_->stop(); }

  // A sandbox whose Page token may read insights or not.
  void start(bool insights) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    config.facebook.pages.push_back({kPageId, "Test Page", kToken, insights});
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "facebook";
    channel_.kind = ChannelKind::facebook;
    channel_.page_id = kPageId;
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }

  FacebookConnector connector(std::string token = kToken) {
    return FacebookConnector(channel_, FacebookCredentials{Secret(std::move(token))}, recorder_, state_,
                             [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes `text` and answers the request to read its counters.
  CountersRequest published(FacebookConnector& facebook, const std::string& text) {
    PublishRequest request;
    request.key = "post@facebook";
    request.post = "post";
    request.channel = "facebook";
    request.composed.kind = ChannelKind::facebook;
    request.composed.text = text;
    PublishResult result = facebook.publish(request);
    EXPECT_TRUE(std::holds_alternative<Published>(result)) << result.index();
    const auto* p = std::get_if<Published>(&result);
    return CountersRequest{request.key, request.post, request.channel, p ? p->remote_id : "", p ? p->url : ""};
  }

  void advance(std::chrono::seconds by) { now_ms_ += by.count() * 1000; }

  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 2s, .write_timeout = 1s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
};

// Reactions (likes), comments (replies), shares, and with the insights
// permission post_impressions (views).
TEST_F(FacebookCountersTest, ReadsTheEdgesAndTheImpressionsUnderGraphsNames) {
  auto facebook = connector();
  EXPECT_TRUE(facebook.reads_counters());
  const CountersRequest request = published(facebook, "Counting on herald");
  advance(600s);
  CountersResult result = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"reactions", metric::likes, e.likes},
                                                                    {"comments", metric::replies, e.replies},
                                                                    {"shares", metric::shares, e.shares},
                                                                    {"post_impressions", metric::views, e.views}}));
  EXPECT_EQ(recorder_.count("GET", "/" + request.remote_id + "/insights?metric=post_impressions"), 1);
}

// object/shares: Graph leaves `shares` out of a post nobody shared; that is 0.
TEST_F(FacebookCountersTest, CountersGrowFromNoSharesAtAll) {
  auto facebook = connector();
  const CountersRequest request = published(facebook, "Growing");
  advance(10s);
  CountersResult first = facebook.read_counters(request);
  advance(1h);
  CountersResult second = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  EXPECT_EQ(testing::counter(first, "shares"), 0);
  for (const char* name : {"reactions", "comments", "shares", "post_impressions"})
    EXPECT_LT(testing::counter(first, name).value_or(-1), testing::counter(second, name).value_or(-1)) << name;
  EXPECT_EQ(testing::counter(second, "post_impressions"), engagement_after(3'610'000).views);
}

// insights: a token whose user may not analyze the Page is refused (code
// 10); the counters every Page token may read are still returned.
TEST_F(FacebookCountersTest, InsightsRefusedKeepTheOtherCounters) {
  start(false);
  auto facebook = connector();
  const CountersRequest request = published(facebook, "No insights for this token");
  advance(600s);
  CountersResult result = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"reactions", metric::likes, e.likes},
                                                                    {"comments", metric::replies, e.replies},
                                                                    {"shares", metric::shares, e.shares}}));
  EXPECT_EQ(recorder_.count("GET", "/insights?metric=post_impressions"), 1);  // asked, and refused
}

// Graph's answer for an object that is gone: code 100, subcode 33.
TEST_F(FacebookCountersTest, ADeletedPostIsGone) {
  auto facebook = connector();
  const CountersRequest request = published(facebook, "Soon deleted");
  ASSERT_TRUE(sandbox_->delete_post("facebook", request.remote_id));
  CountersResult result = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
}

// Rate limiting: code 32 with X-Business-Use-Case-Usage's
// estimated_time_to_regain_access in minutes.
TEST_F(FacebookCountersTest, APageRateLimitIsRetryLaterForTheEstimatedTime) {
  auto facebook = connector();
  const CountersRequest request = published(facebook, "Limited");
  sandbox_->add_fault({"GET /:version/:post-id", Sandbox::FaultMode::rate_limit, 1, 600, 0});
  const int before = recorder_.total();
  CountersResult result = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 10min);
  EXPECT_EQ(recorder_.total(), before + 1);  // no insights after a refused read, and no repeat
}

// A throttled insights request decides the read: RetryLater, not counters
// without views.
TEST_F(FacebookCountersTest, AThrottledInsightsReadIsRetryLater) {
  auto facebook = connector();
  const CountersRequest request = published(facebook, "Insights limited");
  sandbox_->add_fault({"GET /:version/:post-id/insights", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  CountersResult result = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
}

// Error handling: code 190, an invalid token.
TEST_F(FacebookCountersTest, AnInvalidTokenIsAuthFailedWithoutTheToken) {
  const CountersRequest request = [&] {
    auto facebook = connector();
    return published(facebook, "Then the token changes");
  }();
  auto facebook = connector("FAKE-expired-page-token");
  CountersResult result = facebook.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("FAKE-expired-page-token"), std::string::npos);
}

}  // namespace
}  // namespace herald
