// Fault 9 of issue 11: deliveries queued behind a rate limit showed
// `planned`, overdue, with no reason. Every waiting delivery now says why,
// in `herald queue`, the API and the page (the page reads the API's `why`).
#include "tests/support/herald_daemon.hpp"
#include "tests/support/sandbox_process.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HeraldDaemon;
using testing::SandboxProcess;
using testing::utc_in;

TEST(QueueWhy, DeliveriesBehindARateLimitSayWhy) {
  HeraldDaemon herald;
  SandboxProcess sandbox(herald.dir() / "sandbox", testing::sandbox_x_section());
  herald.write_credential("x", testing::sandbox_x_credentials());
  // The channel's own rate on x; the platform's rate limit on x2 (X answers
  // 429 with x-rate-limit-reset in 10 minutes).
  herald.write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, rate: 1/1h, api_base: \"" +
                        sandbox.base_url() + "\"}\n");
  herald.write_calendar("posts:\n"
                        "  - {id: a, at: \"" + utc_in(1s) + "\", channels: [x], text: \"First\"}\n"
                        "  - {id: b, at: \"" + utc_in(2s) + "\", channels: [x], text: \"Second\"}\n"
                        "  - {id: c, at: \"" + utc_in(3s) + "\", channels: [x], text: \"Third\"}\n");
  herald.start();
  ASSERT_TRUE(herald.wait_started());
  ASSERT_TRUE(herald.wait_for_log("a@x: sending -> published", 20s));
  // b and c are due and held back by the channel's rate.
  ASSERT_TRUE(eventually([&] { return herald.get("/api/v1/queue").body.find("c@x") != std::string::npos &&
                                      herald.get("/api/v1/deliveries/c@x").body.find("the channel's rate (1 per 1h)") !=
                                          std::string::npos; },
                         20s))
      << herald.get("/api/v1/deliveries/c@x").body;
  const auto queue = herald.cli({"queue"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_NE(queue.out.find("b@x"), std::string::npos);
  EXPECT_EQ(testing::count_of(queue.out, "the channel's rate (1 per 1h): next free at"), 2u) << queue.out;
  EXPECT_EQ(herald.stop(), 0);
}

TEST(QueueWhy, DeliveriesBehindThePlatformsRateLimitSayWhy) {
  HeraldDaemon herald;
  SandboxProcess sandbox(herald.dir() / "sandbox", testing::sandbox_x_section());
  herald.write_credential("x", testing::sandbox_x_credentials());
  herald.write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" + sandbox.base_url() +
                        "\"}\n");
  herald.write_calendar("posts:\n"
                        "  - {id: a, at: \"" + utc_in(1s) + "\", channels: [x], text: \"First\"}\n"
                        "  - {id: b, at: \"" + utc_in(2s) + "\", channels: [x], text: \"Second\"}\n");
  sandbox.add_fault(R"({"path":"/2/tweets","mode":"rate_limit","reset_in":600})");
  herald.start();
  ASSERT_TRUE(herald.wait_started());
  ASSERT_TRUE(herald.wait_for_log("a@x: sending -> retry_wait", 20s));
  ASSERT_TRUE(eventually([&] {
                return herald.get("/api/v1/deliveries/b@x").body.find("the platform's rate limit: not before") !=
                       std::string::npos;
              },
              20s))
      << herald.get("/api/v1/deliveries/b@x").body;
  const auto queue = herald.cli({"queue"});
  EXPECT_NE(queue.out.find("the platform's rate limit: not before"), std::string::npos) << queue.out;
  EXPECT_NE(herald.get("/api/v1/deliveries/a@x").body.find("\"why\":\"retry at "), std::string::npos);
  EXPECT_EQ(herald.stop(), 0);
}

}  // namespace
}  // namespace herald
