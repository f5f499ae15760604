// How a post gathers engagement in herald-sandbox (sandbox_engagement): a
// pure function of the post's age on the sandbox clock, the one every
// platform module answers its counters from.
#include "tests/sandbox/sandbox_engagement.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(SandboxEngagementTest, NothingBeforeAPostIsMadeOrInItsFirstSecond) {
  for (std::int64_t ms : {-5'000, 0, 999}) {
    const Engagement e = engagement_after(ms);
    EXPECT_EQ(e.views + e.likes + e.clicks + e.shares + e.saves + e.quotes + e.replies, 0) << ms;
  }
}

TEST(SandboxEngagementTest, AnHourOfEngagement) {
  const Engagement e = engagement_after(3'600'000);
  EXPECT_EQ(e.views, 36'000);
  EXPECT_EQ(e.likes, 600);
  EXPECT_EQ(e.clicks, 240);
  EXPECT_EQ(e.shares, 120);
  EXPECT_EQ(e.saves, 80);
  EXPECT_EQ(e.quotes, 60);
  EXPECT_EQ(e.replies, 30);
}

// Views grow fastest and replies slowest; over two minutes every counter moves.
TEST(SandboxEngagementTest, EveryCounterGrowsAndViewsFastest) {
  const Engagement a = engagement_after(60'000);
  const Engagement b = engagement_after(180'000);
  EXPECT_LT(a.views, b.views);
  EXPECT_LT(a.likes, b.likes);
  EXPECT_LT(a.clicks, b.clicks);
  EXPECT_LT(a.shares, b.shares);
  EXPECT_LT(a.saves, b.saves);
  EXPECT_LT(a.quotes, b.quotes);
  EXPECT_LT(a.replies, b.replies);
  EXPECT_GT(b.views, b.likes);
  EXPECT_GT(b.likes, b.replies);
  EXPECT_EQ(b.replies, 1);
}

}  // namespace
}  // namespace herald
