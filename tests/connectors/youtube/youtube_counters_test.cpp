// YoutubeConnector::read_counters against the in-process sandbox, over real
// HTTP on loopback: a video's statistics part (videos.list part=statistics,
// developers.google.com/youtube/v3/docs/videos#statistics: viewCount,
// likeCount, commentCount as strings) mapped to the common vocabulary. The
// sandbox and the connector share one manual clock; the OAuth 2.0 access
// token is refreshed on it too.
#include "connectors/youtube/youtube_connector.hpp"

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

constexpr const char* kClientId = "test-client.apps.googleusercontent.com";
constexpr const char* kClientSecret = "GOCSPX-test-client-secret";
constexpr const char* kRefreshToken = "1//test-refresh-token-for-counters";
constexpr const char* kChannel = "UCtestchannel0000000001";
constexpr const char* kVideo = "vidPrivate1";
// 2026-12-02T10:00:00Z: 02:00 in Los Angeles, 22 h before the quota resets.
constexpr std::int64_t kStartMs = 1'796'205'600'000;

class YoutubeCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    YoutubeSandboxConfig youtube;
    youtube.clients.push_back({kClientId, kClientSecret});
    YoutubeSandboxConfig::Channel channel;
    channel.id = kChannel;
    channel.title = "Herald Test";
    channel.client_id = kClientId;
    channel.refresh_tokens = {kRefreshToken};
    YoutubeSandboxConfig::Video video;
    video.id = kVideo;
    video.title = "Spring video";
    video.privacy = "private";
    channel.videos.push_back(video);
    youtube.channels.push_back(channel);
    Sandbox::Config config;
    config.youtube = std::move(youtube);
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "youtube";
    channel_.kind = ChannelKind::youtube;
    channel_.credentials = "youtube";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  YoutubeConnector connector(ConnectorState& state, std::string refresh = kRefreshToken) {
    return YoutubeConnector(channel_, YoutubeCredentials{kClientId, Secret(kClientSecret), Secret(std::move(refresh))},
                            recorder_, state, [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes the uploaded video and answers the request to read its counters.
  CountersRequest published(YoutubeConnector& youtube) {
    PublishRequest request;
    request.key = "spring-video@youtube";
    request.post = "spring-video";
    request.channel = "youtube";
    request.composed.kind = ChannelKind::youtube;
    request.composed.video = kVideo;
    request.composed.text = "Our spring video";
    request.composed.privacy = "public";
    PublishResult result = youtube.publish(request);
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

// videos#statistics: the strings read as integers; views, likes, comments
// (replies). dislikeCount and favoriteCount are left out.
TEST_F(YoutubeCountersTest, ReadsTheStatisticsUnderYoutubesNames) {
  auto youtube = connector(state_);
  EXPECT_TRUE(youtube.reads_counters());
  const CountersRequest request = published(youtube);
  advance(600s);
  CountersResult result = youtube.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"viewCount", metric::views, e.views},
                                                                    {"likeCount", metric::likes, e.likes},
                                                                    {"commentCount", metric::replies, e.replies}}));
  EXPECT_EQ(recorder_.count("GET", "/youtube/v3/videos?part=statistics&id=" + std::string(kVideo)), 1);
}

// Past the access token's hour: the read refreshes it and the counts have grown.
TEST_F(YoutubeCountersTest, CountersGrowBetweenTwoReads) {
  auto youtube = connector(state_);
  const CountersRequest request = published(youtube);
  advance(120s);
  CountersResult first = youtube.read_counters(request);
  advance(2h);
  CountersResult second = youtube.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  for (const char* name : {"viewCount", "likeCount", "commentCount"})
    EXPECT_LT(testing::counter(first, name).value_or(-1), testing::counter(second, name).value_or(-1)) << name;
  EXPECT_EQ(testing::counter(second, "viewCount"), engagement_after(7'320'000).views);
}

// videos.list leaves out an id YouTube does not have: an empty `items`.
TEST_F(YoutubeCountersTest, ADeletedVideoIsGone) {
  auto youtube = connector(state_);
  const CountersRequest request = published(youtube);
  ASSERT_TRUE(sandbox_->delete_post("youtube", request.remote_id));
  CountersResult result = youtube.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
}

// errors: quotaExceeded (403) lasts until midnight Pacific Time.
TEST_F(YoutubeCountersTest, TheQuotaSpentIsRetryLaterUntilPacificMidnight) {
  auto youtube = connector(state_);
  const CountersRequest request = published(youtube);
  sandbox_->add_fault({"GET /youtube/v3/videos", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  CountersResult result = youtube.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 22h);
}

// A revoked grant: the token endpoint answers invalid_grant.
TEST_F(YoutubeCountersTest, ARevokedRefreshTokenIsAuthFailedWithoutIt) {
  const CountersRequest request = [&] {
    auto youtube = connector(state_);
    return published(youtube);
  }();
  MemoryConnectorState fresh;  // no access token kept from the publish
  auto youtube = connector(fresh, "1//FAKE-revoked-refresh-token");
  CountersResult result = youtube.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("FAKE-revoked"), std::string::npos);
}

}  // namespace
}  // namespace herald
