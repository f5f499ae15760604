#include "daemon/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace herald {

namespace {

// The pid written in the lock file by its holder, if it reads as one.
std::optional<pid_t> read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  long value = 0;
  bool digits = false;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) {
    value = value * 10 + (buf[i] - '0');
    digits = true;
    if (value > 1 << 30) return std::nullopt;
  }
  if (!digits || value <= 0) return std::nullopt;
  return static_cast<pid_t>(value);
}

}  // namespace

std::filesystem::path lock_file(const std::filesystem::path& state_dir) { return state_dir / "herald.lock"; }

std::unique_ptr<InstanceLock> InstanceLock::acquire(const std::filesystem::path& state_dir, std::string& error) {
  std::error_code ec;
  if (state_dir.has_parent_path()) std::filesystem::create_directories(state_dir.parent_path(), ec);
  if (::mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = "cannot create the state directory " + state_dir.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  const auto path = lock_file(state_dir);
  // The file is never removed: a holder that unlinked it at exit could let
  // two later processes lock two different files of the same name.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = "cannot open " + path.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      const auto pid = read_pid(fd);
      error = "another herald (pid " + (pid ? std::to_string(*pid) : std::string("unknown")) +
              ") is running with the state directory " + state_dir.string() +
              "; one herald per state directory (stop it first, e.g. systemctl stop herald)";
    } else {
      error = "cannot lock " + path.string() + ": " + std::strerror(err);
    }
    ::close(fd);
    return nullptr;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    error = "cannot write " + path.string() + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<InstanceLock>(new InstanceLock(fd));
}

std::optional<pid_t> InstanceLock::holder(const std::filesystem::path& state_dir) {
  const int fd = ::open(lock_file(state_dir).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  std::optional<pid_t> out;
  // A shared lock is refused only while a daemon holds its exclusive one.
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    out = read_pid(fd);
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return out;
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace herald
