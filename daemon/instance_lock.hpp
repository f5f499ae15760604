#pragma once
// One daemon per state directory (DESIGN.md "The store beyond one host"):
// `herald run` holds an exclusive flock on `state_dir/herald.lock` for its
// whole life, with its pid written in the file. A second `herald run` on the
// same directory is refused at once, naming the pid that holds it; the
// kernel drops the lock when the holder dies, even by SIGKILL, so a crash
// never leaves a stale lock behind.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace herald {

class InstanceLock {
 public:
  /// Takes the lock (creating the state directory, mode 0700, and the lock
  /// file if needed). nullptr with `error` set when another process holds
  /// it or the file cannot be used.
  static std::unique_ptr<InstanceLock> acquire(const std::filesystem::path& state_dir, std::string& error);
  /// The pid of the process holding the lock of `state_dir`, if one does.
  static std::optional<pid_t> holder(const std::filesystem::path& state_dir);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// The lock file of a state directory.
std::filesystem::path lock_file(const std::filesystem::path& state_dir);

}  // namespace herald
