// MastodonConnector::read_counters against the in-process sandbox, over real
// HTTP on loopback: a status's counts read with "View a single status" (GET
// /api/v1/statuses/:id, docs.joinmastodon.org/methods/statuses) and mapped
// from entities/Status (docs.joinmastodon.org/entities/Status:
// favourites_count, reblogs_count, quotes_count, replies_count). The sandbox
// and the connector share one manual clock, so counts grow by moving it.
#include "connectors/mastodon/mastodon_connector.hpp"

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

constexpr const char* kToken = "FAKE-mastodon-token-for-counters-tests";
constexpr const char* kAccountId = "109000000000000001";
// 2026-12-02T10:00:00Z, on a 5-minute boundary.
constexpr std::int64_t kStart = 1796205600;

class MastodonCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config c;
    c.mastodon.accounts = {{kAccountId, "sandbox_herald", kToken, {"read", "write"}}};
    c.now_ms = [this] { return now_s_.load() * 1000; };
    sandbox_ = std::make_unique<Sandbox>(std::move(c));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "mastodon";
    channel_.kind = ChannelKind::mastodon;
    channel_.instance = "https://mastodon.example";
    channel_.account = "sandbox_herald";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  MastodonConnector connector(const std::string& token = kToken) {
    return MastodonConnector(channel_, MastodonCredentials{Secret(token)}, recorder_, state_,
                             [this] { return Instant{std::chrono::seconds{now_s_.load()}}; });
  }

  // Publishes `text` and answers the request to read its counters.
  CountersRequest published(MastodonConnector& mastodon, const std::string& text) {
    PublishRequest request;
    request.key = "spring@mastodon";
    request.post = "spring";
    request.channel = "mastodon";
    request.composed.kind = ChannelKind::mastodon;
    request.composed.text = text;
    request.composed.visibility = "public";
    PublishResult result = mastodon.publish(request);
    EXPECT_TRUE(std::holds_alternative<Published>(result)) << result.index();
    const auto* p = std::get_if<Published>(&result);
    return CountersRequest{request.key, request.post, request.channel, p ? p->remote_id : "", p ? p->url : ""};
  }

  void advance(std::chrono::seconds by) { now_s_ += by.count(); }

  std::atomic<std::int64_t> now_s_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
};

// entities/Status: favourites (likes), boosts and quotes (shares), replies.
TEST_F(MastodonCountersTest, ReadsTheStatusCountsUnderMastodonsNames) {
  auto mastodon = connector();
  EXPECT_TRUE(mastodon.reads_counters());
  const CountersRequest request = published(mastodon, "Counting on herald");
  advance(600s);
  CountersResult result = mastodon.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"favourites_count", metric::likes, e.likes},
                                                                    {"reblogs_count", metric::shares, e.shares},
                                                                    {"quotes_count", metric::shares, e.quotes},
                                                                    {"replies_count", metric::replies, e.replies}}));
  EXPECT_EQ(recorder_.count("GET", "/api/v1/statuses/" + request.remote_id), 1);
}

TEST_F(MastodonCountersTest, CountersGrowBetweenTwoReads) {
  auto mastodon = connector();
  const CountersRequest request = published(mastodon, "Growing");
  advance(120s);
  CountersResult first = mastodon.read_counters(request);
  advance(1h);
  CountersResult second = mastodon.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  for (const char* name : {"favourites_count", "reblogs_count", "quotes_count", "replies_count"})
    EXPECT_LT(testing::counter(first, name).value_or(-1), testing::counter(second, name).value_or(-1)) << name;
  EXPECT_EQ(testing::counter(second, "favourites_count"), engagement_after(3'720'000).likes);
}

// "View a single status": 404 {"error":"Record not found"} for a status
// that is gone.
TEST_F(MastodonCountersTest, ADeletedStatusIsGone) {
  auto mastodon = connector();
  const CountersRequest request = published(mastodon, "Soon deleted");
  ASSERT_TRUE(sandbox_->delete_post("mastodon", request.remote_id));
  CountersResult result = mastodon.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
  EXPECT_NE(std::get<Gone>(result).message.find("Record not found"), std::string::npos);
}

// api/rate-limits: 429 with X-RateLimit-Reset, an ISO 8601 time.
TEST_F(MastodonCountersTest, ARateLimitIsRetryLaterUntilTheReset) {
  auto mastodon = connector();
  const CountersRequest request = published(mastodon, "Limited");
  sandbox_->add_fault({"GET /api/v1/statuses/:id", Sandbox::FaultMode::rate_limit, 1, 240, 0});
  const int before = recorder_.total();
  CountersResult result = mastodon.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 240s);
  EXPECT_EQ(recorder_.total(), before + 1);  // never sent again by the connector
}

// entities/Error: 401 {"error":"The access token is invalid"}.
TEST_F(MastodonCountersTest, ABadTokenIsAuthFailedWithoutTheToken) {
  const CountersRequest request = [&] {
    auto mastodon = connector();
    return published(mastodon, "Then the token is revoked");
  }();
  auto mastodon = connector("FAKE-revoked-mastodon-token");
  CountersResult result = mastodon.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("FAKE-revoked"), std::string::npos);
}

}  // namespace
}  // namespace herald
