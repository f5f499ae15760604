#include "config/diagnostics.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(Diagnostics, FormatsLikeACompiler) {
  EXPECT_EQ(format({Severity::error, {"cal.yaml", 3, 9}, "bad"}), "cal.yaml:3:9: error: bad");
  EXPECT_EQ(format({Severity::warning, {"cal.yaml", 1, 1}, "hm"}), "cal.yaml:1:1: warning: hm");
  EXPECT_EQ(format({Severity::error, {"dir", 0, 0}, "missing"}), "dir: error: missing");
  EXPECT_EQ(format({Severity::error, {"", 0, 0}, "x"}), "<input>: error: x");
}

TEST(Diagnostics, CountsAndSortsByPlaceKeepingTiesInOrder) {
  Diagnostics d;
  d.warning({"b.yaml", 1, 1}, "w1");
  d.error({"a.yaml", 5, 2}, "e1");
  d.error({"a.yaml", 2, 7}, "e2");
  d.error({"a.yaml", 2, 7}, "e3");
  EXPECT_TRUE(d.has_errors());
  EXPECT_EQ(d.error_count(), 3);
  EXPECT_EQ(d.warning_count(), 1);
  auto s = d.sorted();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].message, "e2");
  EXPECT_EQ(s[1].message, "e3");
  EXPECT_EQ(s[2].message, "e1");
  EXPECT_EQ(s[3].message, "w1");
  Diagnostics other;
  other.append(d);
  EXPECT_EQ(other.error_count(), 3);
  EXPECT_EQ(other.items().size(), 4u);
}

TEST(Diagnostics, WarningsAloneAreNotErrors) {
  Diagnostics d;
  d.warning({"a", 1, 1}, "w");
  EXPECT_FALSE(d.has_errors());
}

}  // namespace
}  // namespace herald
