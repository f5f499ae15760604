// Faults 7 and 8 of issue 11, with the real daemon on a static site: a quote
// that is never closed must not swallow the posts after it, and a half-written
// calendar or an endless stream of writes must not cancel posts or postpone a
// reload forever.
#include "scheduler/store.hpp"
#include "tests/support/herald_daemon.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HeraldDaemon;
using testing::utc_in;

class CalendarFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(herald_.dir() / "site");
    settings("");
  }
  void settings(const std::string& extra) {
    herald_.write_settings("  site: {kind: static, dir: site, url: \"https://example.nl/{post}/\"}\n", extra);
  }
  static std::string post(const std::string& id, const std::string& at, const std::string& text) {
    return "  - id: " + id + "\n    at: \"" + at + "\"\n    channels: [site]\n    title: " + id + "\n    text: " +
           text + "\n";
  }
  std::string published_text(const std::string& id) const {
    return testing::read_file((herald_.dir() / "site" / (id + ".md")).string());
  }
  int pending() const {
    auto store = Store::open_existing(herald_.state_dir());
    return static_cast<int>(store->in_states({State::planned}).size());
  }
  HeraldDaemon herald_;
};

// The unclosed quote at the end of the file (yaml-cpp alone read the rest of
// the file into that text) and in the middle: `herald check` names the quote,
// the daemon refuses the edit whole and keeps the last good calendar.
TEST_F(CalendarFaults, AnUnclosedQuoteIsAnErrorAtItsPlaceAndSwallowsNothing) {
  const std::string a_at = utc_in(3s), b_at = utc_in(4s), c_at = utc_in(5s);
  const std::string good = "posts:\n" + post("a", a_at, "\"First\"") + post("b", b_at, "\"Second\"") +
                           post("c", c_at, "\"Third\"");
  herald_.write_calendar(good);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());

  // At the end: b's closing quote is missing and no later quote closes it.
  const std::string at_end = "posts:\n" + post("a", a_at, "\"First\"") + post("b", b_at, "\"Second") +
                             post("c", c_at, "Third");
  herald_.write_calendar(at_end);
  auto check = herald_.cli({"check"});
  EXPECT_EQ(check.exit_code, 1);
  // "b" is post 2: its text line is line 11 of the file, the quote at column 11.
  EXPECT_NE((check.out + check.err).find("calendar.yaml:11:11: error: the quoted text that starts here is not closed"),
            std::string::npos)
      << check.out << check.err;
  ASSERT_TRUE(herald_.wait_for_log("calendar rejected, the last good one keeps running", 10s));

  // In the middle: a later quote closes it, with c swallowed into b's text.
  const std::string in_middle = "posts:\n" + post("a", a_at, "\"First\"") + post("b", b_at, "\"Second") +
                                post("c", c_at, "\"Third\"");
  herald_.write_calendar(in_middle);
  check = herald_.cli({"check"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE((check.out + check.err).find("calendar.yaml:11:11: error: the quoted text that starts here is not closed"),
            std::string::npos)
      << check.out << check.err;

  // The daemon went on with the good calendar: all three go out, each with
  // its own text.
  ASSERT_TRUE(eventually([&] { return !published_text("c").empty(); }, 20s)) << herald_.log();
  EXPECT_NE(published_text("b").find("Second"), std::string::npos);
  EXPECT_EQ(published_text("b").find("Third"), std::string::npos) << published_text("b");
  EXPECT_NE(published_text("c").find("Third"), std::string::npos);
  EXPECT_EQ(herald_.stop(), 0);

  // And a daemon starting on the broken file does not start.
  herald_.write_calendar(at_end);
  herald_.start();
  EXPECT_EQ(herald_.process()->wait(20s), 1);
  EXPECT_NE(herald_.log_of_this_run().find("calendar.yaml:11:11: error: the quoted text that starts here is not closed"),
            std::string::npos)
      << herald_.log_of_this_run();
}

// A half-written calendar (an editor that writes in two steps): valid, but
// missing most posts. The reload is held, the posts stay; the full file
// arrives and is applied; a real removal goes through once accepted.
TEST_F(CalendarFaults, AHalfWrittenCalendarIsHeldNotApplied) {
  std::string full = "posts:\n";
  for (int i = 0; i < 20; ++i) full += post("p" + std::to_string(i), utc_in(std::chrono::hours(1 + i)), "\"Later\"");
  herald_.write_calendar(full);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_EQ(pending(), 20);

  // The first half of the file, cut after post 3 (still valid YAML).
  std::string half = "posts:\n";
  for (int i = 0; i < 3; ++i) half += post("p" + std::to_string(i), utc_in(std::chrono::hours(1 + i)), "\"Later\"");
  herald_.write_calendar(half, /*by_rename=*/false);
  ASSERT_TRUE(herald_.wait_for_log("calendar edit held: it would cancel 17 of the 20 pending deliveries", 10s))
      << herald_.log_of_this_run();
  EXPECT_EQ(pending(), 20) << "nothing was cancelled";
  const auto status = herald_.cli({"status"});
  EXPECT_NE(status.out.find("HELD EDIT"), std::string::npos) << status.out;
  EXPECT_NE(herald_.get("/metrics").body.find("herald_reload_held 1"), std::string::npos);

  // The rest of the file arrives: applied, the hold is gone.
  herald_.write_calendar(full, /*by_rename=*/false);
  ASSERT_TRUE(eventually([&] { return herald_.get("/api/v1/status").body.find("\"held\":null") != std::string::npos; },
                         10s));
  EXPECT_EQ(pending(), 20);

  // A real removal of most posts is held too, until a person accepts it.
  herald_.write_calendar(half);
  ASSERT_TRUE(eventually([&] { return herald_.get("/api/v1/status").body.find("\"cancelled\":17") != std::string::npos; },
                         10s));
  const auto refused = herald_.cli({"reload"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("herald reload --accept-cancellations"), std::string::npos) << refused.err;
  EXPECT_EQ(pending(), 20);
  const auto accepted = herald_.cli({"reload", "--accept-cancellations"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_EQ(pending(), 3);
  EXPECT_EQ(herald_.stop(), 0);
}

// An editor or sync tool that never stops writing: the edit is applied at
// most reload.max_delay after the first write, while the writes go on.
TEST_F(CalendarFaults, AnEndlessStreamOfWritesCannotPostponeTheReload) {
  settings("reload: {max_delay: 2s}\n");
  const std::string first = "posts:\n" + post("keep", utc_in(std::chrono::hours(1)), "\"Kept\"");
  herald_.write_calendar(first);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  std::atomic<bool> reloaded_while_writing{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    const std::string next = first + post("added", utc_in(std::chrono::hours(2)), "\"Added\"");
    // A write every 100 ms, alternating, for at most 15 s: far more often
    // than the 300 ms quiet the debounce waits for.
    for (int i = 0; i < 150; ++i) {
      herald_.write_calendar(i % 2 == 0 ? next : next + "# write " + std::to_string(i) + "\n", false);
      ++writes;
      if (herald_.log_of_this_run().find("calendar reloaded (calendar changed)") != std::string::npos) {
        reloaded_while_writing = true;
        break;
      }
      std::this_thread::sleep_for(100ms);  // the editor's pace
    }
  });
  writer.join();
  EXPECT_TRUE(reloaded_while_writing) << "no reload during " << writes << " writes";
  auto store = Store::open_existing(herald_.state_dir());
  EXPECT_TRUE(store->get("added@site")) << "the edit was applied";
  EXPECT_EQ(herald_.stop(), 0);
}

}  // namespace
}  // namespace herald
