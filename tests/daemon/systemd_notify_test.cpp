#include "daemon/systemd_notify.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

/// A real notify socket, as systemd's: an AF_UNIX datagram socket whose path
/// is in $NOTIFY_SOCKET for the duration of the test.
class NotifySocket : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("herald-notify-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "notify.sock").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof(addr.sun_path));
    path_.copy(addr.sun_path, path_.size());
    std::filesystem::remove(path_);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << errno;
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    if (fd_ >= 0) ::close(fd_);
    std::filesystem::remove_all(dir_);
  }

  /// The next datagram, waiting up to 5 s for it; "" if none came.
  std::string receive(int timeout_ms = 5000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return {};
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{};
  }

  std::filesystem::path dir_;
  std::string path_;
  int fd_ = -1;
  SystemdNotify notify_;
};

TEST_F(NotifySocket, ReadySendsReady) {
  EXPECT_TRUE(notify_.ready());
  EXPECT_EQ(receive(), "READY=1");
}

TEST_F(NotifySocket, ReadyWithAStatusLine) {
  EXPECT_TRUE(notify_.ready("12 queued, next x@09:15"));
  EXPECT_EQ(receive(), "READY=1\nSTATUS=12 queued, next x@09:15");
}

TEST_F(NotifySocket, StatusIsOneLine) {
  // A newline would start another assignment (here a forged WATCHDOG=1).
  EXPECT_TRUE(notify_.status("3 queued\nWATCHDOG=1"));
  EXPECT_EQ(receive(), "STATUS=3 queued WATCHDOG=1");
}

TEST_F(NotifySocket, ReloadingCarriesTheMonotonicClock) {
  timespec before{};
  ::clock_gettime(CLOCK_MONOTONIC, &before);
  EXPECT_TRUE(notify_.reloading());
  timespec after{};
  ::clock_gettime(CLOCK_MONOTONIC, &after);
  const std::string got = receive();
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_TRUE(got.starts_with(prefix)) << got;
  const long long usec = std::stoll(got.substr(prefix.size()));
  EXPECT_GE(usec, before.tv_sec * 1'000'000LL + before.tv_nsec / 1000);
  EXPECT_LE(usec, after.tv_sec * 1'000'000LL + after.tv_nsec / 1000);
}

TEST_F(NotifySocket, StoppingAndWatchdog) {
  EXPECT_TRUE(notify_.stopping());
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_TRUE(notify_.watchdog());
  EXPECT_EQ(receive(), "WATCHDOG=1");
}

TEST_F(NotifySocket, NothingWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify_.ready());
  EXPECT_FALSE(notify_.watchdog());
  EXPECT_FALSE(notify_.status("x"));
  EXPECT_EQ(receive(0), "");
}

TEST_F(NotifySocket, WatchdogIntervalFromTheEnvironment) {
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(SystemdNotify::watchdog_interval());
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  const auto interval = SystemdNotify::watchdog_interval();
  ASSERT_TRUE(interval);
  EXPECT_EQ(*interval, 30s);
  // Meant for another process (a child of ours, say): not for us.
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(SystemdNotify::watchdog_interval());
}

const date::time_zone& amsterdam() { return *date::locate_zone("Europe/Amsterdam"); }

Instant utc(int y, unsigned m, unsigned d, int h, int min) {
  return date::sys_days{date::year{y} / m / d} + std::chrono::hours{h} + std::chrono::minutes{min};
}

TEST(StatusLine, QueuedAndNextInLocalTime) {
  StatusSummary s;
  s.queued = 12;
  s.next = StatusSummary::Next{"x", utc(2027, 3, 2, 8, 15)};  // 09:15 in Amsterdam (CET)
  EXPECT_EQ(status_line(s, amsterdam(), utc(2027, 3, 2, 7, 0)), "12 queued, next x@09:15");
}

TEST(StatusLine, DateWhenNotToday) {
  StatusSummary s;
  s.queued = 1;
  s.next = StatusSummary::Next{"blog", utc(2027, 3, 29, 7, 0)};  // 09:00 CEST, after the DST change
  EXPECT_EQ(status_line(s, amsterdam(), utc(2027, 3, 27, 12, 0)), "1 queued, next blog@2027-03-29 09:00");
}

TEST(StatusLine, LocalMidnightDecidesToday) {
  StatusSummary s;
  s.next = StatusSummary::Next{"x", utc(2027, 3, 2, 22, 30)};  // 23:30 local, same local day as now
  EXPECT_EQ(status_line(s, amsterdam(), utc(2027, 3, 1, 23, 30)), "0 queued, next x@23:30");
}

TEST(StatusLine, PausedAndAttention) {
  StatusSummary s;
  s.paused = true;
  s.attention = 2;
  EXPECT_EQ(status_line(s, amsterdam(), utc(2027, 3, 2, 7, 0)), "paused, 0 queued, 2 need review");
  s.attention = 1;
  s.paused = false;
  s.queued = 3;
  EXPECT_EQ(status_line(s, amsterdam(), utc(2027, 3, 2, 7, 0)), "3 queued, 1 needs review");
}

}  // namespace
}  // namespace herald
