#include "daemon/git_tree.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace herald {

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxCapture = 64ull << 20;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string out(kMaxCapture, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The first line of git's complaint, without its "fatal: " prefix.
std::string complaint(const GitResult& r) {
  if (!r.error.empty()) return r.error;
  std::string text = trim(r.err);
  if (auto nl = text.find('\n'); nl != std::string::npos) text = text.substr(0, nl);
  for (const char* prefix : {"fatal: ", "error: "})
    if (text.rfind(prefix, 0) == 0) text = text.substr(std::strlen(prefix));
  return text.empty() ? "exit code " + std::to_string(r.exit_code) : text;
}

std::optional<fs::path> make_temp_dir(std::string& error) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/herald-diff-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    error = "cannot make a temporary directory in " + fs::path(tmpl).parent_path().string() + ": " +
            std::strerror(errno);
    return std::nullopt;
  }
  return fs::path(tmpl);
}

/// Runs a program with stdout and stderr into files (no pipes to drain, so
/// no deadlock however much it writes), waiting up to `timeout`.
GitResult run_program(const std::vector<std::string>& argv, const fs::path& out_file, const fs::path& err_file,
                      std::chrono::seconds timeout) {
  GitResult r;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  // Waits by polling: a command-line tool waiting for one child, not the daemon.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      r.error = std::string("waitpid: ") + std::strerror(errno);
      return r;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.error = argv[0] + " " + (argv.size() > 3 ? argv[3] : std::string()) + " timed out after " +
                std::to_string(timeout.count()) + " s";
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

}  // namespace

GitResult run_git(const fs::path& dir, const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::string error;
  auto temp = make_temp_dir(error);
  if (!temp) return GitResult{-1, {}, {}, error};
  std::vector<std::string> argv{"git", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  GitResult r = run_program(argv, *temp / "out", *temp / "err", timeout);
  std::error_code ec;
  fs::remove_all(*temp, ec);
  return r;
}

std::optional<GitTree> GitTree::open(const fs::path& inside, const std::string& revision, std::string& error) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(fs::absolute(inside), ec);
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  GitResult top = run_git(dir, {"rev-parse", "--show-toplevel"});
  if (top.exit_code != 0) {
    error = "git: " + dir.string() + " is not in a git work tree (" + complaint(top) + ")";
    return std::nullopt;
  }
  // "--end-of-options" keeps a revision that starts with '-' from reading as an option.
  GitResult commit = run_git(dir, {"rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"});
  if (commit.exit_code != 0) {
    error = "git: unknown revision '" + revision + "' in " + trim(top.out) +
            (commit.err.empty() ? "" : " (" + complaint(commit) + ")");
    return std::nullopt;
  }
  auto temp = make_temp_dir(error);
  if (!temp) return std::nullopt;
  GitTree tree;
  tree.top_ = fs::weakly_canonical(trim(top.out), ec);
  tree.temp_ = *temp;
  tree.files_ = *temp / "tree";
  tree.revision_ = revision;
  tree.commit_ = trim(commit.out);
  fs::create_directories(tree.files_, ec);
  // git archive writes the revision's files (without the .git directory)
  // as a tar file; tar unpacks it. Two programs, no shell between them.
  const fs::path tar = *temp / "tree.tar";
  GitResult archive = run_git(tree.top_, {"archive", "--format=tar", "-o", tar.string(), tree.commit_});
  if (archive.exit_code != 0) {
    error = "git archive " + revision + ": " + complaint(archive);
    return std::nullopt;
  }
  GitResult untar = run_program({"tar", "-xf", tar.string(), "-C", tree.files_.string()}, *temp / "tar.out",
                                *temp / "tar.err", std::chrono::seconds(120));
  if (untar.exit_code != 0) {
    error = "tar: " + complaint(untar);
    return std::nullopt;
  }
  fs::remove(tar, ec);
  return std::optional<GitTree>(std::move(tree));
}

GitTree::GitTree(GitTree&& other) noexcept
    : top_(std::move(other.top_)), temp_(std::move(other.temp_)), files_(std::move(other.files_)),
      revision_(std::move(other.revision_)), commit_(std::move(other.commit_)) {
  other.temp_.clear();
}

GitTree::~GitTree() {
  if (temp_.empty()) return;
  std::error_code ec;
  fs::remove_all(temp_, ec);
}

bool GitTree::holds(const fs::path& path) const {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  const auto rel = p.lexically_relative(top_);
  return !rel.empty() && *rel.begin() != "..";
}

fs::path GitTree::at_revision(const fs::path& path) const {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  const auto rel = p.lexically_relative(top_);
  return rel == "." ? files_ : files_ / rel;
}

std::string GitTree::display(const std::string& path) const {
  const auto rel = fs::path(path).lexically_relative(files_);
  if (rel.empty() || *rel.begin() == "..") return path;
  return revision_ + ":" + rel.generic_string();
}

}  // namespace herald
