#include "connectors/static/shell_command.hpp"

#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

namespace herald {
namespace {

using testing::read_file;
using testing::TempDir;

constexpr CommandLimits kGenerous{std::chrono::seconds(20), 64 * 1024};

/// True if `pid` is gone or a zombie (a dead process someone else must reap).
bool dead_now(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z' || line[paren + 2] == 'X';
}

/// Waits for `pid` to die: SIGKILL is delivered asynchronously. The deadline
/// only guards against a hang.
bool dead(pid_t pid) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!dead_now(pid)) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// No child of this process is left unreaped.
bool no_children() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

TEST(ShellCommand, CapturesStdoutAndStderrAndTheExitCode) {
  TempDir tmp;
  auto out = run_shell_command("echo one; echo two >&2; exit 3", tmp.path(), kGenerous);
  EXPECT_TRUE(out.spawn_error.empty());
  EXPECT_EQ(out.exit_code, 3);
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.output, "one\ntwo\n");
  EXPECT_EQ(describe(out, kGenerous), "exit code 3");
  EXPECT_TRUE(no_children());
}

TEST(ShellCommand, RunsInTheDirectoryWithStdinFromDevNull) {
  TempDir tmp;
  auto out = run_shell_command("pwd -P; cat; echo end", tmp.path(), kGenerous);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.output, tmp.path().string() + "\nend\n");
}

TEST(ShellCommand, KeepsOnlyTheLimitButReadsEverything) {
  TempDir tmp;
  // 200 KiB would fill the pipe and block the writer if it were not read.
  auto out = run_shell_command("head -c 204800 /dev/zero | tr '\\0' x; exit 0", tmp.path(), kGenerous);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.output.size(), 64u * 1024);
  EXPECT_TRUE(out.truncated);
}

TEST(ShellCommand, ReportsASignal) {
  TempDir tmp;
  auto out = run_shell_command("kill -TERM $$", tmp.path(), kGenerous);
  EXPECT_EQ(out.signal, SIGTERM);
  EXPECT_FALSE(out.exit_code);
  EXPECT_NE(describe(out, kGenerous).find("killed by signal 15"), std::string::npos);
}

TEST(ShellCommand, ReportsAMissingDirectory) {
  TempDir tmp;
  auto out = run_shell_command("true", tmp.path() / "missing", kGenerous);
  EXPECT_FALSE(out.spawn_error.empty());
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.spawn_error.find("missing"), std::string::npos) << out.spawn_error;
  EXPECT_TRUE(no_children());
}

// Waits for the 1 s timeout by design: the deadline is real time on a child.
TEST(ShellCommand, TimeoutKillsTheWholeProcessGroup) {
  TempDir tmp;
  const CommandLimits limits{std::chrono::seconds(1), 64 * 1024};
  const auto start = std::chrono::steady_clock::now();
  auto out = run_shell_command("sleep 30 & echo $! > bg.pid; echo started; sleep 30", tmp.path(), limits);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(out.timed_out);
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.output, "started\n");
  EXPECT_EQ(describe(out, limits), "timed out after 1 s and was killed");
  EXPECT_LT(took, std::chrono::seconds(10));
  const pid_t background = std::stoi(read_file(tmp.path() / "bg.pid"));
  EXPECT_TRUE(dead(background)) << "background child " << background << " survived";
  EXPECT_TRUE(no_children());
}

TEST(ShellCommand, DoesNotWaitForBackgroundChildrenHoldingTheOutput) {
  TempDir tmp;
  const auto start = std::chrono::steady_clock::now();
  auto out = run_shell_command("sleep 30 & echo $!", tmp.path(), kGenerous);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(out.ok());
  ASSERT_FALSE(out.output.empty());
  const pid_t background = std::stoi(out.output);
  ::kill(background, SIGKILL);  // not ours to reap: it belonged to the shell
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_TRUE(no_children());
}

}  // namespace
}  // namespace herald
