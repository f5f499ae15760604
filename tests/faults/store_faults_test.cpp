// Faults 3 and 4 of issue 11: the state database deleted, replaced by
// another file, truncated to zero or damaged, while herald runs and before it
// starts; and a full disk. Each asserted at the sandbox (X, whose posts herald
// can look up on the account's timeline): while the store is not herald's
// database no create starts, /healthz says so, the log says so once at <3>;
// a restart never publishes twice; a full disk is a state, not a crash, and
// publishing resumes by itself when space returns.
#include "scheduler/store.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/sandbox_process.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <sys/mount.h>

#include <cstring>
#include <fstream>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HeraldDaemon;
using testing::read_file;
using testing::SandboxProcess;
using testing::utc_in;

namespace fs = std::filesystem;

class StoreFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_ = std::make_unique<SandboxProcess>(herald_.dir() / "sandbox", testing::sandbox_x_section());
    herald_.write_credential("x", testing::sandbox_x_credentials());
    settings();
  }
  /// `state` as the state directory (relative to the settings file).
  void settings(const std::string& state = "state") {
    herald_.write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" +
                               sandbox_->base_url() + "\"}\n",
                           "state_dir: " + state +
                               "\nstate_check: 1s\npublishing: {request_timeout: 5s, settle_margin: 2s}\n");
  }
  /// Posts p0..p(n-1), p_i due `first + i * every` from now.
  void calendar(int n, std::chrono::seconds first, std::chrono::seconds every) {
    std::string text = "posts:\n";
    for (int i = 0; i < n; ++i)
      text += "  - {id: p" + std::to_string(i) + ", at: \"" + utc_in(first + every * i) +
              "\", channels: [x], text: \"Post number " + std::to_string(i) + "\"}\n";
    herald_.write_calendar(text);
  }
  int creates_of(int i) const {
    int n = 0;
    for (const auto& c : sandbox_->creates()) n += c.text == "Post number " + std::to_string(i);
    return n;
  }
  std::string why_of(const std::string& key) const {
    const auto a = herald_.get("/api/v1/deliveries/" + key);
    const auto at = a.body.find("\"why\":\"");
    return at == std::string::npos ? std::string() : a.body.substr(at + 7, a.body.find('"', at + 7) - at - 7);
  }
  /// Waits until /healthz turns 503 with `reason` in its answer.
  bool unhealthy_with(const std::string& reason) const {
    return eventually(
        [&] {
          const auto h = herald_.get("/healthz");
          return h.status == 503 && h.body.find(reason) != std::string::npos;
        },
        20s);
  }
  fs::path db() const { return herald_.state_dir() / "herald.db"; }

  HeraldDaemon herald_;
  std::unique_ptr<SandboxProcess> sandbox_;
};

// While running: deleted, then a restart (the store is new: what is out is
// looked up, not sent again; what never went out is sent once).
TEST_F(StoreFaults, DeletedWhileRunningStopsCreatesAndARestartSendsNothingTwice) {
  calendar(1, 2s, 0s);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("p0@x: sending -> published", 20s));
  // p1 is added by an edit; then the database file is deleted under herald.
  herald_.write_calendar(read_file((herald_.dir() / "calendar.yaml").string()) + "  - {id: p1, at: \"" + utc_in(4s) +
                         "\", channels: [x], text: \"Post number 1\"}\n");
  ASSERT_TRUE(herald_.wait_for_log("calendar reloaded", 10s));
  fs::remove(db());
  ASSERT_TRUE(unhealthy_with("was deleted while herald was running"));
  // p1 falls due and says why it does not go.
  ASSERT_TRUE(eventually([&] { return why_of("p1@x").find("state database is unavailable") != std::string::npos; }, 20s))
      << why_of("p1@x");
  EXPECT_EQ(creates_of(1), 0);
  const std::string log = herald_.log();
  EXPECT_EQ(testing::count_of(log, "<3>no create starts until the state database is usable again"), 1u) << log;
  const auto status = herald_.get("/api/v1/status");
  EXPECT_NE(status.body.find("\"store\":{\"ok\":false"), std::string::npos) << status.body;
  EXPECT_NE(herald_.get("/metrics").body.find("herald_store_ok 0"), std::string::npos);
  bool rescued = false;
  for (const auto& e : fs::directory_iterator(herald_.state_dir()))
    rescued = rescued || e.path().filename().string().starts_with("herald.db.rescued-");
  EXPECT_TRUE(rescued) << "a copy of the open database is kept for the operator";
  EXPECT_EQ(herald_.stop(), 0);

  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("p1@x: sending -> published", 20s));
  ASSERT_TRUE(herald_.wait_for_log("p0@x: planned -> published (found on the platform", 20s)) << herald_.log();
  EXPECT_EQ(creates_of(0), 1) << "p0 was out already: found, not sent again";
  EXPECT_EQ(creates_of(1), 1);
  EXPECT_EQ(herald_.stop(), 0);
}

