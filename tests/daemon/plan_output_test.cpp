#include "daemon/plan_output.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(PlanOutput, CodePointsCountsUtf8Characters) {
  EXPECT_EQ(code_points(""), 0u);
  EXPECT_EQ(code_points("abc"), 3u);
  EXPECT_EQ(code_points("fiets\xC3\xA9"), 6u);      // é
  EXPECT_EQ(code_points("\xF0\x9F\x9A\xB2"), 1u);  // 🚲
}

TEST(PlanOutput, FirstLineCutsOnCharacterBoundaries) {
  EXPECT_EQ(first_line("one\ntwo", 10), "one …");
  EXPECT_EQ(first_line("short", 10), "short");
  EXPECT_EQ(first_line("\xC3\xA9\xC3\xA9\xC3\xA9", 2), "\xC3\xA9\xC3\xA9…");
  EXPECT_EQ(first_line("abc", 3), "abc");
  EXPECT_EQ(first_line("abcd", 3), "abc…");
}

}  // namespace
}  // namespace herald
