// InstagramConnector::read_counters against the in-process sandbox, over
// real HTTP on loopback: a media's like_count and comments_count (GET
// /{media-id}?fields=..., developers.facebook.com/docs/instagram-platform/reference/instagram-media)
// and its insights (GET /{media-id}/insights?metric=reach,saved,
// .../reference/instagram-media/insights), mapped to the common vocabulary.
// The sandbox and the connector share one manual clock.
#include "connectors/instagram/instagram_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/support/counters_result.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"
#include "tests/support/temp_dir.hpp"

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

constexpr const char* kAccount = "17841400000000001";
constexpr const char* kToken = "FAKE-instagram-token-for-counters-tests";
// 2026-12-01T12:00:00Z.
constexpr std::int64_t kStartMs = 1'796'126'400'000;

class InstagramCountersTest : public ::testing::Test {
 protected:
  void SetUp() override { start(true); }
  void TearDown() override { sandbox_->stop(); }

  // A sandbox whose account token may read insights or not.
  void start(bool insights) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    config.instagram.accounts.push_back({kAccount, "herald_test", kToken, insights});
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "instagram";
    channel_.kind = ChannelKind::instagram;
    channel_.account_id = kAccount;
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }

  InstagramConnector connector(std::string token = kToken) {
    return InstagramConnector(channel_, InstagramCredentials{Secret(std::move(token)), std::nullopt}, recorder_, state_,
                              [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes one image with `caption` and answers the request to read its counters.
  CountersRequest published(InstagramConnector& instagram, const std::string& caption) {
    PublishRequest request;
    request.key = "post@instagram";
    request.post = "post";
    request.channel = "instagram";
    request.composed.kind = ChannelKind::instagram;
    request.composed.text = caption;
    request.composed.media.push_back(dir_.write("spring.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11) + "jpeg"));
    request.composed.media_urls.push_back("https://media.example.nl/herald/spring.jpg");
    PublishResult result = instagram.publish(request);
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
  testing::TempDir dir_;
};

// Likes, comments (replies), and with instagram_manage_insights reach
// (views) and saved (none of the common words).
TEST_F(InstagramCountersTest, ReadsTheCountsAndInsightsUnderInstagramsNames) {
  auto instagram = connector();
  EXPECT_TRUE(instagram.reads_counters());
  const CountersRequest request = published(instagram, "Counting on herald");
  advance(600s);
  CountersResult result = instagram.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"like_count", metric::likes, e.likes},
                                                                    {"comments_count", metric::replies, e.replies},
                                                                    {"reach", metric::views, e.views / 2},
                                                                    {"saved", "", e.saves}}));
  EXPECT_EQ(recorder_.count("GET", "/" + request.remote_id + "?fields=like_count,comments_count"), 1);
  EXPECT_EQ(recorder_.count("GET", "/" + request.remote_id + "/insights?metric=reach,saved"), 1);
}

TEST_F(InstagramCountersTest, CountersGrowBetweenTwoReads) {
  auto instagram = connector();
  const CountersRequest request = published(instagram, "Growing");
  advance(120s);
  CountersResult first = instagram.read_counters(request);
  advance(1h);
  CountersResult second = instagram.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  for (const char* name : {"like_count", "comments_count", "reach", "saved"})
    EXPECT_LT(testing::counter(first, name).value_or(-1), testing::counter(second, name).value_or(-1)) << name;
}

// Insights need instagram_manage_insights: refused (code 10), the media's
// own counts are still returned.
TEST_F(InstagramCountersTest, InsightsRefusedKeepTheOtherCounters) {
  start(false);
  auto instagram = connector();
  const CountersRequest request = published(instagram, "No insights for this token");
  advance(600s);
  CountersResult result = instagram.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"like_count", metric::likes, e.likes},
                                                                    {"comments_count", metric::replies, e.replies}}));
}

// A media that is gone: Graph's code 100, subcode 33.
TEST_F(InstagramCountersTest, ADeletedMediaIsGone) {
  auto instagram = connector();
  const CountersRequest request = published(instagram, "Soon deleted");
  ASSERT_TRUE(sandbox_->delete_post("instagram", request.remote_id));
  CountersResult result = instagram.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
}

// The Instagram Platform's rate limit: code 4 with
// X-Business-Use-Case-Usage's estimated_time_to_regain_access in minutes.
TEST_F(InstagramCountersTest, ARateLimitIsRetryLaterForTheEstimatedTime) {
  auto instagram = connector();
  const CountersRequest request = published(instagram, "Limited");
  sandbox_->add_fault({"GET /:version/:ig-id", Sandbox::FaultMode::rate_limit, 1, 180, 0});
  CountersResult result = instagram.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 3min);
}

// Error codes: 190, an invalid token.
TEST_F(InstagramCountersTest, AnInvalidTokenIsAuthFailedWithoutTheToken) {
  const CountersRequest request = [&] {
    auto instagram = connector();
    return published(instagram, "Then the token expires");
  }();
  auto instagram = connector("FAKE-expired-instagram-token");
  CountersResult result = instagram.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("FAKE-expired-instagram-token"), std::string::npos);
}

}  // namespace
}  // namespace herald
