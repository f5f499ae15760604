// XConnector::read_counters against the in-process sandbox, over real HTTP
// on loopback: a post's public_metrics read by post lookup
// (docs.x.com/x-api/posts/post-lookup-by-post-ids, GET
// /2/tweets?ids=ID&tweet.fields=public_metrics) and mapped to the common
// vocabulary (developer.x.com/en/docs/x-api/metrics). The sandbox and the
// connector share one manual clock, so a post's counters grow by moving it
// (the OAuth 1.0a timestamps move with it), never by sleeping.
#include "connectors/x/x_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/support/counters_result.hpp"
#include "tests/support/recording_client.hpp"

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

// 2026-12-02T10:00:00Z.
constexpr std::int64_t kStartMs = 1'796'205'600'000;

XSandboxConfig::Account test_account() {
  return {"ck-test", "cs-test", "1001-at-test", "ats-test", "1001", "herald_test"};
}

XCredentials credentials_for(const XSandboxConfig::Account& account) {
  return {{account.consumer_key, Secret(account.consumer_secret), account.access_token,
           Secret(account.access_token_secret)},
          "1001"};
}

class XCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.x.accounts.push_back(test_account());
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "x";
    channel_.account = "herald_test";
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/";
  }
  void TearDown() override { sandbox_->stop(); }

  XConnector connector(XCredentials credentials = credentials_for(test_account())) {
    return XConnector(channel_, std::move(credentials), recorder_, [this] { return "nonce" + std::to_string(++nonce_); },
                      [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes `text` and answers the request to read its counters.
  CountersRequest published(XConnector& x, const std::string& text) {
    PublishRequest request;
    request.key = "post@x";
    request.post = "post";
    request.channel = "x";
    request.composed.text = text;
    PublishResult result = x.publish(request);
    EXPECT_TRUE(std::holds_alternative<Published>(result)) << result.index();
    CountersRequest out{request.key, request.post, request.channel, {}, {}};
    if (const auto* p = std::get_if<Published>(&result)) {
      out.remote_id = p->remote_id;
      out.url = p->url;
    }
    return out;
  }

  void advance(std::chrono::seconds by) { now_ms_ += by.count() * 1000; }

  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 2s, .write_timeout = 1s}};
  RecordingClient recorder_{http_};
  int nonce_ = 0;
};

// Metrics: public_metrics under X's own names; likes, reposts and quotes,
// replies in the common words, bookmarks in none.
TEST_F(XCountersTest, ReadsPublicMetricsUnderXsNames) {
  auto x = connector();
  EXPECT_TRUE(x.reads_counters());
  const CountersRequest request = published(x, "Counting on herald");
  advance(600s);
  CountersResult result = x.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values, (std::vector<Counter>{{"impression_count", metric::views, e.views},
                                                                    {"like_count", metric::likes, e.likes},
                                                                    {"retweet_count", metric::shares, e.shares},
                                                                    {"quote_count", metric::shares, e.quotes},
                                                                    {"reply_count", metric::replies, e.replies},
                                                                    {"bookmark_count", "", e.saves}}));
  // One GET, signed: the read is a post lookup by id.
  ASSERT_EQ(recorder_.count("GET", "/2/tweets?ids=" + request.remote_id + "&tweet.fields=public_metrics"), 1);
}

TEST_F(XCountersTest, CountersGrowBetweenTwoReads) {
  auto x = connector();
  const CountersRequest request = published(x, "Growing");
  advance(60s);
  CountersResult first = x.read_counters(request);
  advance(1h);
  CountersResult second = x.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  const auto& before = std::get<Counters>(first).values;
  const auto& after = std::get<Counters>(second).values;
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].name, after[i].name);
    EXPECT_LT(before[i].value, after[i].value) << before[i].name;
  }
  EXPECT_EQ(testing::counter(second, "impression_count"), engagement_after(3'660'000).views);
}

// Post lookup: X answers a post it does not have with 200, a "Not Found
// Error" in `errors` and no `data`.
TEST_F(XCountersTest, ADeletedPostIsGone) {
  auto x = connector();
  const CountersRequest request = published(x, "Soon deleted");
  ASSERT_TRUE(sandbox_->delete_post("x", request.remote_id));
  CountersResult result = x.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
  EXPECT_NE(std::get<Gone>(result).message.find("Could not find tweet with ids: [" + request.remote_id + "]"),
            std::string::npos)
      << std::get<Gone>(result).message;
}

// Rate limits (docs.x.com/fundamentals/rate-limits): 429 with
// x-rate-limit-reset, the epoch second the window resets.
TEST_F(XCountersTest, ARateLimitIsRetryLaterUntilTheReset) {
  auto x = connector();
  const CountersRequest request = published(x, "Limited");
  sandbox_->add_fault({"GET /2/tweets", Sandbox::FaultMode::rate_limit, 1, 420, 0});
  CountersResult result = x.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 420s);
}

// A read changes nothing: a 5xx is RetryLater (never Unsure), and the
// connector does not send it again by itself.
TEST_F(XCountersTest, AServerErrorIsRetryLaterAndNotRepeated) {
  auto x = connector();
  const CountersRequest request = published(x, "Flaky");
  sandbox_->add_fault({"GET /2/tweets", Sandbox::FaultMode::server_error, 1, 60, 0});
  const int before = recorder_.total();
  CountersResult result = x.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  EXPECT_EQ(recorder_.total(), before + 1);
}

TEST_F(XCountersTest, AWrongSecretIsAuthFailedWithoutTheSecret) {
  const CountersRequest request = [&] {
    auto x = connector();
    return published(x, "Then the keys change");
  }();
  XSandboxConfig::Account wrong = test_account();
  wrong.access_token_secret = "not-the-secret";
  auto x = connector(credentials_for(wrong));
  CountersResult result = x.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("not-the-secret"), std::string::npos);
}

}  // namespace
}  // namespace herald
