#include "scheduler/retry_policy.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <limits>
#include <random>

namespace herald {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

RetryPolicy fixed(int attempts = 5, seconds backoff = 30s, seconds max_backoff = 1800s) {
  RetryPolicy p;
  p.attempts = attempts;
  p.backoff = backoff;
  p.max_backoff = max_backoff;
  p.jitter = false;
  return p;
}

RetryPolicy jittered(int attempts = 5, seconds backoff = 30s, seconds max_backoff = 1800s) {
  RetryPolicy p = fixed(attempts, backoff, max_backoff);
  p.jitter = true;
  return p;
}

const double kAlmostOne = std::nextafter(1.0, 0.0);

TEST(RetryPolicyTest, DefaultsMatchTheDesign) {
  const RetryPolicy p;
  EXPECT_EQ(p.attempts, 5);
  EXPECT_EQ(p.backoff, 30s);
  EXPECT_EQ(p.max_backoff, 30min);
  EXPECT_TRUE(p.jitter);
}

TEST(RetryPolicyTest, FromSettingsCopiesEveryFieldAndJitters) {
  RetrySettings s;
  s.attempts = 3;
  s.backoff = 10s;
  s.max_backoff = 100s;
  const RetryPolicy p = RetryPolicy::from(s);
  EXPECT_EQ(p.attempts, 3);
  EXPECT_EQ(p.backoff, 10s);
  EXPECT_EQ(p.max_backoff, 100s);
  EXPECT_TRUE(p.jitter);
  EXPECT_EQ(p.delay(1, 0.5), 5s);
  EXPECT_EQ(p.delay(2, 0.5), 10s);
  EXPECT_EQ(p.delay(3, 0.5), std::nullopt);
}

TEST(RetryPolicyTest, FromDefaultSettingsEqualsTheDefaultPolicy) {
  const RetryPolicy p = RetryPolicy::from(RetrySettings{});
  const RetryPolicy d;
  EXPECT_EQ(p.attempts, d.attempts);
  EXPECT_EQ(p.backoff, d.backoff);
  EXPECT_EQ(p.max_backoff, d.max_backoff);
  EXPECT_EQ(p.jitter, d.jitter);
}

TEST(RetryPolicyTest, WithoutJitterTheDelayDoublesFromTheBackoff) {
  const RetryPolicy p = fixed();
  EXPECT_EQ(p.delay(1, 0.0), 30s);
  EXPECT_EQ(p.delay(2, 0.0), 60s);
  EXPECT_EQ(p.delay(3, 0.0), 120s);
  EXPECT_EQ(p.delay(4, kAlmostOne), 240s);  // random01 is ignored
}

TEST(RetryPolicyTest, WithoutJitterTheDelayIsCappedAtMaxBackoff) {
  const RetryPolicy p = fixed(20);
  EXPECT_EQ(p.delay(6, 0.0), 960s);
  EXPECT_EQ(p.delay(7, 0.0), 1800s);  // 1920 capped
  EXPECT_EQ(p.delay(8, 0.0), 1800s);
  EXPECT_EQ(p.delay(19, 0.0), 1800s);
}

TEST(RetryPolicyTest, FullJitterWithFixedRandomNumbers) {
  const RetryPolicy p = jittered(20);
  EXPECT_EQ(p.delay(1, 0.0), 0s);
  EXPECT_EQ(p.delay(1, 0.5), 15s);
  EXPECT_EQ(p.delay(1, 0.999), 29s);  // floor(29.97)
  EXPECT_EQ(p.delay(1, kAlmostOne), 29s);
  EXPECT_EQ(p.delay(2, 0.5), 30s);
  EXPECT_EQ(p.delay(3, 0.5), 60s);
  EXPECT_EQ(p.delay(4, 0.25), 60s);
  EXPECT_EQ(p.delay(7, 0.0), 0s);
  EXPECT_EQ(p.delay(7, 0.5), 900s);  // half of the cap, not of 1920
  EXPECT_EQ(p.delay(7, 0.999), 1798s);
  EXPECT_EQ(p.delay(12, kAlmostOne), 1799s);
}

TEST(RetryPolicyTest, RandomNumbersOutsideTheUnitIntervalStayInRange) {
  const RetryPolicy p = jittered();
  EXPECT_EQ(p.delay(1, -0.5), 0s);
  EXPECT_EQ(p.delay(1, 1.0), 30s);
  EXPECT_EQ(p.delay(1, 7.0), 30s);
  EXPECT_EQ(p.delay(1, std::numeric_limits<double>::quiet_NaN()), 0s);
  EXPECT_EQ(p.delay(1, std::numeric_limits<double>::infinity()), 0s);
  EXPECT_EQ(p.delay(1, -std::numeric_limits<double>::infinity()), 0s);
}

// Independent of the implementation: the capped exponential for small n.
seconds expected_cap(const RetryPolicy& p, int failed_attempts) {
  if (failed_attempts - 1 >= 40) return p.max_backoff;
  const long long exp = p.backoff.count() << (failed_attempts - 1);
  return std::min(p.max_backoff, seconds{exp});
}

TEST(RetryPolicyTest, JitteredDelaysStayWithinZeroAndTheCap) {
  std::mt19937_64 rng(20270302);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const RetryPolicy p = jittered(60, 7s, 3600s);
  for (int i = 0; i < 20000; ++i) {
    const int n = 1 + i % 59;
    const auto d = p.delay(n, uniform(rng));
    ASSERT_TRUE(d.has_value()) << n;
    EXPECT_GE(*d, 0s) << n;
    EXPECT_LE(*d, expected_cap(p, n)) << n;
  }
}

TEST(RetryPolicyTest, JitteredDelaysSpreadOverTheRange) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const RetryPolicy p = jittered(5, 1000s, 1000s);
  int low = 0, high = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto d = *p.delay(1, uniform(rng));
    if (d < 250s) ++low;
    if (d >= 750s) ++high;
  }
  EXPECT_GT(low, 300);
  EXPECT_GT(high, 300);
}

