#pragma once
// The calendar as it was at a git revision (`herald diff --against REF`):
// git itself is asked (no shell), and the revision's files are written to a
// temporary directory that lives as long as the GitTree.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// What a git command did.
struct GitResult {
  int exit_code = -1;        ///< -1: it did not run to its end (see error)
  std::string out = {};
  std::string err = {};
  std::string error = {};    ///< could not run, or timed out
};

/// Runs `git ARGS...` in `dir` (git -C dir), stdin from /dev/null, with a
/// deadline; stdout and stderr captured (each up to 64 MiB).
GitResult run_git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                  std::chrono::seconds timeout = std::chrono::seconds(120));

/// The files of one revision of the repository holding a path, in a
/// temporary directory removed when this is destroyed.
class GitTree {
 public:
  /// Finds the repository holding `inside` (a file or directory), resolves
  /// `revision` to a commit and writes its files out (git archive | tar).
  /// nullopt with `error` set ("git: unknown revision 'foo' in /srv/cal")
  /// when any step fails.
  static std::optional<GitTree> open(const std::filesystem::path& inside, const std::string& revision,
                                     std::string& error);
  ~GitTree();
  GitTree(GitTree&& other) noexcept;
  GitTree& operator=(GitTree&&) = delete;
  GitTree(const GitTree&) = delete;

  const std::filesystem::path& top() const { return top_; }          ///< the work tree's top (canonical)
  const std::filesystem::path& files() const { return files_; }      ///< where the revision's files are
  const std::string& revision() const { return revision_; }          ///< as the user named it
  const std::string& commit() const { return commit_; }              ///< its full hash

  /// Whether a path lies in the work tree.
  bool holds(const std::filesystem::path& path) const;
  /// A work-tree path's counterpart among the revision's files.
  std::filesystem::path at_revision(const std::filesystem::path& path) const;
  /// How to name a path among the revision's files to people: REF:relative/path;
  /// other paths unchanged.
  std::string display(const std::string& path) const;

 private:
  GitTree() = default;
  std::filesystem::path top_, temp_, files_;
  std::string revision_, commit_;
};

}  // namespace herald
