// LinkedinConnector::read_counters against the in-process sandbox, over real
// HTTP on loopback: the social actions summary of a post (GET
// /rest/socialActions/{encoded URN},
// learn.microsoft.com/linkedin/marketing/community-management/shares/network-update-social-actions)
// and, for an organization's post, its share statistics (GET
// /rest/organizationalEntityShareStatistics,
// learn.microsoft.com/linkedin/marketing/community-management/organizations/share-statistics),
// mapped to the common vocabulary. The sandbox and the connector share one
// manual clock.
#include "connectors/linkedin/linkedin_connector.hpp"

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

constexpr const char* kOrg = "urn:li:organization:2414183";
constexpr const char* kOrgToken = "FAKE-linkedin-org-token-for-counters";
constexpr const char* kMember = "urn:li:person:FAKEcountedMember";
constexpr const char* kMemberToken = "FAKE-linkedin-member-token-for-counters";
// 2026-12-02T10:00:00Z: 14 hours before midnight UTC.
constexpr std::int64_t kStartMs = 1'796'205'600'000;

class LinkedinCountersTest : public ::testing::Test {
 protected:
  void SetUp() override { start(true); }
  void TearDown() override { sandbox_->stop(); }

  // A sandbox whose organization token's member is an administrator or not.
  void start(bool admin) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    LinkedinSandboxConfig::Author org;
    org.urn = kOrg;
    org.access_token = kOrgToken;
    org.admin = admin;
    LinkedinSandboxConfig::Author member;
    member.urn = kMember;
    member.access_token = kMemberToken;
    config.linkedin.authors = {org, member};
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "linkedin";
    channel_.kind = ChannelKind::linkedin;
    channel_.author = kOrg;
    channel_.api_version = "202510";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }

  LinkedinConnector connector(std::string token = kOrgToken) {
    LinkedinCredentials credentials;
    credentials.access_token = Secret(std::move(token));
    return LinkedinConnector(channel_, std::move(credentials), recorder_, state_,
                             [this] { return Instant{std::chrono::seconds{now_ms_.load() / 1000}}; });
  }

  // Publishes `text` and answers the request to read its counters.
  CountersRequest published(LinkedinConnector& linkedin, const std::string& text) {
    PublishRequest request;
    request.key = "post@linkedin";
    request.post = "post";
    request.channel = "linkedin";
    request.composed.kind = ChannelKind::linkedin;
    request.composed.text = text;
    PublishResult result = linkedin.publish(request);
    EXPECT_TRUE(std::holds_alternative<Published>(result)) << result.index();
    const auto* p = std::get_if<Published>(&result);
    return CountersRequest{request.key, request.post, request.channel, p ? p->remote_id : "", p ? p->url : ""};
  }

  void advance(std::chrono::seconds by) { now_ms_ += by.count() * 1000; }

  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
};