TEST(RetryPolicyTest, NoDelayOnceAttemptsAreUsedUp) {
  const RetryPolicy p = jittered();
  EXPECT_TRUE(p.delay(4, 0.5).has_value());  // the fifth attempt is still ahead
  EXPECT_EQ(p.delay(5, 0.5), std::nullopt);
  EXPECT_EQ(p.delay(6, 0.5), std::nullopt);
  EXPECT_EQ(p.delay(INT_MAX, 0.5), std::nullopt);
  EXPECT_EQ(fixed(1).delay(1, 0.5), std::nullopt);  // one attempt: never retried
  EXPECT_EQ(fixed(0).delay(1, 0.5), std::nullopt);
}

TEST(RetryPolicyTest, PlatformHintIsAFloor) {
  const RetryPolicy p = jittered();
  EXPECT_EQ(p.delay(1, 0.0, 45s), 45s);      // jitter drew 0: the platform's time wins
  EXPECT_EQ(p.delay(1, 0.5, 10s), 15s);      // ours is later: ours
  EXPECT_EQ(p.delay(3, 0.5, 60s), 60s);      // equal
  EXPECT_EQ(p.delay(1, 0.5, 2h), 2h);        // beyond max_backoff: still honoured
  EXPECT_EQ(fixed().delay(3, 0.0, 10s), 120s);
  EXPECT_EQ(fixed().delay(3, 0.0, seconds{-5}), 120s);
  EXPECT_EQ(p.delay(1, 0.0, std::nullopt), 0s);
}

TEST(RetryPolicyTest, PlatformHintNeverAddsAnAttempt) {
  const RetryPolicy p = jittered();
  EXPECT_EQ(p.delay(5, 0.5, 60s), std::nullopt);
  EXPECT_EQ(p.delay(5, 0.5, 0s), std::nullopt);
  EXPECT_EQ(fixed(1).delay(1, 0.0, 1s), std::nullopt);
}

TEST(RetryPolicyTest, HugeAttemptCountsDoNotOverflow) {
  const RetryPolicy p = fixed(INT_MAX);
  EXPECT_EQ(p.delay(64, 0.0), 1800s);
  EXPECT_EQ(p.delay(65, 0.0), 1800s);
  EXPECT_EQ(p.delay(1000, 0.0), 1800s);
  EXPECT_EQ(p.delay(INT_MAX - 1, 0.0), 1800s);
  EXPECT_EQ(jittered(INT_MAX).delay(INT_MAX - 1, 0.5), 900s);
}

TEST(RetryPolicyTest, HugeDurationsDoNotOverflow) {
  const seconds huge = seconds::max();
  const RetryPolicy p = fixed(INT_MAX, seconds{huge.count() / 3}, huge);
  EXPECT_EQ(p.delay(1, 0.0), seconds{huge.count() / 3});
  EXPECT_EQ(p.delay(2, 0.0), seconds{huge.count() / 3 * 2});
  EXPECT_EQ(p.delay(3, 0.0), huge);
  EXPECT_EQ(p.delay(INT_MAX - 1, 0.0), huge);
  const auto j = jittered(INT_MAX, seconds{huge.count() / 3}, huge).delay(100, kAlmostOne);
  ASSERT_TRUE(j.has_value());
  EXPECT_GE(*j, 0s);
  EXPECT_LE(*j, huge);
}

TEST(RetryPolicyTest, MaxBackoffBelowBackoffCapsTheFirstDelay) {
  EXPECT_EQ(fixed(5, 60s, 45s).delay(1, 0.0), 45s);
  EXPECT_EQ(jittered(5, 60s, 45s).delay(1, 0.5), 22s);
}

TEST(RetryPolicyTest, ZeroBackoffIsZeroForEveryAttempt) {
  const RetryPolicy p = fixed(INT_MAX, 0s, 1800s);
  EXPECT_EQ(p.delay(1, 0.0), 0s);
  EXPECT_EQ(p.delay(INT_MAX - 1, 0.0), 0s);  // and returns at once
  EXPECT_EQ(p.delay(INT_MAX - 1, 0.0, 5s), 5s);
}

TEST(RetryPolicyTest, NegativeSettingsNeverGiveANegativeDelay) {
  EXPECT_EQ(fixed(5, seconds{-30}, 1800s).delay(2, 0.0), 0s);
  EXPECT_EQ(fixed(5, 30s, seconds{-1}).delay(2, 0.0), 0s);
}

TEST(RetryPolicyTest, FailedAttemptsBelowOneCountAsOne) {
  // The contract is failed_attempts >= 1; a caller's off-by-one must not
  // produce a shift by a negative amount.
  EXPECT_EQ(fixed().delay(0, 0.0), 30s);
  EXPECT_EQ(fixed().delay(-3, 0.0), 30s);
}

}  // namespace
}  // namespace herald
