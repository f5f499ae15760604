// The rules that settle a create whose answer was lost (scheduler/settle.hpp),
// on their own: no store, no clock, no connector.
#include "scheduler/settle.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

const Instant T0 = date::sys_days{2027_y / 3 / 2} + 9h;

Settling lost_at(Instant since, std::chrono::seconds margin) {
  Settling s;
  s.key = "a@x";
  s.since = since;
  s.absent_counts_from = since + margin;
  s.next_lookup = since;
  s.lost = "no answer: read timeout";
  return s;
}

TEST(SettleTest, LookupGapsGrowToTheirCapAndNeverPassTheDecidingMoment) {
  const SettleSchedule schedule{5s, 60s};
  const Instant far = T0 + 1h;
  EXPECT_EQ(schedule.next(T0, 1, far), T0 + 5s);
  EXPECT_EQ(schedule.next(T0, 2, far), T0 + 10s);
  EXPECT_EQ(schedule.next(T0, 3, far), T0 + 20s);
  EXPECT_EQ(schedule.next(T0, 5, far), T0 + 60s);
  EXPECT_EQ(schedule.next(T0, 50, far), T0 + 60s);
  // The lookup that can decide runs as soon as absence counts.
  EXPECT_EQ(schedule.next(T0, 5, T0 + 7s), T0 + 7s);
  // Past that moment the gap applies as usual.
  EXPECT_EQ(schedule.next(T0 + 10s, 1, T0 + 7s), T0 + 15s);
}

TEST(SettleTest, FoundIsProofAtAnyTime) {
  const auto s = lost_at(T0, 120s);
  const auto d = settle_step(Found{"1", "https://x.com/a/status/1"}, s, T0 + 1s, {});
  EXPECT_EQ(d.action, SettleAction::publish);
  EXPECT_EQ(d.detail, "found by lookup after a lost answer (lookup 1, 1 s after the answer was lost): "
                      "https://x.com/a/status/1");
}

TEST(SettleTest, AbsenceProvesNothingUntilTheMarginHasPassed) {
  auto s = lost_at(T0, 120s);
  auto early = settle_step(Absent{}, s, T0 + 119s, {5s, 60s});
  EXPECT_EQ(early.action, SettleAction::look_again);
  EXPECT_EQ(early.next, T0 + 120s);
  s.lookups = 6;
  auto late = settle_step(Absent{}, s, T0 + 120s, {});
  EXPECT_EQ(late.action, SettleAction::send_again);
  EXPECT_EQ(late.detail, "lookup: absent 120 s after the answer was lost (7 lookups); sending again");
}

TEST(SettleTest, APlatformThatCannotTellByTheEndLeavesItToAPerson) {
  const auto s = lost_at(T0, 60s);
  EXPECT_EQ(settle_step(Unknown{"HTTP 503"}, s, T0 + 30s, {}).action, SettleAction::look_again);
  const auto end = settle_step(Unknown{"HTTP 503"}, s, T0 + 60s, {});
  EXPECT_EQ(end.action, SettleAction::needs_review);
  EXPECT_NE(end.detail.find("HTTP 503"), std::string::npos);
  EXPECT_NE(end.detail.find("no answer: read timeout"), std::string::npos);
}

}  // namespace
}  // namespace herald
