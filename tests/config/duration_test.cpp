#include "config/duration.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

using std::chrono::seconds;

struct Accepted {
  const char* text;
  long long seconds;
};

TEST(ParseDuration, AcceptsEveryForm) {
  const Accepted cases[] = {
      {"0s", 0},
      {"0d", 0},
      {"0h0m", 0},
      {"30s", 30},
      {"15m", 15 * 60},
      {"1h", 3600},
      {"3d", 3 * 86400},
      {"1h30m", 5400},
      {"1d2h3m4s", 86400 + 2 * 3600 + 3 * 60 + 4},
      {"1d4s", 86400 + 4},
      {"2d12h", 2 * 86400 + 12 * 3600},
      {"90s", 90},
      {"90m", 5400},
      {"48h", 48 * 3600},
      {"007m", 7 * 60},
      {"3652d", 3652LL * 86400},             // just under 10 years of 365.2425 days
      {"315569520s", 315569520},             // exactly 10 years
      {"3652d10h12m", 315569520},            // exactly 10 years, spelled in parts
  };
  for (const auto& c : cases) {
    const auto parsed = parse_duration(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(*parsed, seconds{c.seconds}) << c.text;
  }
}

TEST(ParseDuration, RejectsEverythingElse) {
  const char* const cases[] = {
      "",
      "s",             // unit without a number
      "10",            // number without a unit
      "1h30",          // trailing number
      "1x",            // unknown unit
      "1w",            // weeks are not a unit
      "1H",            // units are lower case
      "1ms",           // "m" then "s" without a number
      "-5m",           // no sign
      "+5m",
      " 5m",           // no spaces
      "5m ",
      "1h 30m",
      "5 m",
      "30m1h",         // out of order
      "1s1d",
      "1h1h",          // repeated unit
      "1m2m",
      "1.5h",          // no fractions
      "1,5h",
      "m5",
      "3653d",         // past 10 years
      "315569521s",    // one second past 10 years
      "3652d10h12m1s",
      "99999999999999999999999s",   // would overflow any integer type
      "9223372036854775807s",
      "106751991167300d",           // days * 86400 would overflow int64
  };
  for (const char* text : cases) {
    EXPECT_FALSE(parse_duration(text).has_value()) << "'" << text << "'";
  }
}

TEST(FormatDuration, LargestUnitsFirstAndZeroPartsOmitted) {
  EXPECT_EQ(format_duration(seconds{0}), "0s");
  EXPECT_EQ(format_duration(seconds{30}), "30s");
  EXPECT_EQ(format_duration(seconds{60}), "1m");
  EXPECT_EQ(format_duration(seconds{90}), "1m30s");
  EXPECT_EQ(format_duration(seconds{5400}), "1h30m");
  EXPECT_EQ(format_duration(seconds{3600}), "1h");
  EXPECT_EQ(format_duration(seconds{86400}), "1d");
  EXPECT_EQ(format_duration(seconds{86400 + 4}), "1d4s");
  EXPECT_EQ(format_duration(seconds{3 * 86400 + 3600 + 60 + 1}), "3d1h1m1s");
  EXPECT_EQ(format_duration(seconds{-90}), "-1m30s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (long long s : {0LL, 1LL, 59LL, 60LL, 61LL, 3599LL, 3600LL, 3601LL, 86399LL, 86400LL,
                      90061LL, 1000000LL, 315569520LL}) {
    const std::string text = format_duration(seconds{s});
    const auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, seconds{s}) << text;
  }
}

}  // namespace
}  // namespace herald
