// connectors/counters: what every read_counters shares, pure.
#include "connectors/counters.hpp"

#include "tests/support/counters_result.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace herald {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

json::object object_of(std::string_view text) { return json::parse(text).as_object(); }

// Numbers and digit strings (YouTube's statistics) are counts; a member that
// is missing, null, fractional text or no number at all is left out, not 0;
// the order is the fields', not the answer's.
TEST(AppendCountersTest, ReadsNumbersAndDigitStringsInTheFieldsOrder) {
  std::vector<Counter> out;
  append_counters(out,
                  object_of(R"({"likeCount":"17","viewCount":"2500","extra":5,"commentCount":null,"bad":"1.5","n":3})"),
                  {{"viewCount", metric::views},
                   {"likeCount", metric::likes},
                   {"commentCount", metric::replies},
                   {"missing", metric::shares},
                   {"bad", ""},
                   {"n", ""}});
  EXPECT_EQ(out, (std::vector<Counter>{{"viewCount", metric::views, 2500}, {"likeCount", metric::likes, 17}, {"n", "", 3}}));
}

// Graph insights: values[0].value, or total_value.value; a metric the answer
// leaves out (no data yet) is left out.
TEST(AppendInsightsTest, ReadsGraphInsightsMetricsByName) {
  std::vector<Counter> out{{"reactions", metric::likes, 4}};
  append_insights(out,
                  object_of(R"({"data":[{"name":"saved","period":"lifetime","total_value":{"value":7}},
                                        {"name":"reach","period":"lifetime","values":[{"value":120}]}]})"),
                  {{"reach", metric::views}, {"saved", ""}, {"views", metric::views}});
  EXPECT_EQ(out, (std::vector<Counter>{{"reactions", metric::likes, 4}, {"reach", metric::views, 120}, {"saved", "", 7}}));
  append_insights(out, object_of(R"({"data":"not a list"})"), {{"reach", metric::views}});
  EXPECT_EQ(out.size(), 3u);
}

// A read's refusal: RetryLater, Failed and AuthFailed as they are; a
// create's Unsure and Processing are only "later" for a read; Duplicate is
// Failed.
TEST(CountersProblemTest, MapsAPublishClassificationToARead) {
  CountersResult later = counters_problem(RetryLater{42s, "slow down"});
  ASSERT_TRUE(std::holds_alternative<RetryLater>(later));
  EXPECT_EQ(std::get<RetryLater>(later).after, 42s);
  EXPECT_EQ(testing::message_of(later), "slow down");
  EXPECT_TRUE(std::holds_alternative<Failed>(counters_problem(Failed{"no"})));
  EXPECT_TRUE(std::holds_alternative<AuthFailed>(counters_problem(AuthFailed{"token"})));
  CountersResult unsure = counters_problem(Unsure{"503"});
  ASSERT_TRUE(std::holds_alternative<RetryLater>(unsure));
  EXPECT_FALSE(std::get<RetryLater>(unsure).after);
  CountersResult processing = counters_problem(Processing{9s, "busy"});
  ASSERT_TRUE(std::holds_alternative<RetryLater>(processing));
  EXPECT_EQ(std::get<RetryLater>(processing).after, 9s);
  EXPECT_TRUE(std::holds_alternative<Failed>(counters_problem(Duplicate{"again"})));
  EXPECT_TRUE(std::holds_alternative<Failed>(counters_problem(Published{"1", "u"})));
}

// The default of the interface: a connector that keeps no counters says so.
TEST(ConnectorCountersTest, TheDefaultReadsNone) {
  struct Quiet : Connector {
    PublishResult publish(const PublishRequest&) override { return Failed{"no"}; }
    LookupResult lookup(const PublishRequest&) override { return Absent{}; }
  } quiet;
  EXPECT_FALSE(quiet.reads_counters());
  EXPECT_TRUE(std::holds_alternative<Failed>(quiet.read_counters(CountersRequest{})));
}

}  // namespace
}  // namespace herald
