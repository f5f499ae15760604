// Post lookup in the X part of herald-sandbox, spoken to directly with an
// HTTP client and OAuth 1.0a signatures: GET /2/tweets?ids=...
// (docs.x.com/x-api/posts/post-lookup-by-post-ids) with public_metrics
// (developer.x.com/en/docs/x-api/metrics) that grow with the post's age on
// the sandbox's injected clock. The rest of the X emulation is tested in
// sandbox_test.cpp.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "connectors/oauth1.hpp"

namespace herald {
namespace {
namespace json = boost::json;

// 2026-12-02T10:00:00Z.
constexpr std::int64_t kStartMs = 1'796'205'600'000;

XSandboxConfig::Account test_account() {
  return {"ck-test", "cs-test", "1001-at-test", "ats-test", "1001", "herald_test"};
}

class XSandboxLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.x.accounts.push_back(test_account());
    config.x.lookup_limit = 3;
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(2));
  }
  void TearDown() override { sandbox_->stop(); }

  // OAuth 1.0a over the URL as sent (query included), on the sandbox's clock.
  httplib::Headers signed_for(const std::string& method, const std::string& target) {
    const auto account = test_account();
    OAuth1Credentials credentials{account.consumer_key, Secret(account.consumer_secret), account.access_token,
                                  Secret(account.access_token_secret)};
    return {{"Authorization",
             oauth1_authorization(method, "http://127.0.0.1:" + std::to_string(sandbox_->port()) + target, {},
                                  credentials, "nonce" + std::to_string(++nonce_), now_ms_.load() / 1000)}};
  }
  std::string post(const std::string& text) {
    auto res = client_->Post("/2/tweets", signed_for("POST", "/2/tweets"), json::serialize(json::object{{"text", text}}),
                             "application/json");
    EXPECT_TRUE(res && res->status == 201) << (res ? res->body : "no answer");
    return res ? std::string(json::parse(res->body).at("data").at("id").as_string()) : std::string();
  }
  httplib::Result lookup(const std::string& query) {
    const std::string target = "/2/tweets" + query;
    return client_->Get(target, signed_for("GET", target));
  }
  void advance(std::chrono::seconds by) { now_ms_ += by.count() * 1000; }

  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
  int nonce_ = 0;
};

// Post lookup: data[] with id, text and edit_history_tweet_ids; metrics:
// public_metrics {retweet_count, reply_count, like_count, quote_count,
// bookmark_count, impression_count}, here growing with the post's age.
TEST_F(XSandboxLookupTest, PublicMetricsGrowWithThePostsAge) {
  const std::string id = post("Counting");
  advance(std::chrono::seconds(600));
  auto res = lookup("?ids=" + id + "&tweet.fields=public_metrics,created_at");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json::value body = json::parse(res->body);
  const json::object& data = body.at("data").at(0).as_object();
  EXPECT_EQ(data.at("id").as_string(), id);
  EXPECT_EQ(data.at("text").as_string(), "Counting");
  EXPECT_EQ(data.at("edit_history_tweet_ids").at(0).as_string(), id);
  EXPECT_EQ(data.at("created_at").as_string(), "2026-12-02T10:00:00.000Z");
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(json::serialize(data.at("public_metrics")),
            json::serialize(json::object{{"retweet_count", e.shares},
                                         {"reply_count", e.replies},
                                         {"like_count", e.likes},
                                         {"quote_count", e.quotes},
                                         {"bookmark_count", e.saves},
                                         {"impression_count", e.views}}));
  EXPECT_FALSE(body.as_object().contains("errors"));
  advance(std::chrono::hours(1));
  auto later = lookup("?ids=" + id + "&tweet.fields=public_metrics");
  ASSERT_TRUE(later);
  EXPECT_EQ(json::parse(later->body).at("data").at(0).at("public_metrics").at("impression_count").as_int64(),
            engagement_after(4'200'000).views);
}

// Post lookup: an id X does not have is a "Not Found Error" beside the
// data; with none found the 200 has errors only. A deleted post is one X
// does not have.
TEST_F(XSandboxLookupTest, MissingAndDeletedPostsAreNotFoundErrors) {
  const std::string kept = post("Kept");
  const std::string deleted = post("Deleted");
  ASSERT_TRUE(sandbox_->delete_post("x", deleted));
  auto res = lookup("?ids=" + kept + "," + deleted);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json::value body = json::parse(res->body);
  ASSERT_EQ(body.at("data").as_array().size(), 1u);
  EXPECT_EQ(body.at("data").at(0).at("id").as_string(), kept);
  EXPECT_FALSE(body.at("data").at(0).as_object().contains("public_metrics"));  // not asked for
  const json::object& error = body.at("errors").at(0).as_object();
  EXPECT_EQ(error.at("title").as_string(), "Not Found Error");
  EXPECT_EQ(error.at("detail").as_string(), "Could not find tweet with ids: [" + deleted + "].");
  EXPECT_EQ(error.at("resource_id").as_string(), deleted);
  EXPECT_EQ(error.at("parameter").as_string(), "ids");
  EXPECT_EQ(error.at("type").as_string(), "https://api.twitter.com/2/problems/resource-not-found");

  auto none = lookup("?ids=" + deleted + "&tweet.fields=public_metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 200);
  body = json::parse(none->body);
  EXPECT_FALSE(body.as_object().contains("data"));
  EXPECT_EQ(body.at("errors").as_array().size(), 1u);
}

// Post lookup: 1 to 100 ids; tweet.fields from X's list.
TEST_F(XSandboxLookupTest, RefusesBadParameters) {
  auto empty = lookup("?ids=");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  std::string many = "1";
  for (int i = 2; i <= 101; ++i) many += "," + std::to_string(i);
  auto too_many = lookup("?ids=" + many);
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 400);
  auto unknown = lookup("?ids=1&tweet.fields=non_public_metrics");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  // And unsigned: X's plain 401.
  auto anonymous = client_->Get("/2/tweets?ids=1");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

// Rate limits: the lookup's own window (lookup_limit per 15 minutes here 3)
// with x-rate-limit-* headers, then 429; an armed "GET /2/tweets" fault
// answers the lookup and leaves the create alone.
TEST_F(XSandboxLookupTest, HasItsOwnRateLimitWindowAndFaults) {
  const std::string id = post("Limited");
  for (int i = 0; i < 3; ++i) {
    auto res = lookup("?ids=" + id);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("x-rate-limit-limit"), "3");
    EXPECT_EQ(res->get_header_value("x-rate-limit-remaining"), std::to_string(2 - i));
  }
  auto limited = lookup("?ids=" + id);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("x-rate-limit-reset"), std::to_string(kStartMs / 1000 + 900));

  sandbox_->add_fault({"GET /2/tweets", Sandbox::FaultMode::server_error, 1, 60, 0});
  EXPECT_FALSE(post("A create is not a lookup").empty());
  advance(std::chrono::seconds(900));  // a new window
  auto faulted = lookup("?ids=" + id);
  ASSERT_TRUE(faulted);
  EXPECT_EQ(faulted->status, 500);
}

}  // namespace
}  // namespace herald
