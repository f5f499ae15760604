// The real `herald` binary on the example files and on broken ones: exit
// codes, where messages go, and the JSON lines of `plan`.
#include "tests/support/process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace herald {
namespace {

using testing::run_process;

const std::string kHerald = HERALD_BINARY;
const std::string kExample = std::string(HERALD_SOURCE_DIR) + "/examples/herald.yaml";

TEST(HeraldBinary, CheckAcceptsTheExample) {
  auto r = run_process({kHerald, "check", "--config", kExample});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("ok, 16 posts"), std::string::npos) << r.out;
}

TEST(HeraldBinary, ConfigFromEnvironment) {
  auto r = run_process({kHerald, "check"}, {"HERALD_CONFIG=" + kExample});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(HeraldBinary, PlanListsTheMonthAsJsonLines) {
  // A fixed "now", so queued posts land in March whenever the test runs.
  auto r = run_process({kHerald, "plan", "--config", kExample, "--from", "2027-03-01", "--days", "31", "--now",
                        "2027-02-15", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  int count = 0;
  std::set<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    auto o = boost::json::parse(line).as_object();
    keys.insert(std::string(o.at("key").as_string()));
    ++count;
  }
  // 10 fixed posts on 1-3 channels each (1+2+2+1+1+2+2+2+3+2 = 18), 5 Mondays on x,
  // 4 Fridays on facebook, 9 Wednesdays and Thursdays on x and facebook, and
  // queued posts: tip-slot on x and facebook, tip-bandenspanning on x,
  // tip-regenkleding on facebook.
  EXPECT_EQ(count, 18 + 5 + 4 + 18 + 4) << r.out;
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(count)) << "keys are unique";
  for (const char* key : {"maandagtip@x#2027-03-01", "maandagtip@x#2027-03-29", "weekendroute@facebook#2027-03-26",
                          "tip-slot@x", "tip-slot@facebook", "voorjaarsbeurt-blog@site",
                          "voorjaarsbeurt-zakelijk@linkedin", "voorjaarsbeurt-foto@instagram",
                          "voorjaarsbeurt-open@mastodon", "voorjaarsbeurt-open@bluesky"})
    EXPECT_TRUE(keys.count(key)) << key;
}

TEST(HeraldBinary, InvalidCalendarExitsOneWithLocation) {
  auto dir = std::filesystem::temp_directory_path() / ("herald-bin-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "herald.yaml") << "calendar: cal\ntimezone: Europe/Amsterdam\nchannels:\n  x: {kind: x, account: a, credentials: x}\n";
  std::filesystem::create_directories(dir / "cal");
  std::ofstream(dir / "cal" / "a.yaml") << "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: hi}\n";
  std::ofstream(dir / "cal" / "b.yaml") << "posts:\n  - id: a\n    at: 2027-02-30 10:00\n    channels: [x]\n    text: hi\n";
  auto r = run_process({kHerald, "check", "--config", (dir / "herald.yaml").string()});
  EXPECT_EQ(r.exit_code, 1);
  const std::string b = (dir / "cal" / "b.yaml").string();
  EXPECT_NE(r.err.find(b + ":3:9: error: invalid time '2027-02-30 10:00': no such date 2027-02-30"), std::string::npos)
      << r.err;
  std::filesystem::remove_all(dir);
}

TEST(HeraldBinary, UnknownCommandIsAnError) {
  auto r = run_process({kHerald, "publish-everything-now"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace herald
