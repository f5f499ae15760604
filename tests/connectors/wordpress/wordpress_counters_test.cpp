// WordpressConnector::read_counters against the in-process sandbox, over
// real HTTP on loopback: the post read by id (GET /wp/v2/posts/<id>,
// developer.wordpress.org/rest-api/reference/posts/#retrieve-a-post), then
// its approved comments counted by the collection's X-WP-Total (GET
// /wp/v2/comments?post=<id>&per_page=1,
// developer.wordpress.org/rest-api/reference/comments/#list-comments and
// .../using-the-rest-api/pagination/). The sandbox's clock is moved by the
// test, so comments arrive without waiting. wordpress_connector_real_test.cpp
// reads a real WordPress's comments the same way.
#include "connectors/wordpress/wordpress_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/support/counters_result.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;
using testing::describe;

const std::string kPassword = "abcd EFGH ijkl MNOP qrst UVWX";
// 2026-12-02T10:00:00Z.
constexpr std::int64_t kStartMs = 1'796'205'600'000;

class WordpressCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.wordpress.users.push_back({1, "herald", "administrator", {kPassword}});
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "blog";
    channel_.kind = ChannelKind::wordpress;
    channel_.site = "https://blog.example.com";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  WordpressConnector connector(std::string password = kPassword) {
    return WordpressConnector(channel_, WordpressCredentials{"herald", Secret(std::move(password))}, recorder_,
                              [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes a post and answers the request to read its counters.
  CountersRequest published(WordpressConnector& wp, const std::string& post) {
    PublishRequest request;
    request.post = post;
    request.channel = "blog";
    request.key = post + "@blog";
    request.composed.kind = ChannelKind::wordpress;
    request.composed.title = "Counting on herald";
    request.composed.text = "<p>Hello from herald</p>";
    PublishResult result = wp.publish(request);
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
};

// The approved comments, as "comments" (replies): all WordPress counts.
TEST_F(WordpressCountersTest, CountsTheApprovedCommentsByXWpTotal) {
  auto wp = connector();
  EXPECT_TRUE(wp.reads_counters());
  const CountersRequest request = published(wp, "counted");
  advance(1h);
  CountersResult result = wp.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  EXPECT_EQ(std::get<Counters>(result).values,
            (std::vector<Counter>{{"comments", metric::replies, engagement_after(3'600'000).replies}}));
  EXPECT_EQ(recorder_.count("GET", "/wp-json/wp/v2/posts/" + request.remote_id), 1);
  EXPECT_EQ(recorder_.count("GET", "/wp-json/wp/v2/comments?post=" + request.remote_id + "&per_page=1"), 1);
}

TEST_F(WordpressCountersTest, CommentsGrowBetweenTwoReads) {
  auto wp = connector();
  const CountersRequest request = published(wp, "growing");
  advance(10min);
  CountersResult first = wp.read_counters(request);
  advance(1h);
  CountersResult second = wp.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  EXPECT_EQ(testing::counter(first, "comments"), engagement_after(600'000).replies);
  EXPECT_EQ(testing::counter(second, "comments"), engagement_after(4'200'000).replies);
  EXPECT_LT(*testing::counter(first, "comments"), *testing::counter(second, "comments"));
}

// Posts: DELETE moves a post to the trash ("Move to Trash" in wp-admin);
// the comments of a trashed post are no longer listed, so the post itself
// says it is gone. force=true deletes it for good: 404 rest_post_invalid_id.
TEST_F(WordpressCountersTest, ATrashedOrDeletedPostIsGone) {
  auto wp = connector();
  const CountersRequest request = published(wp, "trashed");
  advance(1h);
  ASSERT_TRUE(sandbox_->delete_post("wordpress", request.remote_id));  // to the trash
  CountersResult trashed = wp.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(trashed)) << describe(trashed);
  EXPECT_NE(std::get<Gone>(trashed).message.find("in the trash"), std::string::npos);

  httplib::Client client("127.0.0.1", sandbox_->port());
  auto res = client.Delete("/wp-json/wp/v2/posts/" + request.remote_id + "?force=true",
                           httplib::Headers{{"Authorization", basic_authorization("herald", Secret(kPassword))}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  CountersResult deleted = wp.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(deleted)) << describe(deleted);
}

// WordPress does not limit itself; a host or security plugin answers 429
// with Retry-After.
TEST_F(WordpressCountersTest, ARateLimitIsRetryLaterAfterRetryAfter) {
  auto wp = connector();
  const CountersRequest request = published(wp, "limited");
  sandbox_->add_fault({"GET /wp-json/wp/v2/comments", Sandbox::FaultMode::rate_limit, 1, 90, 0});
  CountersResult result = wp.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 90s);
}

// Application Passwords: a wrong one is 401 incorrect_password.
TEST_F(WordpressCountersTest, AWrongApplicationPasswordIsAuthFailedWithoutIt) {
  const CountersRequest request = [&] {
    auto wp = connector();
    return published(wp, "then-revoked");
  }();
  auto wp = connector("zzzz zzzz zzzz zzzz zzzz zzzz");
  CountersResult result = wp.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("zzzz"), std::string::npos);
}

}  // namespace
}  // namespace herald
