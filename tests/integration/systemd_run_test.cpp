// The real `herald run` under a stand-in for systemd: NOTIFY_SOCKET names an
// AF_UNIX datagram socket this test reads, as systemd's own would be. The
// daemon must say READY=1 once the calendar and the database are open, keep
// a STATUS= line, send WATCHDOG=1 when WATCHDOG_USEC asks for it, wrap a
// reload in RELOADING=1 ... READY=1, and say STOPPING=1 on the way out.
#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace herald {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using testing::eventually;
using testing::read_file;
using namespace std::chrono_literals;

/// A datagram socket bound to a path: what systemd listens on.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot bind " + path.string());
  }
  ~NotifySocket() { ::close(fd_); }
  /// Every message received so far, in order, appended to `messages_`.
  const std::vector<std::string>& drain() {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd_, buf, sizeof buf, 0)) > 0;) messages_.emplace_back(buf, static_cast<std::size_t>(n));
    return messages_;
  }
  bool saw(const std::string& part) {
    for (const auto& m : drain())
      if (m.find(part) != std::string::npos) return true;
    return false;
  }
  /// Index of the first message containing `part` at or after `from`, or -1.
  int index_of(const std::string& part, int from = 0) {
    const auto& all = drain();
    for (int i = from; i < static_cast<int>(all.size()); ++i)
      if (all[static_cast<std::size_t>(i)].find(part) != std::string::npos) return i;
    return -1;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

TEST(SystemdRun, ReadyStatusWatchdogReloadingAndStopping) {
  const auto dir = fs::temp_directory_path() / ("herald-notify-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "site");
  testing::write_status_token((dir / "credentials").string());
  std::ofstream(dir / "herald.yaml") << "calendar: calendar.yaml\nstate_dir: state\ncredentials_dir: credentials\n"
                                        "timezone: Europe/Amsterdam\n"
                                        "status: {listen: \"127.0.0.1:0\"}\n"
                                        "channels:\n  site: {kind: static, dir: site, url: \"https://example.nl/{post}/\"}\n";
  std::ofstream(dir / "calendar.yaml") << "posts:\n  - {id: later, at: 2099-01-01 10:00, channels: [site], title: t, "
                                          "text: \"Much later\"}\n";
  NotifySocket systemd(dir / "notify.sock");
  BackgroundProcess herald({HERALD_BINARY, "run", "--config", (dir / "herald.yaml").string()},
                           (dir / "herald.log").string(),
                           {"NOTIFY_SOCKET=" + (dir / "notify.sock").string(), "WATCHDOG_USEC=2000000"});
  ASSERT_TRUE(eventually([&] { return systemd.saw("READY=1"); }, 20s)) << read_file((dir / "herald.log").string());
  // READY comes with a status line for `systemctl status`.
  const int ready = systemd.index_of("READY=1");
  EXPECT_NE(systemd.drain()[static_cast<std::size_t>(ready)].find("STATUS="), std::string::npos);
  // The loop's heartbeat feeds the watchdog.
  ASSERT_TRUE(eventually([&] { return systemd.saw("WATCHDOG=1"); }, 10s));

  herald.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return systemd.index_of("RELOADING=1") >= 0; }, 10s));
  const int reloading = systemd.index_of("RELOADING=1");
  EXPECT_NE(systemd.drain()[static_cast<std::size_t>(reloading)].find("MONOTONIC_USEC="), std::string::npos);
  ASSERT_TRUE(eventually([&] { return systemd.index_of("READY=1", reloading + 1) > reloading; }, 10s));

  herald.signal(SIGTERM);
  ASSERT_EQ(herald.wait(20s), 0);
  EXPECT_TRUE(systemd.saw("STOPPING=1"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace herald
