// Drafts on the real binary against the real sandbox (issue 18): a post with
// `draft: true` is planned and shown but never published, not even when its
// time passes while herald runs; the status, `herald status` and the page's
// data say so. Removing the flag is the approval: the post goes out then,
// once. Making a pending post a draft again takes it out of the queue.
#include "tests/support/herald_daemon.hpp"
#include "tests/support/sandbox_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HeraldDaemon;
using testing::SandboxProcess;
using testing::utc_in;

std::size_t tweets_saying(const SandboxProcess& sandbox, const std::string& text) {
  std::size_t n = 0;
  for (const auto& c : sandbox.public_posts("x"))
    if (c.text.find(text) != std::string::npos) ++n;
  return n;
}

const boost::json::object* draft_in(const boost::json::value& status, const std::string& key) {
  for (const auto& d : status.at("drafts").as_array())
    if (d.at("key").as_string() == key) return &d.as_object();
  return nullptr;
}

TEST(DraftsRun, ADraftDueInTwoSecondsIsNeverPublishedUntilTheFlagIsRemoved) {
  HeraldDaemon herald;
  SandboxProcess sandbox(herald.dir() / "sandbox", testing::sandbox_x_section());
  herald.write_credential("x", testing::sandbox_x_credentials());
  herald.write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" + sandbox.base_url() +
                        "\"}\n");
  const std::string draft_at = utc_in(2s), later_at = utc_in(3s), tomorrow = utc_in(86400s);
  auto calendar = [&](bool draft, bool planned_is_draft) {
    return "posts:\n"
           "  - {id: draft, at: \"" + draft_at + "\", channels: [x], text: \"Awaiting approval\"" +
           (draft ? ", draft: true" : "") + "}\n"
           "  - {id: approved, at: \"" + later_at + "\", channels: [x], text: \"Approved already\"}\n"
           "  - {id: tomorrow, at: \"" + tomorrow + "\", channels: [x], text: \"Tomorrow's\"" +
           (planned_is_draft ? ", draft: true" : "") + "}\n";
  };
  herald.write_calendar(calendar(true, false));
  const auto check = herald.cli({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  herald.start();
  ASSERT_TRUE(herald.wait_started());

  // The post due after the draft goes out: the draft's time has passed.
  ASSERT_TRUE(herald.wait_for_log("approved@x: sending -> published", 30s));
  EXPECT_EQ(tweets_saying(sandbox, "Approved already"), 1u);
  EXPECT_EQ(tweets_saying(sandbox, "Awaiting approval"), 0u);
  EXPECT_EQ(herald.log_of_this_run().find("draft@x: planned -> sending"), std::string::npos);
  // Not in the queue, but reported: the status lists it as passed.
  EXPECT_EQ(herald.get("/api/v1/queue").body.find("draft@x"), std::string::npos);
  const auto status = boost::json::parse(herald.get("/api/v1/status").body);
  const auto* draft = draft_in(status, "draft@x");
  ASSERT_NE(draft, nullptr) << status;
  EXPECT_TRUE(draft->at("passed").as_bool());
  EXPECT_EQ(draft->at("post").as_string(), "draft");
  EXPECT_EQ(draft->at("channel").as_string(), "x");
  const auto table = herald.cli({"status"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("DRAFTS awaiting approval"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("draft@x  its time has passed: not published"), std::string::npos) << table.out;

  // Tomorrow's planned post made a draft: out of the queue; approved again: back.
  ASSERT_NE(herald.get("/api/v1/queue").body.find("tomorrow@x"), std::string::npos);
  herald.write_calendar(calendar(true, true));
  ASSERT_TRUE(eventually([&] { return herald.get("/api/v1/queue").body.find("tomorrow@x") == std::string::npos; }, 20s));
  ASSERT_NE(draft_in(boost::json::parse(herald.get("/api/v1/status").body), "tomorrow@x"), nullptr);

  // Approval: the flag removed. The draft, a few seconds late, goes out once.
  herald.write_calendar(calendar(false, false));
  ASSERT_TRUE(herald.wait_for_log("draft@x: sending -> published", 30s));
  ASSERT_TRUE(eventually([&] { return herald.get("/api/v1/queue").body.find("tomorrow@x") != std::string::npos; }, 20s));
  EXPECT_EQ(tweets_saying(sandbox, "Awaiting approval"), 1u);
  EXPECT_EQ(tweets_saying(sandbox, "Approved already"), 1u);
  EXPECT_EQ(draft_in(boost::json::parse(herald.get("/api/v1/status").body), "draft@x"), nullptr);
  EXPECT_EQ(herald.stop(), 0);
}

}  // namespace
}  // namespace herald
