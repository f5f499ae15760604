#include "scheduler/schedule_diff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

const Instant kDay = date::sys_days{2027_y / date::March / 2};

ScheduledRow row(std::string key, Instant at, std::string text = "hello") {
  ScheduledRow r;
  r.key = key;
  r.post = key.substr(0, key.find('@'));
  r.channel = key.substr(key.find('@') + 1);
  r.at = at;
  r.text = std::move(text);
  return r;
}

std::vector<std::pair<ChangeKind, std::string>> kinds(const std::vector<ScheduleChange>& changes) {
  std::vector<std::pair<ChangeKind, std::string>> out;
  for (const auto& c : changes) out.emplace_back(c.kind, c.row().key);
  return out;
}

TEST(ScheduleDiff, SameRowsNoChange) {
  std::vector<ScheduledRow> rows{row("a@x", kDay), row("b@x", kDay + 1h)};
  EXPECT_TRUE(diff_schedules(rows, rows).empty());
}

TEST(ScheduleDiff, AddedRemovedMovedRetexted) {
  std::vector<ScheduledRow> before{row("gone@x", kDay), row("move@x", kDay + 1h), row("edit@x", kDay + 2h, "old words")};
  std::vector<ScheduledRow> after{row("move@x", kDay + 25h), row("edit@x", kDay + 2h, "new words"),
                                  row("new@x", kDay + 3h)};
  auto changes = diff_schedules(before, after);
  EXPECT_EQ(kinds(changes), (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::added, "new@x"},
                                                                             {ChangeKind::removed, "gone@x"},
                                                                             {ChangeKind::moved, "move@x"},
                                                                             {ChangeKind::retexted, "edit@x"}}));
  EXPECT_FALSE(changes[0].before);
  EXPECT_FALSE(changes[1].after);
  EXPECT_EQ(changes[2].before->at, kDay + 1h);
  EXPECT_EQ(changes[2].after->at, kDay + 25h);
  EXPECT_EQ(changes[3].text_diff, (std::vector<WordEdit>{{WordEdit::Op::removed, "old"},
                                                         {WordEdit::Op::added, "new"},
                                                         {WordEdit::Op::same, " words"}}));
}

TEST(ScheduleDiff, OneDeliveryCanChangeInSeveralWays) {
  auto a = row("a@x", kDay, "one");
  auto b = row("a@x", kDay + 1h, "two");
  b.draft = true;
  b.waiting = true;
  auto changes = diff_schedules({a}, {b});
  EXPECT_EQ(kinds(changes), (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::moved, "a@x"},
                                                                             {ChangeKind::retexted, "a@x"},
                                                                             {ChangeKind::drafted, "a@x"},
                                                                             {ChangeKind::now_waiting, "a@x"}}));
  auto back = diff_schedules({b}, {a});
  EXPECT_EQ(kinds(back), (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::moved, "a@x"},
                                                                          {ChangeKind::retexted, "a@x"},
                                                                          {ChangeKind::approved, "a@x"},
                                                                          {ChangeKind::no_longer_waiting, "a@x"}}));
}

TEST(ScheduleDiff, AQueuedDeliveryThatStaysQueuedShiftsItsSlot) {
  auto a = row("tip@x", kDay);
  a.queued = true;
  auto b = a;
  b.at = kDay + 24h;
  EXPECT_EQ(diff_schedules({a}, {b}).front().kind, ChangeKind::slot_shifted);
  // Given a time of its own, it moved.
  auto fixed = b;
  fixed.queued = false;
  EXPECT_EQ(diff_schedules({a}, {fixed}).front().kind, ChangeKind::moved);
}

TEST(ScheduleDiff, SortedByKindThenTimeThenKey) {
  auto changes = diff_schedules({}, {row("c@x", kDay + 2h), row("b@x", kDay + 1h), row("a@x", kDay + 1h)});
  EXPECT_EQ(kinds(changes), (std::vector<std::pair<ChangeKind, std::string>>{
                                {ChangeKind::added, "a@x"}, {ChangeKind::added, "b@x"}, {ChangeKind::added, "c@x"}}));
}

TEST(ScheduleDiff, WarningsComparedByMessageNotPlace) {
  std::vector<Diagnostic> before{{Severity::warning, {"/old/cal.yaml", 3, 5}, "post 'a' names Acme"},
                                 {Severity::warning, {"/old/cal.yaml", 9, 5}, "x is silent for 4 days"},
                                 {Severity::error, {"/old/cal.yaml", 1, 1}, "errors are not compared here"}};
  std::vector<Diagnostic> after{{Severity::warning, {"/new/cal.yaml", 7, 5}, "post 'a' names Acme"},
                                {Severity::warning, {"/new/cal.yaml", 8, 5}, "post 'b' names Acme"}};
  auto changes = diff_warnings(before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, ChangeKind::warning_new);
  EXPECT_EQ(changes[0].finding->message, "post 'b' names Acme");
  EXPECT_EQ(changes[0].finding->where.line, 8);
  EXPECT_EQ(changes[1].kind, ChangeKind::warning_gone);
  EXPECT_EQ(changes[1].finding->message, "x is silent for 4 days");
  EXPECT_EQ(changes[1].finding->where.file, "/old/cal.yaml");
}

TEST(ScheduleDiff, ARepeatedWarningCountsEachTime) {
  Diagnostic w{Severity::warning, {"c.yaml", 1, 1}, "same"};
  EXPECT_EQ(diff_warnings({w, w}, {w}).size(), 1u);
  EXPECT_EQ(diff_warnings({w}, {w, w}).front().kind, ChangeKind::warning_new);
  EXPECT_TRUE(diff_warnings({w}, {w}).empty());
}

TEST(ScheduleDiff, EveryKindHasAJsonNameAndATitle) {
  for (int k = 0; k < kChangeKinds; ++k) {
    EXPECT_NE(to_string(static_cast<ChangeKind>(k)), "?");
    EXPECT_NE(title_of(static_cast<ChangeKind>(k)), "?");
  }
}

}  // namespace
}  // namespace herald