// An organization's post: the summary's likes and all comments, and the
// share statistics' impressions (views), unique impressions (none),
// reshares and clicks, with the versioned headers on both requests.
TEST_F(LinkedinCountersTest, AnOrganizationsPostHasItsSummaryAndShareStatistics) {
  auto linkedin = connector();
  EXPECT_TRUE(linkedin.reads_counters());
  const CountersRequest request = published(linkedin, "Counting on herald");
  advance(600s);
  CountersResult result = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values,
            (std::vector<Counter>{{"totalLikes", metric::likes, e.likes},
                                  {"aggregatedTotalComments", metric::replies, e.replies + e.replies / 4},
                                  {"impressionCount", metric::views, e.views},
                                  {"uniqueImpressionsCount", "", e.views / 2},
                                  {"shareCount", metric::shares, e.shares},
                                  {"clickCount", metric::clicks, e.clicks}}));
  EXPECT_EQ(recorder_.count("GET", "/rest/socialActions/urn%3Ali%3Ashare%3A"), 1);
  EXPECT_EQ(recorder_.count("GET", "/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                                   "&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&shares=List(urn%3Ali%3Ashare%3A"),
            1);
  for (const auto& version : recorder_.headers("GET", "/rest/", "LinkedIn-Version")) EXPECT_EQ(version, "202510");
  EXPECT_EQ(recorder_.headers("GET", "/rest/", "X-Restli-Protocol-Version").size(), 2u);
}

// A member's post: the summary only; memberCreatorPostAnalytics would need
// r_member_postAnalytics, which herald does not ask for.
TEST_F(LinkedinCountersTest, AMembersPostHasItsSummaryOnly) {
  channel_.author = kMember;
  auto linkedin = connector(kMemberToken);
  const CountersRequest request = published(linkedin, "A member counts too");
  advance(600s);
  CountersResult result = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(std::get<Counters>(result).values,
            (std::vector<Counter>{{"totalLikes", metric::likes, e.likes},
                                  {"aggregatedTotalComments", metric::replies, e.replies + e.replies / 4}}));
  EXPECT_EQ(recorder_.count("GET", "organizationalEntityShareStatistics"), 0);
}

// share-statistics needs rw_organization_admin: a member who is no
// administrator is refused (403), and the summary is still returned.
TEST_F(LinkedinCountersTest, ShareStatisticsRefusedKeepTheSummary) {
  start(false);
  auto linkedin = connector();
  const CountersRequest request = published(linkedin, "Not an administrator");
  advance(600s);
  CountersResult result = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(result)) << describe(result);
  EXPECT_EQ(std::get<Counters>(result).values.size(), 2u);
  EXPECT_EQ(testing::counter(result, "totalLikes"), engagement_after(600'000).likes);
  EXPECT_FALSE(testing::counter(result, "impressionCount"));
}

TEST_F(LinkedinCountersTest, CountersGrowBetweenTwoReads) {
  auto linkedin = connector();
  const CountersRequest request = published(linkedin, "Growing");
  advance(120s);
  CountersResult first = linkedin.read_counters(request);
  advance(1h);
  CountersResult second = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Counters>(first)) << describe(first);
  ASSERT_TRUE(std::holds_alternative<Counters>(second)) << describe(second);
  for (const char* name : {"totalLikes", "aggregatedTotalComments", "impressionCount", "shareCount", "clickCount"})
    EXPECT_LT(testing::counter(first, name).value_or(-1), testing::counter(second, name).value_or(-1)) << name;
}

// The sandbox's answer for a deleted post (LinkedIn documents none): 404.
TEST_F(LinkedinCountersTest, ADeletedPostIsGone) {
  auto linkedin = connector();
  const CountersRequest request = published(linkedin, "Soon deleted");
  ASSERT_TRUE(sandbox_->delete_post("linkedin", request.remote_id));
  CountersResult result = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<Gone>(result)) << describe(result);
}

// Rate limits: daily, reset at midnight UTC, a 429 without Retry-After.
TEST_F(LinkedinCountersTest, ARateLimitIsRetryLaterUntilMidnightUtc) {
  auto linkedin = connector();
  const CountersRequest request = published(linkedin, "Limited");
  sandbox_->add_fault({"GET /rest/socialActions/:urn", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  CountersResult result = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << describe(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 14h);
}

// Error handling: 401 INVALID_ACCESS_TOKEN (serviceErrorCode 65600).
TEST_F(LinkedinCountersTest, AnInvalidTokenIsAuthFailedWithoutTheToken) {
  const CountersRequest request = [&] {
    auto linkedin = connector();
    return published(linkedin, "Then the token is revoked");
  }();
  auto linkedin = connector("FAKE-revoked-linkedin-token");
  CountersResult result = linkedin.read_counters(request);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << describe(result);
  EXPECT_EQ(testing::message_of(result).find("FAKE-revoked-linkedin-token"), std::string::npos);
}

}  // namespace
}  // namespace herald