// Before start-up, the classic: the database deleted between two runs. Every
// overdue delivery inside the late window is looked up before anything goes.
TEST_F(StoreFaults, DeletedBeforeStartUpRepublishesNothing) {
  calendar(4, 2s, 1s);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("p3@x: sending -> published", 30s));
  EXPECT_EQ(herald_.stop(), 0);
  fs::remove(db());
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(eventually([&] { return testing::count_of(herald_.log_of_this_run(), "(found on the platform") == 4; }, 30s))
      << herald_.log_of_this_run();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(creates_of(i), 1) << "p" << i;
  EXPECT_EQ(herald_.stop(), 0);
}

// Replaced by an older copy (a backup put back) while running, and then used
// at the restart: nothing it does not know about is sent again.
TEST_F(StoreFaults, ReplacedByAnOlderCopyStopsCreatesAndIsLookedUpAfterTheRestart) {
  calendar(1, 2s, 0s);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  {
    SQLite::Database live(db(), SQLite::OPEN_READONLY);
    live.exec("VACUUM INTO '" + (herald_.dir() / "backup.db").string() + "'");
  }
  ASSERT_TRUE(herald_.wait_for_log("p0@x: sending -> published", 20s));
  fs::rename(herald_.dir() / "backup.db", db());
  ASSERT_TRUE(unhealthy_with("was replaced by another file while herald was running"));
  EXPECT_EQ(herald_.stop(), 0);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("p0@x: planned -> published (found on the platform", 20s)) << herald_.log();
  EXPECT_EQ(creates_of(0), 1);
  EXPECT_EQ(herald_.stop(), 0);
}

TEST_F(StoreFaults, ReplacedByAnotherFileBeforeStartUpIsRefused) {
  calendar(1, 60s, 0s);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  EXPECT_EQ(herald_.stop(), 0);
  std::ofstream(db(), std::ios::trunc) << std::string(20000, 'z');
  herald_.start();
  EXPECT_EQ(herald_.process()->wait(20s), 1);
  EXPECT_NE(herald_.log_of_this_run().find("not starting: cannot open the state database"), std::string::npos)
      << herald_.log_of_this_run();
}

TEST_F(StoreFaults, TruncatedToZeroWhileRunningStopsCreatesAndBeforeStartUpIsRefused) {
  calendar(2, 2s, 6s);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("p0@x: sending -> published", 20s));
  fs::resize_file(db(), 0);
  ASSERT_TRUE(unhealthy_with("truncated to 0 bytes"));
  ASSERT_TRUE(eventually([&] { return why_of("p1@x").find("state database is unavailable") != std::string::npos; }, 20s));
  EXPECT_EQ(creates_of(1), 0);
  herald_.kill();  // as a crash would leave it
  fs::resize_file(db(), 0);
  herald_.start();
  EXPECT_EQ(herald_.process()->wait(20s), 1);
  EXPECT_NE(herald_.log_of_this_run().find("is empty (0 bytes)"), std::string::npos) << herald_.log_of_this_run();
  EXPECT_EQ(creates_of(1), 0);
}

