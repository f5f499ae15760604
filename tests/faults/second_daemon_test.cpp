// Fault 2 of issue 11: a second `herald run` on the same state directory (a
// manual run beside the systemd service) while the first has a create in
// flight. It must exit 1 at once naming the pid that holds the directory,
// touch nothing (the pid file stays the first's), and the create goes out
// exactly once.
#include "scheduler/store.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/sandbox_process.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::HeraldDaemon;
using testing::read_file;
using testing::SandboxProcess;
using testing::utc_in;

TEST(SecondDaemon, IsRefusedAtOnceWhileTheFirstHasACreateInFlight) {
  HeraldDaemon herald;
  SandboxProcess sandbox(herald.dir() / "sandbox", testing::sandbox_x_section());
  herald.write_credential("x", testing::sandbox_x_credentials());
  herald.write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" + sandbox.base_url() +
                            "\"}\n",
                        "publishing: {request_timeout: 30s}\n");
  herald.write_calendar("posts:\n  - {id: once, at: \"" + utc_in(2s) + "\", channels: [x], text: \"Only once\"}\n");
  // The create is held at the platform for 8 s: in flight the whole time.
  sandbox.add_fault(R"({"path":"/2/tweets","mode":"delay","delay_ms":8000})");
  herald.start();
  ASSERT_TRUE(herald.wait_started());
  ASSERT_TRUE(herald.wait_for_log("once@x: planned -> sending", 20s));
  const std::string first_pid = std::to_string(herald.process()->pid());
  EXPECT_EQ(read_file((herald.state_dir() / "herald.pid").string()), first_pid + "\n");

  const auto second_log = herald.dir() / "second.log";
  BackgroundProcess second({HERALD_BINARY, "run", "--config", herald.config().string()}, second_log.string());
  EXPECT_EQ(second.wait(10s), 1) << "refused at once, not after a while";
  const std::string said = read_file(second_log.string());
  EXPECT_NE(said.find("another herald (pid " + first_pid + ") is running with the state directory"),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("herald started"), std::string::npos) << "it never started: " << said;
  EXPECT_EQ(read_file((herald.state_dir() / "herald.pid").string()), first_pid + "\n") << "the pid file is the first's";

  ASSERT_TRUE(herald.wait_for_log("once@x: sending -> published", 30s));
  EXPECT_EQ(herald.stop(), 0);
  EXPECT_EQ(sandbox.public_posts("x").size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(herald.state_dir() / "herald.pid")) << "removed by its holder at exit";

  // The lock goes with the process, even a killed one: a new daemon starts.
  herald.start();
  ASSERT_TRUE(herald.wait_started());
  herald.kill();
  herald.start();
  EXPECT_TRUE(herald.wait_started()) << "a SIGKILLed holder leaves no stale lock";
  EXPECT_EQ(herald.stop(), 0);
}

}  // namespace
}  // namespace herald
