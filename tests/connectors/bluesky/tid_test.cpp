// Record keys: TIDs as atproto.com/specs/tid defines them, and herald's
// choice of one per delivery (connectors/bluesky/tid).
#include "connectors/bluesky/tid.hpp"

#include <gtest/gtest.h>

#include <set>

namespace herald {
namespace {
using namespace std::chrono_literals;

// The spec's layout and alphabet; the vectors are those of @atcute/tid's
// README (create(1724171495793000, 512) and parse('3l25zusnsfctk')), an
// implementation checked against the reference one.
TEST(Tid, EncodesAndParsesAsTheSpecSays) {
  EXPECT_EQ(encode_tid(0, 0), "2222222222222");  // the spec's TID of integer zero
  EXPECT_EQ(encode_tid(1724171495793000, 512), "3l25zusnsfck2");
  EXPECT_EQ(parse_tid("3l25zusnsfctk"), (TidParts{1724171495793000, 816}));
  EXPECT_EQ(parse_tid(encode_tid(1724171495793000, 512)), (TidParts{1724171495793000, 512}));
}

TEST(Tid, RefusesWhatIsNotATid) {
  EXPECT_FALSE(parse_tid("3l25zusnsfck"));    // 12 characters
  EXPECT_FALSE(parse_tid("3l25zusnsfck22"));  // 14
  EXPECT_FALSE(parse_tid("3l25zusnsfck1"));   // '1' is not in the alphabet
  EXPECT_FALSE(parse_tid("3L25ZUSNSFCK2"));   // upper case is not either
  EXPECT_FALSE(parse_tid("kl25zusnsfck2"));   // first character past 'j': the top bit would be set
  EXPECT_TRUE(parse_tid("jzzzzzzzzzzzz"));
}

// herald's key: the planned second (so the key reads as the planned time),
// an offset below a second and a clock id from the delivery key, the same
// every time; deliveries planned for one second get different keys.
TEST(Tid, ADeliveryKeyIsItsPlannedSecondAndTheSameEveryTime) {
  const Instant planned{date::sys_days{date::year{2027} / 3 / 2} + 9h};
  const std::string key = delivery_tid(planned, "spring@bluesky");
  EXPECT_EQ(key, delivery_tid(planned, "spring@bluesky"));
  auto parts = parse_tid(key);
  ASSERT_TRUE(parts);
  const auto micros = static_cast<std::uint64_t>(planned.time_since_epoch().count()) * 1'000'000;
  EXPECT_GE(parts->micros, micros);
  EXPECT_LT(parts->micros, micros + 1'000'000);
  std::set<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.insert(delivery_tid(planned, "post-" + std::to_string(i) + "@bluesky"));
  EXPECT_EQ(keys.size(), 1000u);
  EXPECT_NE(delivery_tid(planned, "tip@bluesky#2027-03-02"), delivery_tid(planned, "tip@bluesky#2027-03-09"));
  // Later instants sort later (the offset is below a second).
  EXPECT_LT(delivery_tid(planned, "b@bluesky"), delivery_tid(planned + 1s, "a@bluesky"));
}

}  // namespace
}  // namespace herald
