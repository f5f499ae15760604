#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace herald::testing {

namespace {

/// This process's environment plus `extra`, as strings and as the char* array execve wants.
struct Environment {
  explicit Environment(const std::vector<std::string>& extra) {
    for (char** e = environ; *e; ++e) strings.emplace_back(*e);
    for (const auto& e : extra) strings.push_back(e);
    for (auto& e : strings) pointers.push_back(e.data());
    pointers.push_back(nullptr);
  }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

/// The account a child switches to. Looked up before fork: getpwnam_r and
/// getgrouplist are not async-signal-safe, and the test may have threads.
struct Account {
  bool switch_user = false;  ///< only when the test runs as root and a user was named
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Account account_named(const std::string& user) {
  Account account;
  if (user.empty() || ::geteuid() != 0) return account;
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
    throw std::runtime_error("there is no account named '" + user + "' to run a test server as");
  account.switch_user = true;
  account.uid = entry.pw_uid;
  account.gid = entry.pw_gid;
  int count = 32;
  account.groups.resize(static_cast<std::size_t>(count));
  if (getgrouplist(user.c_str(), account.gid, account.groups.data(), &count) < 0) {
    account.groups.resize(static_cast<std::size_t>(count));
    getgrouplist(user.c_str(), account.gid, account.groups.data(), &count);
  }
  account.groups.resize(static_cast<std::size_t>(count));
  return account;
}

/// In a forked child: becomes `account`, groups first and uid last (after
/// setuid nothing else could be changed). False when the kernel refused.
bool become(const Account& account) {
  if (!account.switch_user) return true;
  return setgroups(account.groups.size(), account.groups.data()) == 0 && setgid(account.gid) == 0 &&
         setuid(account.uid) == 0;
}

/// In a forked child: writes a fixed message to stderr (async-signal-safe).
void say(const char* message) {
  const auto ignored = ::write(2, message, std::strlen(message));
  (void)ignored;
}

/// argv as the char* array execve wants; `storage` must outlive it.
std::vector<char*> exec_args(std::vector<std::string>& storage) {
  std::vector<char*> args;
  for (auto& a : storage) args.push_back(a.data());
  args.push_back(nullptr);
  return args;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const std::string& as_user) {
  const Account account = account_named(as_user);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  Environment envp(env);
  std::vector<char*> args;
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!become(account)) {
      say("run_process: cannot switch to the requested account\n");
      _exit(126);
    }
    execve(args[0], args.data(), envp.pointers.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace herald::testing

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace herald::testing {

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const std::string& stderr_file,
                                     const std::vector<std::string>& env) {
  Environment envp(env);
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> args;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDWR);
    int err = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.pointers.data());
    _exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

void BackgroundProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool BackgroundProcess::running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

int BackgroundProcess::wait(std::chrono::milliseconds timeout) {
  if (!eventually([&] { return !running(); }, timeout)) return -1;
  return status_;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

/// The signals a keeper ignores so that only the closing of its guard pipe
/// ends it: Ctrl-C reaches the whole foreground process group, the test's
/// and the keeper's alike, and the keeper must outlive the test to clean up.
constexpr int kKeeperIgnores[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

void set_disposition(int sig, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(sig, &action, nullptr);
}

/// The keeper, in the child of fork(): starts the server in a new process
/// group, reports its pid, then waits until the guard pipe reads EOF (the
/// test closed it, or died) or the server's main process exits; then it
/// SIGKILLs the group and reaps every child it has, the orphans the server
/// left included (PR_SET_CHILD_SUBREAPER makes them the keeper's). Only
/// async-signal-safe calls: the test that forked it may have threads.
[[noreturn]] void keeper_main(int guard, int report, int log, int devnull, const Account& account, char** args,
                              char** envp) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Its own name in ps, and out of reach of a `pkill TEST_NAME` aimed at the test.
  prctl(PR_SET_NAME, "herald-keeper");
  for (int sig : kKeeperIgnores) set_disposition(sig, SIG_IGN);
  const pid_t keeper = getpid();
  const pid_t server = fork();
  if (server == 0) {
    setpgid(0, 0);
    dup2(devnull, 0);
    dup2(log, 1);
    dup2(log, 2);
    close_range(3, ~0U, 0);
    for (int sig : kKeeperIgnores) set_disposition(sig, SIG_DFL);  // an ignored signal would stay ignored across exec
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!become(account)) {
      say("ServerProcess: cannot switch to the requested account\n");
      _exit(126);
    }
    // Set after become(): a change of credentials clears it. Should the
    // keeper itself be killed, the server's main process goes with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != keeper) _exit(125);
    execve(args[0], args, envp);
    say("ServerProcess: cannot execute the server\n");
    _exit(127);
  }
  if (server > 0) setpgid(server, server);  // also here, so the group exists before anyone signals it
  const auto ignored = ::write(report, &server, sizeof server);
  (void)ignored;
  close(report);
  close(log);
  close(devnull);
  if (server < 0) _exit(255);

  // While the server's main process lives it is the keeper's only child.
  // Its exit is noticed without reaping it (WNOWAIT): the zombie keeps the
  // group id from being reused until the group has been killed.
  for (;;) {
    pollfd watch{guard, POLLIN, 0};
    if (poll(&watch, 1, 50) > 0) break;  // EOF (or anything): stop
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(server), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == server)
      break;
  }
  kill(-server, SIGKILL);
  int code = -1;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(-1, &status, 0);
    if (done == server) code = exit_code_of(status);
    if (done < 0 && errno != EINTR) break;  // ECHILD: nothing of the server is left
  }
  _exit(code < 0 ? 255 : code);
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& argv, const std::string& log_file,
                             const std::vector<std::string>& env, const std::string& as_user) {
  const Account account = account_named(as_user);
  Environment envp(env);
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> args = exec_args(argv_copy);
  const int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_file + ": " + std::strerror(errno));
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int guard[2], report[2];
  if (pipe2(guard, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  keeper_ = fork();
  if (keeper_ < 0) throw std::runtime_error("fork failed");
  if (keeper_ == 0) {
    // The keeper holds only its own pipe ends and the log: a copy of another
    // server's guard would keep that keeper from ever seeing EOF.
    close(guard[1]);
    close(report[0]);
    int fds[] = {guard[0], report[1], log, devnull};
    for (int i = 0; i < 4; ++i) {
      const int target = 3 + i;
      if (fds[i] != target) {
        // A descriptor may already sit on a lower target number; move it
        // out of the way first so a later dup2 cannot clobber it.
        for (int j = i + 1; j < 4; ++j)
          if (fds[j] == target) fds[j] = fcntl(fds[j], F_DUPFD, 7);
        dup2(fds[i], target);
      }
    }
    close_range(7, ~0U, 0);
    keeper_main(3, 4, 5, 6, account, args.data(), envp.pointers.data());
  }
  close(guard[0]);
  close(report[1]);
  close(log);
  close(devnull);
  guard_ = guard[1];
  pid_t server = -1;
  ssize_t got = -1;
  do {
    got = ::read(report[0], &server, sizeof server);
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got != static_cast<ssize_t>(sizeof server) || server <= 0) {
    stop();
    throw std::runtime_error("could not start " + argv.at(0));
  }
  group_ = server;
}

ServerProcess::~ServerProcess() { stop(); }

bool ServerProcess::running() {
  if (keeper_ <= 0 || status_ != -1) return false;
  int status = 0;
  if (waitpid(keeper_, &status, WNOHANG) == keeper_) {
    status_ = exit_code_of(status);
    keeper_ = -1;
    return false;
  }
  return true;
}

int ServerProcess::stop() {
  if (guard_ >= 0) {
    close(guard_);
    guard_ = -1;
  }
  if (keeper_ > 0) {
    int status = 0;
    while (waitpid(keeper_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = exit_code_of(status);
    keeper_ = -1;
  }
  return status_;
}

void write_status_token(const std::string& credentials_dir, const std::string& token) {
  std::filesystem::create_directories(credentials_dir);
  const auto file = std::filesystem::path(credentials_dir) / "status-token";
  std::ofstream(file) << token << "\n";
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

bool account_exists(const char* name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  return getpwnam_r(name, &entry, buffer.data(), buffer.size(), &found) == 0 && found;
}

void hand_over(const std::filesystem::path& path, const char* account) {
  if (::geteuid() != 0) return;
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  if (getpwnam_r(account, &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
    throw std::runtime_error(std::string("there is no account named ") + account);
  if (::chown(path.c_str(), entry.pw_uid, entry.pw_gid) != 0)
    throw std::runtime_error("cannot give " + path.string() + " to " + account + ": " + std::strerror(errno));
}

std::string tail_of(const std::filesystem::path& path, std::size_t bytes) {
  std::string text = read_file(path.string());
  if (text.size() > bytes) text = "..." + text.substr(text.size() - bytes);
  return "--- " + path.string() + (text.empty() ? " (empty)\n" : "\n" + text);
}

std::string random_hex(std::size_t chars) {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out;
  for (std::size_t i = 0; i < chars; ++i) out += "0123456789abcdef"[digit(device)];
  return out;
}

}  // namespace herald::testing
