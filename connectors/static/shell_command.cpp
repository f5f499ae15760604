#include "connectors/static/shell_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace herald {
namespace {

using Clock = std::chrono::steady_clock;

// Without pidfd (Linux < 5.3) the child's exit is noticed by polling this often.
constexpr std::chrono::milliseconds kExitPollTick{50};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

/// Reads what is available now into `out` (up to the limit). Returns false at end of file.
bool drain(int fd, CommandOutcome& out, std::size_t limit) {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      const std::size_t got = static_cast<std::size_t>(n);
      const std::size_t room = limit - std::min(limit, out.output.size());
      out.output.append(buf, std::min(got, room));
      if (got > room) out.truncated = true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;  // anything else: treat as closed
  }
}

pid_t wait_for(pid_t pid, int& status, int flags) {
  for (;;) {
    pid_t r = ::waitpid(pid, &status, flags);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

/// posix_spawn's attribute objects, destroyed on scope exit.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

CommandOutcome run_shell_command(const std::string& command, const std::filesystem::path& cwd,
                                 const CommandLimits& limits, const std::vector<std::string>& extra_env) {
  CommandOutcome out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    out.spawn_error = errno_text("pipe");
    return out;
  }
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);

  // posix_spawn rather than fork: the daemon has threads, and glibc reports
  // a failed chdir or exec as posix_spawn's result.
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 2);
  posix_spawn_file_actions_addchdir_np(&setup.actions, cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  // A new session makes the child a process group leader (pgid == pid), so a
  // timeout can kill everything it started. Signals start unblocked and at
  // their defaults whatever the daemon did with them (SIGPIPE, SIGTERM).
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::string arg0 = "sh", arg1 = "-c", arg2 = command;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  pid_t pid = -1;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  if (int rc = ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, argv, envp.data()); rc != 0) {
    out.spawn_error = "/bin/sh in " + cwd.string() + ": " + std::strerror(rc);
    return out;
  }
  write_end.reset();  // our copy would hide the end of the output
  ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);
  // Readable once the child has exited. Called through syscall(): glibc 2.36's
  // <sys/pidfd.h> declares pidfd_open without C linkage for C++.
  Fd pid_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  // Each turn: wait for output, the child's exit or the deadline; keep the
  // output; stop once the shell has exited (its background children may hold
  // the pipe open indefinitely, so end of file is not awaited) or time is up.
  const auto deadline = Clock::now() + limits.timeout;
  bool pipe_open = true;
  int status = 0;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) {
      ::kill(-pid, SIGKILL);
      wait_for(pid, status, 0);
      out.timed_out = true;
      if (pipe_open) drain(read_end.get(), out, limits.output_limit);
      break;
    }
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    if (pid_fd.get() < 0) wait = std::min(wait, kExitPollTick);
    pollfd p[2] = {{pipe_open ? read_end.get() : -1, POLLIN, 0}, {pid_fd.get(), POLLIN, 0}};
    if (::poll(p, 2, static_cast<int>(wait.count())) < 0 && errno != EINTR) {
      // Cannot wait any more; do not leave the child behind.
      ::kill(-pid, SIGKILL);
      wait_for(pid, status, 0);
      out.spawn_error = errno_text("poll");
      return out;
    }
    if (pipe_open && p[0].revents != 0) pipe_open = drain(read_end.get(), out, limits.output_limit);
    if (wait_for(pid, status, WNOHANG) == pid) {
      if (pipe_open) drain(read_end.get(), out, limits.output_limit);
      break;
    }
  }
  if (!out.timed_out) {
    if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  }
  return out;
}

std::string describe(const CommandOutcome& outcome, const CommandLimits& limits) {
  if (!outcome.spawn_error.empty()) return "could not run: " + outcome.spawn_error;
  if (outcome.timed_out) {
    const auto ms = limits.timeout.count();
    return "timed out after " + (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") +
           " and was killed";
  }
  if (outcome.signal) return "killed by signal " + std::to_string(*outcome.signal) + " (" + ::strsignal(*outcome.signal) + ")";
  if (outcome.exit_code) return "exit code " + std::to_string(*outcome.exit_code);
  return "ended in an unknown way";
}

}  // namespace herald