// Damaged pages: found by the periodic check that reads the file from disk
// (state_check: 1s), not by the page cache; and refused at start-up.
TEST_F(StoreFaults, DamagedPagesWhileRunningStopCreatesAndBeforeStartUpAreRefused) {
  calendar(40, 2s, 0s);
  // The last post is due well after the damage.
  herald_.write_calendar(read_file((herald_.dir() / "calendar.yaml").string()) + "  - {id: late, at: \"" +
                         utc_in(20s) + "\", channels: [x], text: \"Post number 99\"}\n");
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(eventually([&] { return testing::count_of(herald_.log(), "sending -> published") == 40; }, 60s));
  {
    SQLite::Database raw(db(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
  const auto size = fs::file_size(db());
  ASSERT_GT(size, 3u * 4096);
  {
    std::fstream f(db(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(static_cast<std::size_t>(size) - 4096, '\x6b');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  ASSERT_TRUE(unhealthy_with("damaged"));
  ASSERT_TRUE(eventually([&] { return why_of("late@x").find("state database is unavailable") != std::string::npos; }, 40s))
      << why_of("late@x");
  EXPECT_EQ(creates_of(99), 0);
  herald_.kill();
  herald_.start();
  EXPECT_EQ(herald_.process()->wait(20s), 1);
  EXPECT_NE(herald_.log_of_this_run().find("not starting: cannot open the state database"), std::string::npos)
      << herald_.log_of_this_run();
  EXPECT_EQ(creates_of(99), 0);
}

// A full disk under the state directory (a small tmpfs): no crash, no create,
// /healthz 503, a pause still holds; when space returns publishing resumes by
// itself and the pause asked for meanwhile is in force first.
TEST_F(StoreFaults, AFullDiskIsAStateNotACrashAndPublishingResumesWhenSpaceReturns) {
  const auto mount_point = herald_.dir() / "statefs";
  fs::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0)
    GTEST_SKIP() << "this machine does not let the test mount a tmpfs (needs root with CAP_SYS_ADMIN): "
                 << std::strerror(errno);
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  settings("statefs/state");
  calendar(1, 2s, 0s);
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("p0@x: sending -> published", 20s));

  // Fill the file system to the last byte.
  {
    std::ofstream filler(mount_point / "filler", std::ios::binary);
    const std::string block(64 * 1024, '\0');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  {
    std::ofstream rest(mount_point / "filler2", std::ios::binary);
    while (rest.put('\0')) {
    }
  }
  ASSERT_TRUE(unhealthy_with("MiB free for the state database"));
  // An edit while full: the plan cannot be written; herald lives on and
  // applies the edit once the store takes it.
  herald_.write_calendar(read_file((herald_.dir() / "calendar.yaml").string()) + "  - {id: p1, at: \"" + utc_in(3s) +
                         "\", channels: [x], text: \"Post number 1\"}\n  - {id: p2, at: \"" + utc_in(3s) +
                         "\", channels: [x], text: \"Post number 2\"}\n");
  ASSERT_TRUE(herald_.wait_for_log("applying the calendar: the disk holding the state database is full", 20s))
      << herald_.log_of_this_run();
  EXPECT_TRUE(herald_.process()->running()) << "a full disk must not end the daemon";
  const auto status = herald_.cli({"status"});
  EXPECT_NE(status.out.find("STATE DATABASE UNAVAILABLE"), std::string::npos) << status.out << status.err;
  // A crisis pause while the disk is full holds: in memory first, and
  // written before anything else once the store can take it.
  const auto paused = herald_.cli({"pause", "--reason", "crisis while the disk is full"});
  EXPECT_EQ(paused.exit_code, 0) << paused.err;

  fs::remove(mount_point / "filler");
  fs::remove(mount_point / "filler2");
  ASSERT_TRUE(eventually([&] { return herald_.get("/healthz").status == 200; }, 20s)) << herald_.log_of_this_run();
  ASSERT_TRUE(herald_.wait_for_log("the state database is usable again", 10s));
  ASSERT_TRUE(herald_.wait_for_log("calendar reloaded (calendar changed, applied once the state database was usable)",
                                   10s))
      << herald_.log_of_this_run();
  // p1 and p2 are due by now and held by the pause asked for during the outage.
  ASSERT_TRUE(eventually([&] { return why_of("p2@x").find("paused: crisis while the disk is full") != std::string::npos; },
                         20s))
      << why_of("p2@x");
  EXPECT_EQ(creates_of(1) + creates_of(2), 0);
  const auto resumed = herald_.cli({"resume"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  ASSERT_TRUE(herald_.wait_for_log("p2@x: sending -> published", 20s)) << herald_.log_of_this_run();
  ASSERT_TRUE(herald_.wait_for_log("p1@x: sending -> published", 20s));
  EXPECT_EQ(creates_of(0), 1);
  EXPECT_EQ(creates_of(1), 1);
  EXPECT_EQ(creates_of(2), 1);
  EXPECT_EQ(herald_.stop(), 0);
}

}  // namespace
}  // namespace herald
